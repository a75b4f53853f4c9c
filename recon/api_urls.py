from rest_framework.routers import DefaultRouter

from couriers.api import CourierBillViewSet, CourierViewSet, RateCardViewSet
from orders.api import ShipmentViewSet

from .api import DiscrepancyViewSet, ReconRunViewSet

router = DefaultRouter()
router.register("couriers", CourierViewSet, basename="api-courier")
router.register("rate-cards", RateCardViewSet, basename="api-ratecard")
router.register("courier-bills", CourierBillViewSet, basename="api-bill")
router.register("shipments", ShipmentViewSet, basename="api-shipment")
router.register("runs", ReconRunViewSet, basename="api-run")
router.register("discrepancies", DiscrepancyViewSet, basename="api-discrepancy")

urlpatterns = router.urls
