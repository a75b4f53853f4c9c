from django.utils.module_loading import import_string
from rest_framework.routers import APIRootView, DefaultRouter

from recon.api.views import AuditEventViewSet, BulkActionViewSet, DiscrepancyViewSet, ReconPeriodViewSet, ReconRunViewSet, SavedFilterViewSet
from recon.api.disputes import DisputeViewSet
from recon.core.permissions import API_INDEX

# The apps' own endpoints, by dotted path (the core imports no app's code): each is a list of (prefix, viewset,
# basename) registered on this one router, first, so that the API's index lists them as it always has.
APP_ROUTES = ("couriers.api_urls.ROUTES", "orders.api_urls.ROUTES", "returns.api_urls.ROUTES",
              "payments.api_urls_bank.ROUTES", "payments.api_urls_settlements.ROUTES", "payments.api_urls_bank_match.ROUTES",
              "reports.api_custom.ROUTES", "reports.alerts_api.ROUTES")


class RootView(APIRootView):
    """The API's index of endpoints: any role may read it."""

    required_perms = {"get": API_INDEX}


router = DefaultRouter()
router.APIRootView = RootView
for routes in APP_ROUTES:
    for prefix, viewset, basename in import_string(routes):
        router.register(prefix, viewset, basename=basename)
router.register("runs", ReconRunViewSet, basename="api-run")
router.register("discrepancies", DiscrepancyViewSet, basename="api-discrepancy")
router.register("disputes", DisputeViewSet, basename="api-dispute")
router.register("bulk-actions", BulkActionViewSet, basename="api-bulk-action")
router.register("periods", ReconPeriodViewSet, basename="api-period")
router.register("audit-events", AuditEventViewSet, basename="api-audit")
router.register("saved-filters", SavedFilterViewSet, basename="api-saved-filter")

urlpatterns = router.urls
