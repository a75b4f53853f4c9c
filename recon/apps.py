from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReconConfig(AppConfig):
    name = "recon"
    verbose_name = _("Reconciliation")
    default_auto_field = "django.db.models.BigAutoField"
