"""Errors a user caused and can fix: shown as a message in the browser, 4xx JSON in the API, exit 1 in commands."""
from __future__ import annotations


class UserFacingError(Exception):
    http_status = 400

    def __init__(self, code: str, message: str, details: dict | None = None, http_status: int | None = None):
        super().__init__(str(message))
        self.code = code
        self.message = str(message)
        self.details = details or {}
        if http_status is not None:
            self.http_status = http_status

    def as_dict(self) -> dict:
        return {"code": self.code, "message": self.message, "details": self.details}
