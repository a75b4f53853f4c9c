"""factory-boy factories, one module per app: tests build rows through these instead of hand-written create() calls."""
from tests.factories.couriers import CourierBillFactory, CourierBillLineFactory, CourierFactory, RateCardFactory
from tests.factories.orders import ShipmentFactory
from tests.factories.recon import DiscrepancyFactory, ReconRunFactory, UserFactory

__all__ = [
    "CourierBillFactory", "CourierBillLineFactory", "CourierFactory", "DiscrepancyFactory", "RateCardFactory",
    "ReconRunFactory", "ShipmentFactory", "UserFactory",
]
