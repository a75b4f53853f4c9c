from __future__ import annotations

from rest_framework import serializers

from recon.sources.models import RejectedRow


class RejectedRowSerializer(serializers.ModelSerializer):
    class Meta:
        model = RejectedRow
        fields = ["id", "sheet", "row_no", "reason_code", "reason", "raw"]
