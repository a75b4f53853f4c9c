"""Errors a user caused and can fix: shown as a message in the browser, 4xx JSON in the API, exit 1 in commands."""
from __future__ import annotations


# What an error keeps of the file that caused it: enough to find the problem, never a whole oversized cell.
TEXT_CHARS = 300
LIST_ITEMS = 50
MESSAGE_CHARS = 1000


def bounded(value, *, depth: int = 0):
    """A JSON value cut down for storing on a run or sending in an error: strings cut, lists and dicts shortened."""
    if isinstance(value, str):
        return value if len(value) <= TEXT_CHARS else value[: TEXT_CHARS - 1] + "…"
    if depth > 6:
        return None
    if isinstance(value, dict):
        items = list(value.items())
        out = {str(k)[:TEXT_CHARS]: bounded(v, depth=depth + 1) for k, v in items[:LIST_ITEMS]}
        if len(items) > LIST_ITEMS:
            out["…"] = f"{len(items) - LIST_ITEMS} more"
        return out
    if isinstance(value, (list, tuple)):
        out = [bounded(v, depth=depth + 1) for v in value[:LIST_ITEMS]]
        if len(value) > LIST_ITEMS:
            out.append(f"… {len(value) - LIST_ITEMS} more")
        return out
    return value


def bounded_message(message: str) -> str:
    message = str(message)
    return message if len(message) <= MESSAGE_CHARS else message[: MESSAGE_CHARS - 1] + "…"


class UserFacingError(Exception):
    http_status = 400

    def __init__(self, code: str, message: str, details: dict | None = None, http_status: int | None = None):
        message = bounded_message(message)
        super().__init__(message)
        self.code = code
        self.message = message
        self.details = bounded(details or {})
        if http_status is not None:
            self.http_status = http_status

    def as_dict(self) -> dict:
        return {"code": self.code, "message": self.message, "details": self.details}
