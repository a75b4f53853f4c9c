from __future__ import annotations

import django_filters
from django.utils.translation import gettext_lazy as _

from recon.sources.models import RejectedRow


class RejectedRowFilter(django_filters.FilterSet):
    reason_code = django_filters.CharFilter(field_name="reason_code", label=_("reason"))

    class Meta:
        model = RejectedRow
        fields = ["reason_code", "sheet"]
