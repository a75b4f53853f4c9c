"""Matching by hand's API endpoints, registered on the API's one router by recon.api.urls."""
from .api_bank_match import BankLineSuggestionViewSet, BankMatchViewSet

ROUTES = [
    ("bank-matches", BankMatchViewSet, "api-bank-match"),
    ("bank-lines", BankLineSuggestionViewSet, "api-bank-line-suggestion"),
]
