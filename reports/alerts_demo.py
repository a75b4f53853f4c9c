"""The demo's alert rule (for `manage.py seed_demo`): money at stake above ¥50 in a run, for the demo manager, created
before the kinds' demo runs so that they cross it."""
from __future__ import annotations

from decimal import Decimal

from django.contrib.auth import get_user_model

from .alerts_models import AlertRule

DEMO_RULE = "运单差异金额超过 ¥50（每次对账）"


def alerts_demo_seed(*, manager: str, stdout) -> list[str]:
    """Create the demo rule once, subscribed by the manager (given an address, so the console mail log shows the email)."""
    user = get_user_model().objects.get(username=manager)
    if not user.email:
        user.email = f"{manager}@example.com"
        user.save(update_fields=["email"])
    rule, created = AlertRule.objects.get_or_create(name=DEMO_RULE, defaults={
        "rule_type": AlertRule.Type.RUN_AT_STAKE, "threshold_amount": Decimal("50.00"), "created_by": user})
    rule.subscribers.add(user)
    if created:
        stdout.write(f"alert rule: {DEMO_RULE} → {manager}")
    return [f"Alerts: {manager} is notified (the bell, and an email in the console log) when a run has more than ¥50 at stake."]
