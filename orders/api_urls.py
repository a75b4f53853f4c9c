"""Our shipments' API endpoints, registered on the API's one router by recon.api.urls."""
from .api import ShipmentViewSet

ROUTES = [
    ("shipments", ShipmentViewSet, "api-shipment"),
]
