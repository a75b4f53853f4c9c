"""Returns' API endpoints, registered on the API's one router by recon.api.urls."""
from .api import ReturnFreightViewSet, ReturnReceiptViewSet, ReturnRequestViewSet

ROUTES = [
    ("returns/requests", ReturnRequestViewSet, "api-return-request"),
    ("returns/receipts", ReturnReceiptViewSet, "api-return-receipt"),
    ("returns/freight", ReturnFreightViewSet, "api-return-freight"),
]
