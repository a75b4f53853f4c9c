"""Figures as the reports print them: money ¥1,234.50, rates 12.5%."""
from django import template

from reports.charts import format_value

register = template.Library()


@register.filter
def yuan(value) -> str:
    return format_value(value if value is not None else 0, "money")


@register.filter
def percent(value) -> str:
    return "–" if value is None else format_value(value, "percent")


@register.filter
def get(mapping, key):
    return mapping.get(key) if hasattr(mapping, "get") else None
