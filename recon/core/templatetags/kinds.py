"""Labels of kinds and discrepancy types from the kinds' specs (the model's choices know only the first kind)."""
from django import template

from recon.kinds import kind_label, type_label

register = template.Library()


@register.filter(name="type_label")
def type_label_filter(code: str):
    return type_label(code)


@register.filter(name="kind_label")
def kind_label_filter(code: str):
    return kind_label(code)
