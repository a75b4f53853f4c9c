"""Texts stored in the product's language (a run's error, a discrepancy's reason) shown in the reader's."""
from django import template

from recon.core.stored_text import stored_reason as _stored_reason
from recon.core.stored_text import stored_text as _stored_text

register = template.Library()


@register.filter
def stored_text(value):
    """A run's error in the reader's language: {{ run.error|stored_text }}."""
    return _stored_text(value) if isinstance(value, str) else value


@register.filter
def stored_reason(value):
    """A discrepancy's reason in the reader's language: {{ d.reason|stored_reason }}."""
    return _stored_reason(value) if isinstance(value, str) else value
