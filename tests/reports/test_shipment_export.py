"""Shipment exports: the list's filter, recipients masked as on the page, and a file the import reads back."""
import io
from datetime import datetime

import openpyxl
import pandas as pd
import pytest
from django.urls import reverse
from django.utils import timezone

from orders.models import Shipment
from tests.orders.conftest import RECIPIENT

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_shipments(shipment, zto):
    from couriers.models import Courier

    yto = Courier.objects.get(code="YTO")
    Shipment.objects.create(order_no="SO-2", waybill_no="YT1234567890123", courier=yto, shipped_at=timezone.make_aware(datetime(2026, 10, 4, 9, 30)),
                            weight_g=400, length_mm=305, width_mm=200, height_mm=100, province="北京", declared_value="99.50",
                            recipient_name="Li Si", recipient_phone="010-87654321", recipient_address="北京市朝阳区建国路88号")
    return shipment


def export(client, user, **params) -> bytes:
    client.force_login(user)
    response = client.get(reverse("shipment-export"), params)
    assert response.status_code == 200, response.content[:500]
    return response


def read_csv(response) -> pd.DataFrame:
    assert response["Content-Type"].startswith("text/csv")
    assert response.content.startswith(b"\xef\xbb\xbf")
    return pd.read_csv(io.BytesIO(response.content), encoding="utf-8-sig", dtype=str, keep_default_na=False)


def test_csv_for_ops_is_masked(client, ops_user, two_shipments):
    frame = read_csv(export(client, ops_user, format="csv"))
    assert frame["waybill_no"].tolist() == ["YT1234567890123", "75312345678901"]
    assert frame[["recipient_name", "recipient_phone", "recipient_address"]].values.tolist() == [
        ["L****", "010-****4321", "北京市****"],
        ["张**", "138****1234", "广东省深圳市****"],
    ]
    assert frame.loc[0, ["shipped_at", "weight_kg", "length_cm", "declared_value", "courier"]].tolist() == [
        "2026-10-04 09:30:00", "0.4", "30.5", "99.50", "YTO",
    ]


def test_csv_for_manager_shows_recipients(client, manager_user, two_shipments):
    frame = read_csv(export(client, manager_user, format="csv", courier="ZTO"))
    assert frame["waybill_no"].tolist() == ["75312345678901"]
    # '+86 …' would be a formula to Excel: the CSV keeps it text with a leading apostrophe (the import drops it again).
    assert frame.loc[0, list(RECIPIENT)].to_dict() == {**RECIPIENT, "recipient_phone": "'+86 138 1234 1234"}


def test_xlsx_masked_and_filtered(client, ops_user, two_shipments):
    response = export(client, ops_user, format="xlsx", courier="YTO")
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.values)
    header, body = rows[0], rows[1:]
    assert len(body) == 1
    row = dict(zip(header, body[0]))
    assert (row["recipient_name"], row["recipient_phone"], row["recipient_address"]) == ("L****", "010-****4321", "北京市****")
    assert row["waybill_no"] == "YT1234567890123" and row["weight_kg"] == 0.4 and row["declared_value"] == 99.5


def test_xlsx_for_manager_shows_recipients(client, manager_user, two_shipments):
    sheet = openpyxl.load_workbook(io.BytesIO(export(client, manager_user, format="xlsx", courier="ZTO").content)).active
    header, row = list(sheet.values)
    assert {k: v for k, v in zip(header, row) if k in RECIPIENT} == RECIPIENT


def test_masked_export_imported_again_keeps_the_real_recipients(client, ops_user, two_shipments):
    from orders.services import shipment_import

    content = export(client, ops_user, format="csv").content
    result = shipment_import(file=io.BytesIO(content), filename="shipments.csv")
    assert (result.created, result.updated, len(result.rejected)) == (0, 2, 0)
    assert Shipment.objects.values_list("recipient_name", "recipient_phone").get(waybill_no="75312345678901") == (
        "张三丰", "+86 138 1234 1234",
    )
    assert Shipment.objects.get(waybill_no="YT1234567890123").length_mm == 305


def test_unknown_format_and_invalid_filter_are_refused(client, manager_user, two_shipments):
    client.force_login(manager_user)
    assert client.get(reverse("shipment-export"), {"format": "pdf"}).status_code == 400
    assert client.get(reverse("shipment-export"), {"format": "csv", "shipped_from": "yesterday"}).status_code == 400


def test_export_needs_the_shipment_view_permission(client, outsider_user, shipment):
    client.force_login(outsider_user)
    assert client.get(reverse("shipment-export"), {"format": "csv"}).status_code == 403
