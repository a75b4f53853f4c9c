"""The queue's page query: a page's ids are picked first (from an index alone where one covers the filter), then only
those rows are fetched with their courier, assignee and period."""
from decimal import Decimal

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from recon.core.models import Discrepancy
from recon.review.selectors import discrepancy_list, keyset_page
from tests.factories.recon import DiscrepancyFactory, ReconRunFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def prefixed(ops_user):
    """Four current rows whose waybill starts 753187 (one assigned), one replaced by a rerun, and rows of other waybills."""
    run = ReconRunFactory()
    for n, (waybill, amount) in enumerate([("75318700000001", "3.00"), ("75318700000002", "9.50"), ("75318799999999", "0.70"),
                                           ("75318712345678", "9.50"), ("75319900000001", "50.00"), ("75310000000001", "20.00")]):
        DiscrepancyFactory(run=run, waybill_no=waybill, amount_at_stake=Decimal(amount), assignee=ops_user if n == 2 else None)
    DiscrepancyFactory(run=run, waybill_no="75318755555555", amount_at_stake=Decimal("99.00"), is_current=False)
    return run


def test_a_page_picks_its_ids_first_and_loads_its_rows_whole_in_one_query(prefixed, ops_user):
    queryset = discrepancy_list(params={"waybill_no": "753187"}, user=ops_user,
                                queryset=Discrepancy.objects.select_related("counterparty", "assignee", "period"))
    with CaptureQueriesContext(connection) as captured:
        page = keyset_page(queryset, ordering=None, cursor=None, size=3, ids_first=True)
        shown = [(d.ref, str(d.amount_at_stake), d.counterparty.code, d.assignee and d.assignee.username) for d in page.rows]
    assert shown == [("75318700000002", "9.50", "ZTO", None), ("75318712345678", "9.50", "ZTO", None), ("75318700000001", "3.00", "ZTO", None)]
    assert len(captured.captured_queries) == 1
    sql = captured.captured_queries[0]["sql"]
    # The inner query selects the ids alone; the outer one joins the related rows of those ids only.
    assert 'WHERE "recon_discrepancy"."id" IN (SELECT U0."id" AS "id" FROM "recon_discrepancy" U0 WHERE' in sql
    assert sql.count("LIMIT 4") == 1

    second = keyset_page(queryset, ordering=None, cursor=page.next_cursor, size=3, ids_first=True)
    assert [(d.ref, d.assignee.username) for d in second.rows] == [("75318799999999", "olivia")]
    assert second.next_cursor is None


@pytest.mark.parametrize(("params", "ids_first", "expected"), [
    ({"waybill_no": "753187"}, True, ["75318700000002", "75318712345678", "75318700000001", "75318799999999"]),
    ({"waybill_no": "7531870000"}, True, ["75318700000002", "75318700000001"]),
    ({"q": "7531870000"}, False, ["75318700000002", "75318700000001"]),
    ({"q": " "}, False, ["75319900000001", "75310000000001", "75318700000002", "75318712345678", "75318700000001", "75318799999999"]),
    ({"status": "open", "amount_min": "9"}, False, ["75319900000001", "75310000000001", "75318700000002", "75318712345678"]),
])
def test_the_queue_page_and_the_api_pick_ids_first_for_a_waybill_prefix_only(prefixed, ops_client, params, ids_first, expected):
    for url in (reverse("discrepancy-list"), reverse("api-discrepancy-list")):
        with CaptureQueriesContext(connection) as captured:
            response = ops_client.get(url, params)
        assert response.status_code == 200
        shown = [d.ref for d in response.context["rows"]] if "rows" in (response.context or {}) else [r["waybill_no"] for r in response.json()["results"]]
        assert shown == expected
        main = [q["sql"] for q in captured.captured_queries if 'FROM "recon_discrepancy"' in q["sql"] and "LIMIT 51" in q["sql"]]
        assert len(main) == 1
        assert ('"recon_discrepancy"."id" IN (SELECT U0."id"' in main[0]) is ids_first


@pytest.mark.postgres
def test_the_waybill_prefix_page_reads_its_ids_from_the_index_alone(prefixed, ops_user):
    """At a million rows, a 6-digit prefix matches thousands: fetching each of them from the table to sort them by money
    was most of the page's query time. The covering index answers the filter and the sort without the table."""
    columns = [f.column for f in Discrepancy._meta.concrete_fields if f.column != "id"]
    # A table where 1 row in 60 has the prefix, big enough for the planner to weigh its indexes as at scale.
    copied = ", ".join("'7530' || lpad(g::text, 10, '0')" if c == "ref" else f'd."{c}"' for c in columns)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f'INSERT INTO recon_discrepancy ({", ".join(columns)}) '
                       f"SELECT {copied} FROM recon_discrepancy d CROSS JOIN generate_series(1, 60) g")
        cursor.execute("ANALYZE recon_discrepancy")
        # As VACUUM leaves them (it cannot run inside the test's transaction): an index-only scan needs the table's
        # pages marked all-visible.
        cursor.execute("UPDATE pg_class SET relallvisible = relpages WHERE relname = 'recon_discrepancy'")
        queryset = discrepancy_list(params={"waybill_no": "753187"}, user=ops_user,
                                    queryset=Discrepancy.objects.select_related("counterparty", "assignee", "period"))
        with CaptureQueriesContext(connection) as captured:
            page = keyset_page(queryset, ordering=None, cursor=None, ids_first=True)
        cursor.execute(f"EXPLAIN {captured.captured_queries[0]['sql']}")
        plan = "\n".join(row[0] for row in cursor.fetchall())
        transaction.set_rollback(True)
    assert [d.ref for d in page.rows] == ["75318700000002", "75318712345678", "75318700000001", "75318799999999"]
    assert "Index Only Scan using disc_ref_prefix_cover on recon_discrepancy u0" in plan, plan
