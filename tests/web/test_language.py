"""The product speaks Simplified Chinese by default: pages and stored reasons."""
import pytest

from recon.core.models import Discrepancy

pytestmark = pytest.mark.django_db


def test_default_language_is_simplified_chinese(client, finance_user):
    client.force_login(finance_user)
    page = client.get("/discrepancies/").content.decode()
    assert "差异" in page and "上传账单" in page


def test_stored_reasons_are_in_chinese(demo_rate_card, zto, no_enqueue, tmp_path):
    from couriers.services import courier_bill_submit
    from recon.runs import services as run_services

    from orders.services import shipments_bulk_create

    shipments_bulk_create(records=[{"order_no": "SO9", "waybill_no": "75399999999901", "courier": "ZTO",
                                    "shipped_at": "2026-10-03 10:00", "weight_kg": "0.9", "province": "广东省"}])
    path = tmp_path / "bill.csv"
    path.write_text("运单号,揽收时间,目的省份,计费重量(kg),运费(元)\n75399999999901,2026-10-03,广东省,2.5,6.50\n", encoding="utf-8")
    with open(path, "rb") as fh:
        sub = courier_bill_submit(file=fh, filename="bill.csv", courier=zto, period="2026-10")
    run_services.run_execute(run_id=sub.run.id)
    d = Discrepancy.objects.get(run=sub.run, type="weight_overcharge")
    assert d.reason == "账单重量 2.5 kg，我方计费重量 0.9 kg：发往 广东 应为 ¥3.50，而非 ¥6.50。"
    assert str(d.amount_at_stake) == "3.00"


def test_each_language_is_offered_in_its_own_name(client):
    html = client.get("/accounts/login/").content.decode()  # Chinese by default
    assert '>简体中文</button>' in html and '>English</button>' in html
