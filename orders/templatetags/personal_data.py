"""Recipients' personal data in templates: `{{ s.recipient_phone|masked_phone:perms.orders.view_personal_data }}`.

The argument says whether the viewer may see the real value; without it the value is masked.
"""
from django import template

from orders.masking import mask_address, mask_name, mask_phone

register = template.Library()


@register.filter
def masked_name(value, reveal=False):
    return value if reveal else mask_name(value)


@register.filter
def masked_phone(value, reveal=False):
    return value if reveal else mask_phone(value)


@register.filter
def masked_address(value, reveal=False):
    return value if reveal else mask_address(value)
