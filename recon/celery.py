"""The Celery application; configuration comes from Django settings (CELERY_*)."""
import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "recon.settings")

app = Celery("recon")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
# The core app is recon.core; its tasks live with the runs they execute.
app.autodiscover_tasks(["recon.runs"])
