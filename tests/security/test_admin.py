"""The admin deletes no shipment or rejected row; what it may change or delete goes to the audit trail."""
from datetime import date, datetime
from decimal import Decimal

import pytest
from django.contrib.auth.models import User
from django.urls import reverse
from django.utils import timezone

from couriers.models import Courier, CourierBill
from orders.models import Shipment
from recon.core.models import AuditEvent, ColumnMapping, RejectedRow
from recon.periods.services import period_get_or_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def shipment(zto):
    return Shipment.objects.create(
        order_no="SO-1", waybill_no="75312345678901", courier=zto, shipped_at=timezone.make_aware(datetime(2026, 10, 3, 10, 0)),
        weight_g=1250, province="广东", city="深圳", recipient_name="张三丰", recipient_phone="13812341234",
        recipient_address="广东省深圳市南山区科技园路1号",
    )


@pytest.fixture
def rejected_row(zto, finance_user):
    start, end = date(2026, 10, 1), date(2026, 10, 31)
    bill = CourierBill.objects.create(
        period=period_get_or_create(counterparty=zto.counterparty, start=start, end=end), courier=zto, period_start=start, period_end=end,
        file="bills/x.csv", original_filename="中通10月账单.csv", sha256="b" * 64, size_bytes=10, line_count=0, rejected_count=1,
        billed_total=Decimal("0"), uploaded_by=finance_user, read_info={},
    )
    return RejectedRow.objects.create(source=bill, sheet="csv", row_no=7, reason_code="bad_waybill", reason="运单号为科学计数法")


@pytest.fixture
def superuser():
    return User.objects.create_superuser("root", password="root-pass-123")


@pytest.mark.parametrize("who", ["manager_user", "superuser"])
def test_nobody_deletes_a_shipment_in_the_admin(client, request, who, shipment):
    client.force_login(request.getfixturevalue(who))
    assert client.get(reverse("admin:orders_shipment_delete", args=[shipment.pk])).status_code == 403
    assert client.post(reverse("admin:orders_shipment_delete", args=[shipment.pk]), {"post": "yes"}).status_code == 403
    changelist = client.get(reverse("admin:orders_shipment_changelist"))
    assert changelist.status_code == 200 and changelist.context["action_form"] is None  # no action, so no "delete selected"
    done = client.post(reverse("admin:orders_shipment_changelist"), {"action": "delete_selected", "_selected_action": [shipment.pk], "post": "yes"})
    assert done.status_code == 200  # "No action selected": the action does not exist
    assert client.get(reverse("admin:orders_shipment_add")).status_code == 403
    assert Shipment.objects.filter(pk=shipment.pk).exists()


@pytest.mark.parametrize("who", ["manager_user", "superuser"])
def test_rejected_rows_are_read_only_in_the_admin(client, request, who, rejected_row):
    client.force_login(request.getfixturevalue(who))
    assert client.get(reverse("admin:recon_rejectedrow_delete", args=[rejected_row.pk])).status_code == 403
    assert client.post(reverse("admin:recon_rejectedrow_delete", args=[rejected_row.pk]), {"post": "yes"}).status_code == 403
    assert client.post(reverse("admin:recon_rejectedrow_change", args=[rejected_row.pk]), {"reason": "rewritten"}).status_code == 403
    assert client.get(reverse("admin:recon_rejectedrow_change", args=[rejected_row.pk])).status_code == 200  # still readable
    rejected_row.refresh_from_db()
    assert rejected_row.reason == "运单号为科学计数法"


def test_a_managers_shipment_edit_is_in_the_trail_with_the_recipient_masked(client, manager_user, shipment):
    client.force_login(manager_user)
    url = reverse("admin:orders_shipment_change", args=[shipment.pk])
    form = client.get(url).context["adminform"].form
    data = {name: form[name].value() for name in form.fields}
    data = {k: ("" if v is None else v) for k, v in data.items()}
    data.update(recipient_phone="13998765678", weight_g=1300)
    data["shipped_at_0"], data["shipped_at_1"] = "2026-10-03", "10:00:00"
    data.pop("shipped_at", None)
    response = client.post(url, data, REMOTE_ADDR="198.51.100.4")
    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else response
    event = AuditEvent.objects.get(object_type="shipment")
    assert (event.object_id, event.action, event.actor_name, event.ip, event.note) == (shipment.pk, "change", "carol", "198.51.100.4", "admin")
    assert event.changes == {"weight_g": [1250, 1300], "recipient_phone": ["138****1234", "139****5678"]}


def test_deleting_several_rows_with_the_admin_action_is_in_the_trail(client, manager_user):
    couriers = list(Courier.objects.order_by("code")[:2])
    mappings = [ColumnMapping.objects.create(counterparty=c.counterparty, file_kind="courier_bill", mapping={"waybill_no": "单号"}) for c in couriers]
    client.force_login(manager_user)
    done = client.post(reverse("admin:recon_columnmapping_changelist"),
                       {"action": "delete_selected", "_selected_action": [m.pk for m in mappings], "post": "yes"})
    assert done.status_code == 302
    events = AuditEvent.objects.filter(object_type="columnmapping", action="delete").order_by("object_id")
    assert [(e.object_id, e.changes["mapping"], e.actor_name) for e in events] == [
        (m.pk, [{"waybill_no": "单号"}, None], "carol") for m in mappings
    ]
