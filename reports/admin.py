"""The reports app's admin pages, one module per part."""
from reports import alerts_admin  # noqa: F401
