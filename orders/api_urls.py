"""Our shipments', platforms' and orders' API endpoints, registered on the API's one router by recon.api.urls."""
from .api import OrderViewSet, PlatformViewSet, ShipmentViewSet

ROUTES = [
    ("shipments", ShipmentViewSet, "api-shipment"),
    ("orders", OrderViewSet, "api-order"),
    ("platforms", PlatformViewSet, "api-platform"),
]
