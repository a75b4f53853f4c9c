"""Uploading a bill through the page, then the worker's service, then what the clerk sees; and the other imports."""
import io
from datetime import date

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from couriers.models import CourierBill, RateCard
from orders.models import Shipment
from recon.runs import services as run_services
from recon.core.models import Discrepancy, ReconRun

from .conftest import make_bill, make_run, shipped_at

pytestmark = pytest.mark.django_db

# Demo card prices: 上海/浙江 (near) ≤0.5kg ¥2.60, ≤1kg ¥3.00, ≤2kg ¥4.00; 广东 (mid) ≤1kg ¥3.50.
BILL_CSV = """运单号,揽收时间,目的省份,计费重量(kg),运费(元)
ZT0000000001,2026-10-03 10:00,广东省,1.0,3.50
ZT0000000002,2026-10-04 11:00,浙江省,0.5,4.60
ZT0000000003,2026-10-05 12:00,上海市,2.0,4.00
ZT0000009999,2026-10-06 13:00,广东省,1.0,3.00
"""


@pytest.fixture
def our_shipments(zto):
    for i, (province, weight_g) in enumerate([("广东", 1000), ("浙江", 500), ("上海", 800)], start=1):
        Shipment.objects.create(order_no=f"SO{i}", waybill_no=f"ZT000000000{i}", courier=zto, shipped_at=shipped_at(2 + i),
                                weight_g=weight_g, province=province)


def upload(client, content: bytes, name="zto-2026-10.csv", **extra):
    data = {"courier": "ZTO", "period": "2026-10", "file": SimpleUploadedFile(name, content, content_type="text/csv")}
    data.update(extra)
    return client.post(reverse("bill-upload"), data, HTTP_ACCEPT_LANGUAGE="en")


def test_upload_page_defaults_to_last_month_and_lists_active_couriers(clerk_client):
    from couriers.forms import last_month

    html = clerk_client.get(reverse("bill-upload")).content.decode()
    assert f'value="{last_month()}"' in html and 'list="period-hints"' in html
    assert '<option value="ZTO">ZTO 中通</option>' in html
    assert 'accept=".csv,.xlsx,.xls"' in html
    assert '<details class="advanced">' in html  # closed unless asked for


def test_empty_file_shows_the_services_message_and_creates_nothing(clerk_client, no_enqueue):
    response = upload(clerk_client, b"")
    assert response.status_code == 200
    errors = response.context["form"].errors["file"]
    assert len(errors) == 1 and "empty" in errors[0]
    assert errors[0] in response.content.decode()
    assert ReconRun.objects.count() == 0 and no_enqueue == []


def test_xhr_upload_answers_json(clerk_client, no_enqueue):
    bad = clerk_client.post(reverse("bill-upload"), {"courier": "ZTO", "period": "10/2026", "file": SimpleUploadedFile("b.csv", b"")},
                            HTTP_ACCEPT="application/json")
    assert bad.status_code == 400
    assert set(bad.json()["errors"]) == {"period"}
    good = clerk_client.post(reverse("bill-upload"), {"courier": "ZTO", "period": "2026-10", "file": SimpleUploadedFile("b.csv", BILL_CSV.encode())},
                             HTTP_ACCEPT="application/json")
    run = ReconRun.objects.get()
    assert good.status_code == 200 and good.json() == {"redirect": reverse("run-detail", args=[run.pk])}
    assert no_enqueue == [run.pk]


def test_mapping_overrides_reach_the_run(clerk_client, no_enqueue):
    response = upload(clerk_client, BILL_CSV.encode(), map_waybill_no="  运单号 ", map_billed_fee="运费(元)", map_province="")
    run = ReconRun.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("run-detail", args=[run.pk])
    assert run.params["mapping"] == {"waybill_no": "运单号", "billed_fee": "运费(元)"}
    assert run.created_by.username == "alice"


def test_real_bill_from_upload_to_discrepancy_list(clerk_client, demo_rate_card, our_shipments, no_enqueue):
    response = upload(clerk_client, BILL_CSV.encode("gbk"))
    run = ReconRun.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("run-detail", args=[run.pk])
    assert "data-run-status" in clerk_client.get(response["Location"]).content.decode()  # still queued

    run_services.run_execute(run_id=run.pk)
    run.refresh_from_db()
    assert run.status == "succeeded", (run.error_code, run.error)

    html = clerk_client.get(reverse("run-detail", args=[run.pk]), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "data-run-status" not in html
    # Billed 3.50 + 4.60 + 4.00 + 3.00; at stake 2.00 (rate) + 1.00 (weight: 0.8 kg is ¥3.00, not ¥4.00) + 3.00 (unknown).
    for text in ["¥15.10", "¥6.00", "Rate overcharge", "Weight overcharge", "Unknown waybill"]:
        assert text in html, text
    assert run.summary["lines"] == 4 and run.summary["lines_ok"] == 1
    assert f'<span class="value">{run.summary["lines"]}</span>' in html

    listed = clerk_client.get(reverse("discrepancy-list"), {"run": run.pk, "type": "weight_overcharge"})
    assert [(d.ref, str(d.amount_at_stake)) for d in listed.context["rows"]] == [("ZT0000000003", "1.00")]
    everything = clerk_client.get(reverse("discrepancy-list"), {"run": run.pk})
    assert [d.ref for d in everything.context["rows"]] == ["ZT0000009999", "ZT0000000002", "ZT0000000003"]


def test_same_file_again_goes_to_the_first_run_with_a_message(clerk_client, demo_rate_card, our_shipments, no_enqueue):
    upload(clerk_client, BILL_CSV.encode())
    first = ReconRun.objects.get()
    run_services.run_execute(run_id=first.pk)
    again = upload(clerk_client, BILL_CSV.encode(), name="renamed.csv")
    assert again.status_code == 302 and again["Location"] == reverse("run-detail", args=[first.pk])
    assert ReconRun.objects.count() == 1
    page = clerk_client.get(again["Location"], HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "This file was uploaded before" in page


def test_reconcile_again_starts_a_new_run(clerk_client, zto, finance_user, no_enqueue):
    bill = make_bill(zto, finance_user)
    make_run(zto, finance_user, bill)
    response = clerk_client.post(reverse("bill-rerun", args=[bill.pk]))
    newest = ReconRun.objects.order_by("-id").first()
    assert response.status_code == 302 and response["Location"] == reverse("run-detail", args=[newest.pk])
    assert newest.courier_bill == bill and newest.status == "pending" and no_enqueue == [newest.pk]
    assert clerk_client.get(reverse("bill-rerun", args=[bill.pk])).status_code == 405


def test_shipment_import_shows_counts_and_rejected_rows(clerk_client, zto):
    text = (
        "订单号,运单号,快递公司,发货时间,重量,省份\n"
        "SO1,ZT0000000001,中通,2026-10-03 10:00,1.0,广东\n"
        "SO2,ZT0000000002,ZTO,2026-10-04 10:00,0.5,浙江\n"
        "SO3,ZT0000000003,不存在快递,2026-10-04 10:00,0.5,浙江\n"
    )
    response = clerk_client.post(reverse("shipment-import"), {"file": SimpleUploadedFile("ship.csv", text.encode())},
                                 HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    result = response.context["result"]
    assert (result["created"], result["updated"], result["rejected"]) == (2, 0, 1)
    html = response.content.decode()
    assert "不存在快递" in html and "Rows not imported" in html
    assert [r["row_no"] for r in result["rejected_rows"]] == [4]
    assert set(Shipment.objects.values_list("waybill_no", flat=True)) == {"ZT0000000001", "ZT0000000002"}


def test_shipment_import_of_an_empty_file_shows_the_error(clerk_client):
    response = clerk_client.post(reverse("shipment-import"), {"file": SimpleUploadedFile("ship.csv", b"")}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200 and response.context["result"] is None
    assert response.context["form"].errors["file"]


def test_rate_card_import_goes_to_the_card(clerk_client, zto):
    from couriers.demo_data import rate_card_frame

    buffer = io.BytesIO()
    rate_card_frame().to_excel(buffer, index=False)
    response = clerk_client.post(reverse("ratecard-import"), {
        "courier": "ZTO", "file": SimpleUploadedFile("报价单.xlsx", buffer.getvalue()), "effective_from": "2026-01-01",
        "effective_to": "", "volumetric_divisor": "6000", "weight_tolerance_g": "50", "fee_tolerance_fen": "10", "name": "",
    })
    card = RateCard.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("ratecard-detail", args=[card.pk])
    assert (card.volumetric_divisor, card.weight_tolerance_g, card.fee_tolerance_fen, card.effective_to) == (6000, 50, 10, None)
    assert card.effective_from == date(2026, 1, 1)


def test_rate_card_import_dates_in_the_wrong_order(clerk_client, zto):
    response = clerk_client.post(reverse("ratecard-import"), {
        "courier": "ZTO", "file": SimpleUploadedFile("c.csv", b"x"), "effective_from": "2026-02-01", "effective_to": "2026-01-01",
        "volumetric_divisor": "8000", "weight_tolerance_g": "0", "fee_tolerance_fen": "0",
    }, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    assert response.context["form"].errors["effective_to"] == ["The card ends before it starts."]
    assert not RateCard.objects.exists() and not CourierBill.objects.exists() and not Discrepancy.objects.exists()
