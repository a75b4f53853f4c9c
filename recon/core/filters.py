"""Filters shared by every list: an id filter that refuses, as a 400, what no row's id can be."""
from __future__ import annotations

import django_filters
from django import forms

# The largest id a PostgreSQL bigint holds; SQLite's integers stop at the same value.
MAX_ID = 2**63 - 1


class IdField(forms.IntegerField):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", MAX_ID)
        super().__init__(*args, **kwargs)


class IdFilter(django_filters.NumberFilter):
    """A row id: a whole number from 1 to 2⁶³ − 1. A decimal filter let 1e300 through to the database (a 500)."""

    field_class = IdField
