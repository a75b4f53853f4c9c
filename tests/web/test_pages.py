"""Every page: login required, renders with real rows, English and Chinese, and a bounded number of queries."""
from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse

from orders.models import Shipment
from recon.core.models import ReconRun
from recon.review.services import discrepancies_carry_over
from tests.factories import RateCardFactory

from .conftest import make_bill, make_discrepancy, make_run, shipped_at

pytestmark = pytest.mark.django_db

PLAIN_PAGES = ["home", "bill-upload", "run-list", "discrepancy-list", "bill-list", "shipment-list", "shipment-import",
               "ratecard-list", "ratecard-import"]
PK_PAGES = {"run-detail": "run", "run-status": "run", "bill-detail": "bill", "bill-lines": "bill", "bill-rejected": "bill",
            "bill-rejected-download": "bill", "discrepancy-detail": "discrepancy", "ratecard-detail": "card"}


@pytest.fixture
def card(zto):
    return RateCardFactory(
        courier=zto, name="中通 2026", fee_tolerance_fen=5,
        bands=[("广东", 500, "3.00"), ("广东", 1000, "3.50"), ("上海", 500, "2.60")],
        zones=[("广东", 1000, "1.50"), ("上海", 1000, "1.00")],
    )


@pytest.fixture
def objects(reconciled, card):
    return {"run": reconciled["run"].pk, "bill": reconciled["bill"].pk, "discrepancy": reconciled["discrepancies"][0].pk,
            "card": card.pk}


def all_urls(objects):
    return [reverse(name) for name in PLAIN_PAGES] + [reverse(name, args=[objects[kind]]) for name, kind in PK_PAGES.items()]


def test_every_page_needs_a_login(client, objects):
    for url in all_urls(objects):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("login") + "?next="), url


def test_every_page_renders_for_a_clerk(clerk_client, objects):
    for url in all_urls(objects):
        assert clerk_client.get(url).status_code == 200, url


def test_login_page_renders(client):
    response = client.get(reverse("login"), HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    assert b'name="password"' in response.content


def test_run_page_shows_the_summary_and_links(clerk_client, reconciled):
    run, bill = reconciled["run"], reconciled["bill"]
    html = clerk_client.get(reverse("run-detail", args=[run.pk]), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    for text in ["¥15.10", "¥9.10", "¥6.00", "Rate overcharge", "Weight overcharge", "Unknown waybill"]:
        assert text in html, text
    assert f"{reverse('discrepancy-list')}?run={run.pk}&amp;type=weight_overcharge" in html
    assert f'{reverse("discrepancy-export")}?format=xlsx&amp;run={run.pk}' in html
    assert reverse("bill-rerun", args=[bill.pk]) in html
    assert reverse("bill-rejected", args=[bill.pk]) in html
    assert 'class="informational"' in html  # the rate_undercharge row
    assert "total row says" not in html


def test_run_page_warns_when_the_bills_total_row_differs(clerk_client, zto, finance_user):
    from .conftest import SUMMARY

    bill = make_bill(zto, finance_user)
    run = make_run(zto, finance_user, bill, summary={**SUMMARY, "file_totals_row": "16.00", "file_totals_match": False})
    html = clerk_client.get(reverse("run-detail", args=[run.pk]), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "The bill's own total row says ¥16.00, but its lines add up to ¥15.10" in html


def test_pending_run_polls_and_status_json(clerk_client, zto, finance_user):
    run = make_run(zto, finance_user, None, status="pending", phase="queued", progress_current=0, summary={}, finished_at=None)
    html = clerk_client.get(reverse("run-detail", args=[run.pk])).content.decode()
    assert f'data-run-status="{reverse("run-status", args=[run.pk])}"' in html
    assert "js/run-progress.js" in html
    ReconRun.objects.filter(pk=run.pk).update(status="running", phase="matching", progress_current=4)
    data = clerk_client.get(reverse("run-status", args=[run.pk]), HTTP_ACCEPT_LANGUAGE="en").json()
    assert data == {"status": "running", "phase": "matching", "phase_label": "Matching", "percent": 66, "finished": False,
                    "url": reverse("run-detail", args=[run.pk])}


def test_failed_header_run_shows_what_was_found_and_expected(clerk_client, zto, finance_user):
    run = make_run(
        zto, finance_user, None, status="failed", phase="failed", summary={}, error_code="header_not_found",
        error="No header row with the expected columns was found in “x.csv”. Required: waybill_no, billed_fee.",
        error_details={"headers_found": {"Sheet1": ["单据号", "金额合计"]},
                       "expected": {"waybill_no": ["运单号", "快递单号"], "billed_fee": ["运费"]},
                       "required": ["waybill_no", "billed_fee"]},
    )
    html = clerk_client.get(reverse("run-detail", args=[run.pk]), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "No header row with the expected columns" in html
    assert "单据号" in html and "金额合计" in html and "快递单号" in html
    assert f"{reverse('bill-upload')}?courier=ZTO&amp;period=2026-10&amp;advanced=1" in html
    upload = clerk_client.get(reverse("bill-upload") + "?courier=ZTO&period=2026-10&advanced=1").content.decode()
    assert '<details class="advanced" open>' in upload


def test_discrepancy_detail_shows_line_shipment_and_card_arithmetic(clerk_client, reconciled, card):
    d = reconciled["discrepancies"][0]
    d.details = {**d.details, "card_id": card.pk, "fee_billed_fen": 260, "fee_zone_fen": 300, "fee_ours_fen": 300}
    d.save()
    html = clerk_client.get(reverse("discrepancy-detail", args=[d.pk]), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "SO-1" in html  # our shipment's order
    assert ">2.60<" in html and ">3.00<" in html
    assert reverse("ratecard-detail", args=[card.pk]) in html
    assert '<td class="num">2</td><td class="num">1.25</td>' in html  # billed / our weight in kg
    assert '<td class="num money">4.60</td><td class="num money">2.60</td>' in html


def test_rate_card_page_shows_the_fee_table(clerk_client, card):
    html = clerk_client.get(reverse("ratecard-detail", args=[card.pk]), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "≤ 0.5 kg" in html and "≤ 1 kg" in html
    assert ">3.50<" in html and ">1.50<" in html
    assert "¥0.05" in html  # fee tolerance of 5 fen


def test_english_labels_with_accept_language(clerk_client, reconciled):
    html = clerk_client.get(reverse("home"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert '<html lang="en">' in html
    assert "Upload bill" in html and "Discrepancies" in html and "Rate cards" in html


def test_language_switch_posts_to_set_language(clerk_client):
    response = clerk_client.post(reverse("set_language"), {"language": "en", "next": reverse("run-list")})
    assert response.status_code == 302 and response["Location"] == reverse("run-list")
    html = clerk_client.get(reverse("run-list")).content.decode()
    assert '<html lang="en">' in html and "Reconciliation runs" in html


def test_chinese_is_the_default_and_renders(clerk_client, reconciled):
    for name in PLAIN_PAGES:
        response = clerk_client.get(reverse(name))
        assert response.status_code == 200
        assert '<html lang="zh-hans">' in response.content.decode()


def test_logout_is_a_post_form(clerk_client):
    html = clerk_client.get(reverse("home")).content.decode()
    assert f'action="{reverse("logout")}" method="post"' in html
    assert clerk_client.post(reverse("logout")).status_code == 302
    assert clerk_client.get(reverse("home")).status_code == 302


def test_admin_link_only_for_staff(client, finance_user, manager_user):
    client.force_login(finance_user)
    assert reverse("admin:index") not in client.get(reverse("home")).content.decode()
    client.force_login(manager_user)
    assert reverse("admin:index") in client.get(reverse("home")).content.decode()


def test_dashboard_totals_by_courier_count_latest_run_of_each_bill_only(clerk_client, reconciled, zto, finance_user):
    # The bill is reconciled again: only the newer run counts, not both.
    newer = make_run(zto, finance_user, reconciled["bill"])
    make_discrepancy(newer, "ZT77777777", "rate_overcharge", "100.00", "103.00", "3.00")
    make_discrepancy(newer, "ZT77777778", "not_billed", "9.00", "0.00", "9.00")  # informational: not a claim
    discrepancies_carry_over(source_id=reconciled["bill"].id, run_id=newer.id)  # what saving a run does
    stakes = clerk_client.get(reverse("home"), {"period": "2026-10"}).context["stakes"]
    # Both rows of the newer run are counted; the informational one holds no money at stake.
    assert [(s["label"], s["at_stake"], s["count"]) for s in stakes] == [("中通", Decimal("100.00"), 2)]


# --------------------------------------------------------------------------- query budgets with 60 rows


@pytest.fixture
def sixty(zto, finance_user):
    bill = make_bill(zto, finance_user, sha="b" * 64, lines=60, rejected=60)
    for i in range(60):
        run = make_run(zto, finance_user, bill)
    for i in range(60):
        make_discrepancy(run, f"ZT5{i:07d}", "rate_overcharge" if i % 3 else "not_billed", f"{i}.25", "9.00", "3.00", line_no=i + 1)
    Shipment.objects.bulk_create(
        Shipment(order_no=f"SO{i}", waybill_no=f"ZT6{i:07d}", courier=zto, shipped_at=shipped_at(1 + i % 28), weight_g=800,
                 length_mm=100, width_mm=100, height_mm=100, province="上海")
        for i in range(60)
    )
    for i in range(60):
        RateCardFactory(courier=zto, effective_from=date(2020, 1, 1), name=f"card {i}")
    for i in range(59):
        make_bill(zto, finance_user, sha=f"{i:064d}", lines=1, rejected=0)
    return bill


@pytest.mark.parametrize("name", ["home", "run-list", "discrepancy-list", "bill-list", "shipment-list", "ratecard-list"])
def test_list_query_budget(clerk_client, sixty, django_assert_max_num_queries, name):
    # The home page is the dashboard: a query per panel (month picker, money, billed, counterparties, types, oldest
    # items, failed runs, stakes, recent runs, receivables) and the bell's count, none growing with the 60 bills.
    with django_assert_max_num_queries(17 if name == "home" else 15):
        response = clerk_client.get(reverse(name))
    assert response.status_code == 200


@pytest.mark.parametrize("name", ["bill-lines", "bill-rejected", "bill-detail"])
def test_bill_page_query_budget(clerk_client, sixty, django_assert_max_num_queries, name):
    with django_assert_max_num_queries(15):
        response = clerk_client.get(reverse(name, args=[sixty.pk]))
    assert response.status_code == 200
    if name != "bill-detail":
        assert response.context["page_obj"].paginator.count == 60


def test_rejected_rows_download_is_utf8_with_bom(clerk_client, reconciled):
    response = clerk_client.get(reverse("bill-rejected-download", args=[reconciled["bill"].pk]))
    assert response["Content-Disposition"] == f'attachment; filename="bill-{reconciled["bill"].pk}-rejected.csv"'
    assert response.content.startswith(b"\xef\xbb\xbf")
    lines = response.content.decode("utf-8-sig").splitlines()
    assert lines == ["sheet,row_no,reason_code,reason,raw", 'csv,100,fee_invalid,运费不是数字,"ZT999,abc"']


def test_bill_lines_filter_by_result(clerk_client, reconciled):
    bill = reconciled["bill"]
    response = clerk_client.get(reverse("bill-lines", args=[bill.pk]) + "?result=discrepancy")
    assert [line.waybill_no for line in response.context["rows"]] == ["ZT00000001", "ZT00000003"]
