from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReconConfig(AppConfig):
    name = "recon.core"
    label = "recon"
    verbose_name = _("Reconciliation")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from django.conf import settings

        from django.utils.translation import gettext

        from recon.ingest.errors import use_translation
        from recon.ingest.limits import configure

        configure(**settings.INGEST_LIMITS)
        use_translation(gettext)
