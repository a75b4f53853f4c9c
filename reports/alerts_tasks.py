"""Beat's alert checks and the scheduled report emails: each task calls the service of the same name."""
from celery import shared_task

from reports import alerts, review


@shared_task(name="reports.alerts_check_expected_files")
def alerts_check_expected_files() -> int:
    return len(alerts.alerts_check(event=alerts.EXPECTED_FILES))


@shared_task(name="reports.alerts_check_receivables")
def alerts_check_receivables() -> int:
    return len(alerts.alerts_check(event=alerts.RECEIVABLES))


@shared_task(name="reports.alerts_check_disputes")
def alerts_check_disputes() -> int:
    return len(alerts.alerts_check(event=alerts.DISPUTES))


@shared_task(name="reports.reports_email_scheduled")
def reports_email_scheduled(cadence: str) -> int:
    return review.reports_email_scheduled(cadence=cadence)
