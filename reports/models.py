"""The reports app's models, one module per part, registered here in one place."""
from reports.alerts_models import Alert, AlertRule, Notification  # noqa: F401
from reports.review_models import ReportSubscription, ReviewSignOff  # noqa: F401
