"""The one error type of the ingest package, and message translation that works with or without Django.

The package imports no Django: the app that uses it hands in its translation function (recon.core.apps), and
messages are translated with it when an error or a reason is built, in the language of the request or task.
"""
from collections.abc import Callable

UNSUPPORTED_TYPE = "unsupported_type"
EMPTY_FILE = "empty_file"
CORRUPT_FILE = "corrupt_file"
ENCRYPTED_FILE = "encrypted_file"
HEADER_NOT_FOUND = "header_not_found"
# Named as one kind of file (bill.xlsx) but holding another that is no table we can read (plain text).
MISNAMED_FILE = "misnamed_file"
NO_DATA = "no_data"


_translate: Callable[[str], str] = str


def use_translation(translate: Callable[[str], str]) -> None:
    """Set the function that translates messages (Django's gettext in the app; none in bare scripts)."""
    global _translate
    _translate = translate


def gettext_noop(message: str) -> str:
    """Marks a message for the catalogue without translating it (translated later, where it is shown)."""
    return message


def _(message: str) -> str:
    """Translate now with the function the app handed in; the English source when there is none.

    Named `_` so that the catalogue tools pick the strings up. Messages are translated when the error
    or reason is built, i.e. in the language active in the request or task doing the import.
    """
    try:
        return _translate(message)
    except Exception:  # a translator used before its framework is ready: the English source
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


def corrupt_file(filename: str, problem: str) -> IngestError:
    """A file that cannot be read because it is damaged; `problem` says how (cut short by the caller)."""
    return IngestError(
        CORRUPT_FILE,
        _("“%(filename)s” is damaged and cannot be read (%(problem)s). Export or download it again.")
        % {"filename": filename, "problem": problem},
        {"problem": problem},
    )
