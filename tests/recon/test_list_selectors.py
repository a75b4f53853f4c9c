"""Every list reads through one selector per FilterSet: the queue page, its API, its export and a dispute selection
select the same rows for the same filter; the audit trail and the periods likewise."""
import csv
import io
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from django.utils import timezone

from recon.core.models import AuditEvent
from recon.audit.selectors import audit_event_list
from recon.review.selectors import discrepancies_from_query
from recon.periods.selectors import recon_period_list
from tests.factories import CourierBillFactory, DiscrepancyFactory, ReconRunFactory, UserFactory

pytestmark = pytest.mark.django_db

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def queue():
    """Rows of two couriers, two types, several amounts; one left behind by a rerun (not current)."""
    zto_run = ReconRunFactory(courier_bill=CourierBillFactory(courier__code="ZTO"))
    yto_run = ReconRunFactory(courier_bill=CourierBillFactory(courier__code="YTO"))
    rows = [
        (zto_run, "ZT0000000001", "rate_overcharge", "5.00"),
        (zto_run, "ZT0000000002", "rate_overcharge", "0.50"),
        (zto_run, "ZT0000000003", "weight_overcharge", "8.00"),
        (zto_run, "ZX0000000004", "rate_overcharge", "9.00"),
        (yto_run, "YT0000000005", "rate_overcharge", "7.00"),
    ]
    made = {w: DiscrepancyFactory(run=run, waybill_no=w, type=t, amount_at_stake=Decimal(a)) for run, w, t, a in rows}
    DiscrepancyFactory(run=zto_run, waybill_no="ZT0000000006", type="rate_overcharge", amount_at_stake=Decimal("6.00"),
                       is_current=False)
    return made


QUERY = "courier=ZTO&type=rate_overcharge&amount_min=1&q=ZT0"


def test_the_page_the_api_the_export_and_a_dispute_select_the_same_rows(client, queue):
    user = UserFactory(username="fiona", role="manager")
    client.force_login(user)
    page = client.get(f"/discrepancies/?{QUERY}")
    api = client.get(f"/api/v1/discrepancies/?{QUERY}")
    export = client.get(f"/discrepancies/export/?{QUERY}&format=csv")
    assert (page.status_code, api.status_code, export.status_code) == (200, 200, 200)
    on_page = [d.ref for d in page.context["rows"]]
    in_api = [row["waybill_no"] for row in api.json()["results"]]
    exported = [row["waybill_no"] for row in csv.DictReader(io.StringIO(export.content.decode("utf-8-sig")))]
    disputed = sorted(d.ref for d in discrepancies_from_query(query=QUERY, user=user))
    # Only ZT…01 (ZTO, rate, ¥5.00 ≥ ¥1, prefix ZT0): not the ¥0.50 row, the weight row, ZX…, YTO, or the old row.
    assert on_page == in_api == exported == disputed == ["ZT0000000001"]
    totals = client.get(f"/api/v1/discrepancies/totals/?{QUERY}").json()
    assert (totals["total"]["count"], totals["total"]["at_stake"]) == (1, "5.00")


def test_a_wider_filter_selects_the_same_rows_everywhere(client, queue):
    client.force_login(UserFactory(username="fiona", role="manager"))
    query = "type=rate_overcharge"
    on_page = [d.ref for d in client.get(f"/discrepancies/?{query}").context["rows"]]
    in_api = [row["waybill_no"] for row in client.get(f"/api/v1/discrepancies/?{query}").json()["results"]]
    export = client.get(f"/discrepancies/export/?{query}&format=csv").content.decode("utf-8-sig")
    exported = [row["waybill_no"] for row in csv.DictReader(io.StringIO(export))]
    assert on_page == in_api == exported == ["ZX0000000004", "YT0000000005", "ZT0000000001", "ZT0000000002"]


def test_each_filterset_is_built_in_one_place():
    """No view, API or export builds a list's FilterSet itself: they call the selector that does."""
    built = {name: [] for name in ("DiscrepancyFilter(", "AuditEventFilter(", "ReconPeriodFilter(")}
    for app in ("recon", "couriers", "orders", "returns", "reports"):
        for path in (REPO / app).rglob("*.py"):
            text = path.read_text(encoding="utf-8")
            for name in built:
                if name in text.replace(f"class {name}", ""):
                    built[name].append(str(path.relative_to(REPO)))
    assert built == {"DiscrepancyFilter(": ["recon/review/selectors.py"], "AuditEventFilter(": ["recon/audit/selectors.py"],
                     "ReconPeriodFilter(": ["recon/periods/selectors.py"]}


def test_the_audit_page_its_export_and_the_api_filter_alike(client):
    auditor = UserFactory(username="audrey", role="auditor")
    tz = timezone.get_current_timezone()
    for i, (actor, kind, day) in enumerate([("olivia", "discrepancy", 3), ("olivia", "period", 4), ("carol", "discrepancy", 5)]):
        AuditEvent.objects.create(at=datetime(2026, 10, day, 23, 30, tzinfo=tz), actor_name=actor, object_type=kind,
                                  object_id=i + 1, action="status")
    ids = lambda qs: sorted(e.object_id for e in qs)  # noqa: E731
    assert ids(audit_event_list(params={"actor": " olivia ", "object_type": "discrepancy"})) == [1]
    assert ids(audit_event_list(params={"since": "2026-10-04", "until": "2026-10-04"})) == [2]
    assert ids(audit_event_list(params={"object_id": "seven"})) == []
    client.force_login(auditor)
    page = client.get("/audit/?actor=olivia&since=2026-10-04")
    api = client.get("/api/v1/audit-events/?actor=olivia&object_type=period")
    export = client.get("/audit/export/?actor=olivia&since=2026-10-04&format=csv").content.decode("utf-8-sig")
    assert [e.object_id for e in page.context["rows"]] == [2]
    assert [e["object_id"] for e in api.json()["results"]] == [2]
    assert [int(r["object_id"]) for r in csv.DictReader(io.StringIO(export))] == [2]


def test_the_period_page_and_the_api_filter_alike(client):
    CourierBillFactory(courier__code="ZTO", period_start=date(2026, 9, 1), period_end=date(2026, 9, 30))
    CourierBillFactory(courier__code="ZTO")
    CourierBillFactory(courier__code="YTO")
    client.force_login(UserFactory(username="fiona", role="manager"))
    labels = lambda periods: [(p.counterparty.code, p.start.isoformat()) for p in periods]  # noqa: E731
    expected = [("ZTO", "2026-10-01"), ("ZTO", "2026-09-01")]
    assert labels(recon_period_list(params={"courier": "zto"})) == expected
    assert labels(client.get("/periods/?courier=zto").context["rows"]) == expected
    assert [(p["courier"], p["start"]) for p in client.get("/api/v1/periods/?courier=zto").json()["results"]] == expected
    assert labels(recon_period_list(params={"courier": "zto", "status": "half-open"})) == []
