"""The reports app's Celery tasks (found by the worker's autodiscovery of `tasks` modules), one module per part."""
from reports.alerts_tasks import (  # noqa: F401
    alerts_check_disputes, alerts_check_expected_files, alerts_check_receivables, reports_email_scheduled,
)
