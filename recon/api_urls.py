from rest_framework.routers import APIRootView, DefaultRouter

from couriers.api import CourierBillViewSet, CourierViewSet, RateCardViewSet
from orders.api import ShipmentViewSet

from .api import AuditEventViewSet, BulkActionViewSet, DiscrepancyViewSet, ReconPeriodViewSet, ReconRunViewSet, SavedFilterViewSet
from .dispute_api import DisputeViewSet
from .permissions import API_INDEX



class RootView(APIRootView):
    """The API's index of endpoints: any role may read it."""

    required_perms = {"get": API_INDEX}


router = DefaultRouter()
router.APIRootView = RootView
router.register("couriers", CourierViewSet, basename="api-courier")
router.register("rate-cards", RateCardViewSet, basename="api-ratecard")
router.register("courier-bills", CourierBillViewSet, basename="api-bill")
router.register("shipments", ShipmentViewSet, basename="api-shipment")
router.register("runs", ReconRunViewSet, basename="api-run")
router.register("discrepancies", DiscrepancyViewSet, basename="api-discrepancy")
router.register("disputes", DisputeViewSet, basename="api-dispute")
router.register("bulk-actions", BulkActionViewSet, basename="api-bulk-action")
router.register("periods", ReconPeriodViewSet, basename="api-period")
router.register("audit-events", AuditEventViewSet, basename="api-audit")
router.register("saved-filters", SavedFilterViewSet, basename="api-saved-filter")

urlpatterns = router.urls
