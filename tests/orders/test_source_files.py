"""A shipment file, from the page, the command or the service, is kept as a "shipments" source file with its rejected rows;
the same file again updates the shipments and refreshes that one source file."""
import hashlib
import io
import json
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from orders.models import Shipment
from orders.services import shipment_import, shipments_bulk_create
from recon.core.errors import UserFacingError
from recon.core.models import RejectedRow, SourceFile
from tests.factories import CourierFactory

pytestmark = pytest.mark.django_db

HEAD = "订单号,运单号,快递公司,发货时间,重量,省份\n"
# Row 3 names a courier we do not know yet, row 4 has no readable date.
CONTENT = (
    HEAD
    + "SO1,ZT0000000001,中通,2026-10-03 10:00,1.0,广东\n"
    + "SO2,ZT0000000002,闪电快递,2026-10-04 10:00,0.5,浙江\n"
    + "SO3,ZT0000000003,ZTO,上周,0.5,浙江\n"
    + "SO4,ZT0000000004,ZTO,2026-10-05 09:00,2.0,江苏\n"
).encode("utf-8")


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def rejected(source: SourceFile) -> list[tuple]:
    return list(RejectedRow.objects.filter(source=source).order_by("row_no").values_list("sheet", "row_no", "reason_code", "reason", "raw"))


def stored_files(media: Path) -> list[Path]:
    return sorted(p for p in media.rglob("*") if p.is_file())


def test_an_upload_is_kept_as_a_shipments_source_file_with_its_rejected_rows(zto, finance_user, media):
    result = shipment_import(file=io.BytesIO(CONTENT), filename="十月发货.csv", user=finance_user)

    assert (result.created, result.updated, len(result.rejected)) == (2, 0, 2)
    source = SourceFile.objects.get()
    assert result.source_id == source.pk
    assert (source.file_kind, source.original_filename, source.sha256, source.size_bytes) == (
        "shipments", "十月发货.csv", hashlib.sha256(CONTENT).hexdigest(), len(CONTENT))
    assert (source.line_count, source.rejected_count, source.uploaded_by, source.counterparty, source.period) == (
        2, 2, finance_user, None, None)
    assert (media / source.file.name).read_bytes() == CONTENT
    assert stored_files(media) == [media / source.file.name]
    assert rejected(source) == [
        ("", 3, "courier_unknown", "未知快递公司 “闪电快递”", "ZT0000000002 | 闪电快递"),
        ("", 4, "shipped_at_invalid", "发货时间“上周”不是有效日期", "SO3 | ZT0000000003 | ZTO | 上周 | 0.5 | 浙江"),
    ]


def test_every_rejected_row_is_kept_not_only_the_thousand_shown(zto):
    content = (HEAD + "".join(f"SO{i},ZT{i:010d},闪电快递,2026-10-03,1.0,广东\n" for i in range(1, 1206))).encode("utf-8")
    result = shipment_import(file=io.BytesIO(content), filename="ship.csv")

    assert (result.created, len(result.as_dict()["rejected_rows"])) == (0, 1000)
    source = SourceFile.objects.get()
    assert (source.line_count, source.rejected_count, RejectedRow.objects.filter(source=source).count()) == (0, 1205, 1205)
    assert RejectedRow.objects.filter(source=source).order_by("-row_no").values_list("row_no", flat=True).first() == 1206


def test_the_same_file_again_refreshes_the_same_source_file(zto, finance_user, ops_user, media):
    first = shipment_import(file=io.BytesIO(CONTENT), filename="十月发货.csv", user=finance_user)
    source = SourceFile.objects.get()
    stored = source.file.name
    SourceFile.objects.filter(pk=source.pk).update(uploaded_at=timezone.now() - timedelta(days=3))
    # The courier is set up since: its row now imports, and only the unreadable date is still rejected.
    CourierFactory(code="SD", name="闪电快递")

    again = shipment_import(file=io.BytesIO(CONTENT), filename="十月发货-再次.csv", user=ops_user)

    assert (again.created, again.updated, len(again.rejected)) == (1, 2, 1)
    assert again.source_id == first.source_id == source.pk
    source.refresh_from_db()
    assert (SourceFile.objects.count(), source.original_filename, source.line_count, source.rejected_count, source.uploaded_by) == (
        1, "十月发货-再次.csv", 3, 1, ops_user)
    assert timezone.now() - source.uploaded_at < timedelta(minutes=1)
    assert source.file.name == stored and stored_files(media) == [media / stored]
    assert (media / stored).read_bytes() == CONTENT
    assert rejected(source) == [
        ("", 4, "shipped_at_invalid", "发货时间“上周”不是有效日期", "SO3 | ZT0000000003 | ZTO | 上周 | 0.5 | 浙江"),
    ]
    assert Shipment.objects.get(waybill_no="ZT0000000002").courier.code == "SD"


def test_a_file_that_cannot_be_read_leaves_no_source_file_and_nothing_stored(zto, media):
    shipment_import(file=io.BytesIO(CONTENT), filename="十月发货.csv")
    kept = SourceFile.objects.get()
    before = stored_files(media)

    with pytest.raises(UserFacingError) as exc:
        shipment_import(file=io.BytesIO(HEAD.encode("utf-8")), filename="ship.csv")

    assert exc.value.code == "no_data"
    assert list(SourceFile.objects.values_list("id", "original_filename")) == [(kept.pk, "十月发货.csv")]
    assert RejectedRow.objects.count() == 2
    assert stored_files(media) == before == [media / kept.file.name]


def test_the_page_records_who_uploaded(client, finance_user, zto, media):
    client.force_login(finance_user)
    response = client.post(reverse("shipment-import"), {"file": SimpleUploadedFile("ship.csv", CONTENT)}, HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 200
    assert (response.context["result"]["created"], response.context["result"]["rejected"]) == (2, 2)
    source = SourceFile.objects.get()
    assert (source.file_kind, source.original_filename, source.uploaded_by, source.rejected_count) == ("shipments", "ship.csv", finance_user, 2)


def test_the_command_records_the_file_without_an_uploader(zto, tmp_path, media):
    path = tmp_path / "shipments.csv"
    path.write_bytes(CONTENT)
    out = io.StringIO()
    call_command("import_shipments", str(path), "--json", stdout=out)

    source = SourceFile.objects.get()
    result = json.loads(out.getvalue())
    assert (result["created"], result["rejected"], result["source_id"]) == (2, 2, source.pk)
    assert (source.file_kind, source.original_filename, source.uploaded_by, source.line_count) == ("shipments", "shipments.csv", None, 2)


def test_a_json_post_of_shipments_is_no_source_file(zto, media):
    result = shipments_bulk_create(records=[{"order_no": "SO1", "waybill_no": "ZT0000000001", "courier": "ZTO", "shipped_at": "2026-10-03"}])

    assert (result.created, result.source_id, SourceFile.objects.count()) == (1, None, 0)
    assert "source_id" not in result.as_dict()


def test_rejected_rows_of_a_workbook_name_their_sheet(zto, tmp_path):
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "十月发货"
    ws.append(["订单号", "运单号", "快递公司", "发货时间"])
    ws.append(["SO1", "ZT0000000001", "中通", "2026-10-03"])
    ws.append(["SO2", "ZT0000000002", "闪电快递", "2026-10-03"])
    path = tmp_path / "ship.xlsx"
    wb.save(path)
    with open(path, "rb") as fh:
        shipment_import(file=fh, filename="ship.xlsx")

    source = SourceFile.objects.get()
    assert (source.original_filename, source.line_count, source.rejected_count) == ("ship.xlsx", 1, 1)
    assert rejected(source) == [("十月发货", 3, "courier_unknown", "未知快递公司 “闪电快递”", "ZT0000000002 | 闪电快递")]


def test_an_import_that_fails_while_saving_keeps_nothing(zto, media, monkeypatch):
    def broken(**kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr("orders.services.rejected_rows_save", broken)
    with pytest.raises(RuntimeError):
        shipment_import(file=io.BytesIO(CONTENT), filename="ship.csv")

    assert (SourceFile.objects.count(), Shipment.objects.count()) == (0, 0)
    assert stored_files(media) == []
