"""Sorting lists: the FilterSet's `ordering` decides, for the HTML lists and the API alike."""
from __future__ import annotations

import django_filters
from django.db.models import F
from django_filters.constants import EMPTY_VALUES
from rest_framework import filters


class StableOrderingFilter(django_filters.OrderingFilter):
    """Sort by the chosen columns, empty values last, then by id in the first column's direction."""

    def filter(self, qs, value):
        ordering = [self.get_ordering_value(param) for param in value or () if param not in EMPTY_VALUES]
        if not ordering:
            return qs
        # SQLite and PostgreSQL put NULLs at opposite ends; a clerk wants the unknowns after the known values.
        keys = [F(o[1:]).desc(nulls_last=True) if o.startswith("-") else F(o).asc(nulls_last=True) for o in ordering]
        # Several bills of one period or shipments of one weight: without a unique last key, PostgreSQL
        # may return the tied rows in another order for each page.
        return qs.order_by(*keys, "-pk" if ordering[0].startswith("-") else "pk")


class OrderingFilter(filters.OrderingFilter):
    """DRF's `?ordering=` for views whose FilterSet does not sort; where the FilterSet has `ordering`, it alone sorts."""

    @staticmethod
    def _filterset_sorts(view) -> bool:
        filterset_class = getattr(view, "filterset_class", None)
        return filterset_class is not None and "ordering" in filterset_class.base_filters

    def filter_queryset(self, request, queryset, view):
        if self._filterset_sorts(view):
            return queryset
        return super().filter_queryset(request, queryset, view)

    def get_schema_operation_parameters(self, view):
        return [] if self._filterset_sorts(view) else super().get_schema_operation_parameters(view)
