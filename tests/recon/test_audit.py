"""The trail of everything but discrepancies: bills, rate cards (import and admin edits), settings; its page and export."""
import csv
import io
import openpyxl
import pytest
from django.urls import reverse

from recon.core.models import AuditEvent

pytestmark = pytest.mark.django_db


def test_rate_card_import_and_admin_edits_are_recorded(demo_rate_card, manager_user, client):
    card = demo_rate_card
    created = AuditEvent.objects.get(object_type="rate_card", object_id=card.id, action="create")
    assert created.changes["effective_from"] == [None, "2026-01-01"] and created.changes["file"] == [None, "zto-报价单.xlsx"]
    client.force_login(manager_user)
    url = reverse("admin:couriers_ratecard_change", args=[card.pk])
    form = client.get(url).context["adminform"].form
    data = {k: ("" if v is None else v) for k, v in form.initial.items() if k in form.fields}
    data.update({"courier": card.courier_id, "effective_from": "2026-01-01", "fee_tolerance_fen": 5, "weight_tolerance_g": 0,
                 "volumetric_divisor": 8000, "name": card.name, "effective_to": ""})
    for prefix, rel in (("zones", card.zones), ("bands", card.bands)):
        rows = list(rel.all())
        data.update({f"{prefix}-TOTAL_FORMS": len(rows), f"{prefix}-INITIAL_FORMS": len(rows), f"{prefix}-MIN_NUM_FORMS": 0, f"{prefix}-MAX_NUM_FORMS": 1000})
        for i, row in enumerate(rows):
            data[f"{prefix}-{i}-id"] = row.pk
            data[f"{prefix}-{i}-rate_card"] = card.pk
            for f in ("province", "step_g", "step_price", "upper_g", "price"):
                if hasattr(row, f):
                    value = getattr(row, f)
                    data[f"{prefix}-{i}-{f}"] = "" if value is None else value
    response = client.post(url, data, REMOTE_ADDR="198.51.100.9")
    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else response
    change = AuditEvent.objects.get(object_type="rate_card", object_id=card.id, action="change")
    assert change.changes == {"fee_tolerance_fen": [0, 5]}
    assert (change.actor_name, change.ip, change.note) == ("carol", "198.51.100.9", "admin")


def test_settings_page_changes_are_recorded_and_managers_only(client, manager_user, ops_user):
    client.force_login(ops_user)
    client.post(reverse("settings"), {})
    assert not AuditEvent.objects.filter(object_type="setting").exists()
    client.force_login(manager_user)
    client.post(reverse("settings"), {})  # the box unticked: ops may work everything
    event = AuditEvent.objects.get(object_type="setting")
    assert (event.changes, event.actor_name) == ({"ops_edit_own_only": [True, False]}, "carol")


def test_the_trail_page_filters_and_exports(reconciled, ops_user, manager_user, auditor_user, client):
    from recon.review.services import discrepancy_set_status

    d = reconciled["discrepancies"][0]
    discrepancy_set_status(discrepancy=d, status="investigating", user=ops_user)
    discrepancy_set_status(discrepancy=d, status="open", user=ops_user)
    client.force_login(auditor_user)
    page = client.get(reverse("audit-list"), {"object_type": "discrepancy", "object_id": d.pk})
    assert [(e.action, e.changes["status"]) for e in page.context["rows"]] == [("status", ["investigating", "open"]), ("status", ["open", "investigating"])]
    text = client.get(reverse("audit-export"), {"object_type": "discrepancy", "format": "csv"}).content.decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [(r["user"], r["action"], r["object_id"]) for r in rows] == [("olivia", "status", str(d.pk))] * 2
    assert rows[0]["changes"] == '{"status": ["open", "investigating"]}'
    book = openpyxl.load_workbook(io.BytesIO(client.get(reverse("audit-export"), {"format": "xlsx", "actor": "olivia"}).content))
    assert book.active.max_row == 3  # header and two events
    client.force_login(ops_user)
    assert client.get(reverse("audit-list")).status_code == 403


def test_bill_upload_is_recorded_with_the_uploaders_address(demo_rate_card, zto, finance_user, tmp_path, client, no_enqueue):
    from recon.runs import services as run_services
    from couriers.demo_data import generate, write_messy_csv

    data = generate(50, seed=5)
    path = tmp_path / "bill.csv"
    write_messy_csv(data.bill, path)
    client.force_login(finance_user)
    with open(path, "rb") as fh:
        response = client.post(reverse("bill-upload"), {"file": fh, "courier": "ZTO", "period": "2026-10"}, REMOTE_ADDR="192.0.2.44")
    assert response.status_code == 302
    run_services.run_execute(run_id=no_enqueue[0])
    event = AuditEvent.objects.get(object_type="courier_bill", action="create")
    assert (event.actor_name, event.ip, event.changes["file"]) == ("alice", "192.0.2.44", [None, "bill.csv"])


def test_each_object_page_shows_its_history(demo_rate_card, reconciled, manager_user, client):
    from couriers.services import courier_bill_delete, courier_bill_restore

    courier_bill_delete(bill=reconciled["bill"], user=manager_user)
    courier_bill_restore(bill=reconciled["bill"], user=manager_user)
    client.force_login(manager_user)
    pages = {
        reverse("ratecard-detail", args=[demo_rate_card.pk]): ["create"],
        reverse("bill-detail", args=[reconciled["bill"].pk]): ["restore", "delete"],
    }
    for url, actions in pages.items():
        history = client.get(url).context["history"]
        assert [e.action for e in history] == actions, url


def test_the_trail_names_each_object_and_shows_money_and_local_time_in_the_readers_words(reconciled, ops_user, manager_user, auditor_user, client):
    from couriers.services import courier_bill_delete
    from recon.review.services import discrepancy_resolve

    d = reconciled["discrepancies"][0]
    bill = reconciled["bill"]
    discrepancy_resolve(discrepancy=d, outcome="recovered", amount=d.amount_at_stake, user=ops_user)
    courier_bill_delete(bill=bill, user=manager_user)
    deleted_at = AuditEvent.objects.get(object_type="courier_bill", object_id=bill.pk, action="delete").changes["deleted_at"][1]
    from django.utils import timezone
    from django.utils.dateparse import parse_datetime

    local = timezone.localtime(parse_datetime(deleted_at)).strftime("%Y-%m-%d %H:%M:%S")
    client.force_login(auditor_user)
    page = client.get(reverse("audit-list"), {"object_type": "discrepancy", "object_id": d.pk})
    html = page.content.decode()
    assert [e.object_name for e in page.context["rows"]] == [f"差异 {d.ref}"]
    assert f'<a href="/discrepancies/{d.pk}/">差异 {d.ref}</a>' in html
    money = f"¥{d.amount_at_stake:,.2f}"
    assert f"追回金额: — → {money}" in " ".join(html.split()).replace('<span class="muted">', "").replace("</span>", "")

    book = openpyxl.load_workbook(io.BytesIO(client.get(reverse("audit-export"), {"format": "xlsx"}).content))
    sheet = book.active
    rows = [[c.value for c in r] for r in sheet.iter_rows()]
    assert rows[0] == ["时间", "操作人", "IP 地址", "对象", "操作", "原值 → 新值", "备注"]
    by_object = {r[3]: r for r in rows[1:]}
    resolved = by_object[f"差异 {d.ref}"]
    assert resolved[4] == "已解决" and f"追回金额: — → {money}" in resolved[5] and "状态: 待处理 → 已解决" in resolved[5]
    deleted = by_object[f"账单 #{bill.pk} ({bill.original_filename})"]
    assert deleted[4] == "已删除" and deleted[5] == f"删除时间: — → {local}"
    # The CSV keeps its codes for the tools that read it.
    text = client.get(reverse("audit-export"), {"format": "csv", "object_type": "courier_bill"}).content.decode("utf-8-sig")
    assert next(csv.reader(io.StringIO(text))) == ["id", "at", "user", "ip", "object_type", "object_id", "action", "changes", "note"]
