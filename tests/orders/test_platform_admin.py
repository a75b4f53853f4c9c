"""A manager edits a platform's contract in the admin; each change is in the audit trail; a bad fee rate is refused."""
from decimal import Decimal

import pytest

from orders.models import Platform
from recon.core.models import AuditEvent

pytestmark = pytest.mark.django_db


def form(**changes) -> dict:
    data = {"name": "京东", "aliases": "JD.com\n京东商城", "fee_rate": "0.08", "settle_within_days": "10", "ship_within_hours": "24",
            "payer_names": "网银在线（北京）科技有限公司", "active": "on"}
    data.update(changes)
    return data


def test_the_list_shows_every_platform(client, manager_user):
    client.force_login(manager_user)
    html = client.get("/admin/orders/platform/").content.decode()
    for code in ("TMALL", "TAOBAO", "JD", "PDD", "DOUYIN", "KUAISHOU", "WXSHOP", "OWN"):
        assert f">{code}<" in html


def test_a_manager_changes_the_contract_and_the_trail_records_it(client, manager_user):
    jd = Platform.objects.get(code="JD")
    client.force_login(manager_user)
    response = client.post(f"/admin/orders/platform/{jd.pk}/change/", form())
    assert response.status_code == 302
    jd.refresh_from_db()
    assert (jd.fee_rate, jd.settle_within_days, jd.ship_within_hours, jd.aliases, jd.payer_names) == (
        Decimal("0.080000"), 10, 24, ["JD.com", "京东商城"], ["网银在线（北京）科技有限公司"])
    event = AuditEvent.objects.get(object_type="platform", object_id=jd.pk)
    assert (event.action, event.note, event.actor_name, event.changes["fee_rate"][1], event.changes["payer_names"][1]) == (
        "change", "admin", "carol", "0.08", ["网银在线（北京）科技有限公司"])


def test_a_fee_rate_of_one_or_more_is_refused(client, manager_user):
    jd = Platform.objects.get(code="JD")
    client.force_login(manager_user)
    response = client.post(f"/admin/orders/platform/{jd.pk}/change/", form(fee_rate="1.5"))
    assert response.status_code == 200
    assert "费率“1.5”不是 0（含）到 1（不含）之间、最多 6 位小数的小数，例如 0.05 或 5%。" in response.content.decode()
    assert Platform.objects.get(code="JD").fee_rate == jd.fee_rate
    assert not AuditEvent.objects.filter(object_type="platform").exists()
