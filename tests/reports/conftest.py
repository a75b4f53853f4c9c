# The shipment with a recipient is shared with the orders tests.
from tests.orders.conftest import shipment  # noqa: F401
