"""Command plumbing: a user's mistake ends in a one-line message and exit status 1, never a traceback."""
from __future__ import annotations

from datetime import date

from django.core.management.base import BaseCommand, CommandError

from recon.core.errors import UserFacingError


class ServiceCommand(BaseCommand):
    def execute(self, *args, **options):
        try:
            return super().execute(*args, **options)
        except UserFacingError as exc:
            raise CommandError(f"{exc.code}: {exc.message}" + self.format_details(exc.details)) from exc

    @staticmethod
    def format_details(details: dict) -> str:
        if not details:
            return ""
        found = details.get("headers_found")
        if found:
            lines = [f"\n  headers found in {sheet}: {', '.join(map(str, cells))}" for sheet, cells in found.items()]
            expected = details.get("expected") or {}
            lines.append("\n  expected fields: " + "; ".join(f"{k} ({'/'.join(map(str, v[:4]))})" for k, v in expected.items()))
            return "".join(lines)
        return ""


def parse_date(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise CommandError(f"{value!r} is not a date (YYYY-MM-DD)") from exc
