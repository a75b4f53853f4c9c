"""The one error type of the ingest package, and message translation that works with or without Django."""
from django.utils.translation import gettext

UNSUPPORTED_TYPE = "unsupported_type"
EMPTY_FILE = "empty_file"
CORRUPT_FILE = "corrupt_file"
ENCRYPTED_FILE = "encrypted_file"
HEADER_NOT_FOUND = "header_not_found"
NO_DATA = "no_data"


def _(message: str) -> str:
    """Translate now; fall back to the English source when Django is not set up (scripts, bare tests).

    Named `_` so that makemessages picks the strings up. Messages are translated when the error
    or reason is built, i.e. in the language active in the request or task doing the import.
    """
    try:
        return gettext(message)
    except Exception:  # ImproperlyConfigured, AppRegistryNotReady, missing settings module
        return message


class IngestError(Exception):
    """A file we cannot read at all; `code` is stable, `message` is for the user, `details` is JSON."""

    def __init__(self, code: str, message: str, details: dict | None = None):
        super().__init__(code, message)
        self.code = code
        self.message = str(message)
        self.details = details or {}

    def __str__(self) -> str:
        return f"{self.code}: {self.message}"
