"""Courier-fee API endpoints, registered on the API's one router by recon.api.urls."""
from .api import CourierBillViewSet, CourierViewSet, RateCardViewSet

ROUTES = [
    ("couriers", CourierViewSet, "api-courier"),
    ("rate-cards", RateCardViewSet, "api-ratecard"),
    ("courier-bills", CourierBillViewSet, "api-bill"),
]
