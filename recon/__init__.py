"""对账: the project package and the reconciliation core (runs, discrepancies, the matching engine)."""
from recon.celery import app as celery_app

__all__ = ["celery_app"]
