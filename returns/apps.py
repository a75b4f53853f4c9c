from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReturnsConfig(AppConfig):
    """Returns reconciliation (退货对账); its models arrive with that capability."""

    name = "returns"
    verbose_name = _("Returns")
    default_auto_field = "django.db.models.BigAutoField"
