"""Our shipments', platforms' and orders' API endpoints, registered on the API's one router by recon.api.urls."""
from .api import OrderViewSet, PlatformViewSet, ShipmentViewSet
from .outbound_api import OutboundRecordViewSet, PickupScanViewSet

ROUTES = [
    ("shipments", ShipmentViewSet, "api-shipment"),
    ("orders", OrderViewSet, "api-order"),
    ("platforms", PlatformViewSet, "api-platform"),
    ("outbound", OutboundRecordViewSet, "api-outbound"),
    ("pickups", PickupScanViewSet, "api-pickup"),
]
