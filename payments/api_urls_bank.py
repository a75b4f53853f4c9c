"""Bank statement endpoints, registered on the API's one router by recon.api.urls."""
from .api_bank import BankLineViewSet, BankStatementViewSet

ROUTES = [
    ("bank-lines", BankLineViewSet, "api-bank-line"),
    ("bank-statements", BankStatementViewSet, "api-bank-statement"),
]
