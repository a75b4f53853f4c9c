"""Settlement endpoints, registered on the API's one router by recon.api.urls."""
from .api_settlements import SettlementLineViewSet

ROUTES = [("settlements", SettlementLineViewSet, "api-settlement")]
