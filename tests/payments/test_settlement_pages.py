"""The settlement pages: upload with its counts and rejected rows, the list with filters, paging and signed amounts."""
import re
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from payments.models import SettlementLine
from payments.settlement_services import settlement_lines_bulk_create
from recon.sources.models import SourceFile
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

FILES = Path(__file__).resolve().parent.parent / "fixtures" / "payments" / "settlements"
REAL = Path(__file__).resolve().parent.parent / "fixtures" / "real"


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def browser(role: str) -> Client:
    client = Client()
    client.force_login(UserFactory(username=f"{role}-web", role=role))
    return client


def text(html: bytes) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html.decode())).strip()


def by_testid(html: bytes, name: str) -> list[str]:
    return [re.sub(r"<[^>]+>", "", m).strip() for m in re.findall(rf'data-testid="{name}"[^>]*>(.*?)</(?:span|p|td|a)>', html.decode(), re.S)]


def upload(client, path: Path, platform="TMALL", shop=""):
    return client.post("/payments/settlements/upload/", {
        "platform": platform, "shop": shop, "file": SimpleUploadedFile(path.name, path.read_bytes())})


def test_upload_page_in_chinese_with_the_platforms():
    response = browser("finance").get("/payments/settlements/upload/")
    assert response.status_code == 200
    page = text(response.content)
    assert "上传结算文件" in page
    for label in ("平台", "店铺", "文件"):
        assert f'>{label}<' in response.content.decode().replace('<span class="req" aria-hidden="true">*</span>', "")
    options = re.findall(r'<option value="([A-Z]+)"', response.content.decode())
    assert options == ["DOUYIN", "JD", "KUAISHOU", "OWN", "PDD", "TAOBAO", "TMALL", "WXSHOP"]


def test_upload_shows_the_counts_the_layout_and_the_rejected_rows():
    client = browser("finance")
    response = upload(client, FILES / "alipay-account-detail-2026-10.csv", shop="天猫旗舰店")
    assert response.status_code == 200
    source = SourceFile.objects.get()
    assert (by_testid(response.content, "rows"), by_testid(response.content, "rejected"), by_testid(response.content, "duplicates")) == (
        ["6"], ["1"], ["0"])
    assert by_testid(response.content, "format") == ["识别为：支付宝账务明细"]
    assert f'href="/payments/settlements/files/{source.pk}/rejected/"' in response.content.decode()
    assert "收入“abc”不是有效金额" in text(response.content)
    assert set(SettlementLine.objects.values_list("shop", flat=True)) == {"天猫旗舰店"}

    again = upload(client, FILES / "alipay-account-detail-2026-10.csv")
    assert (by_testid(again.content, "rows"), by_testid(again.content, "duplicates")) == (["0"], ["6"])
    assert by_testid(again.content, "repeated") == [f"此文件已作为文件 #{source.pk} 导入过：本次未重复写入。"]


def test_a_file_of_no_known_layout_is_refused_on_the_form_and_nothing_is_written():
    response = upload(browser("finance"), REAL / "cn_bank" / "cmb-debit-records.csv")
    assert response.status_code == 200
    assert "“cmb-debit-records.csv”不是可读取的结算文件" in text(response.content)
    assert (SourceFile.objects.count(), SettlementLine.objects.count()) == (0, 0)


def test_the_rejected_rows_page_and_its_csv():
    client = browser("finance")
    upload(client, FILES / "douyin-ledger-flagged.csv", platform="DOUYIN")
    source = SourceFile.objects.get()
    page = client.get(f"/payments/settlements/files/{source.pk}/rejected/")
    assert page.status_code == 200
    rows = re.findall(r'data-testid="rejected-row">(.*?)</tr>', page.content.decode(), re.S)
    assert [text(r.encode()) for r in rows] == [
        "7 收支“冻结”不是 收入、支出、不计收支 之一 direction_invalid DY7301000000005 | 2026-10-09 10:00:00 | 其他 | 冻结 | 1.00"]
    download = client.get(f"/payments/settlements/files/{source.pk}/rejected/download/")
    assert download["Content-Disposition"] == f'attachment; filename="settlement-file-{source.pk}-rejected.csv"'
    assert "direction_invalid" in download.content.decode("utf-8-sig")
    # Another kind's file is not a settlement file.
    other = SourceFile.objects.create(file="r.csv", original_filename="r.csv", sha256="2" * 64, size_bytes=1, file_kind="return_requests")
    assert client.get(f"/payments/settlements/files/{other.pk}/rejected/").status_code == 404


def test_the_list_shows_signed_amounts_filters_and_pages():
    client = browser("ops")
    records = [{"platform": "TMALL", "settlement_id": f"S{i:03d}", "occurred_at": f"2026-10-01 {i // 60:02d}:{i % 60:02d}",
                "business_type": "在线支付", "amount": "1.00", "order_no": f"SO{i}"} for i in range(50)]
    records.append({"platform": "JD", "settlement_id": "JD-FEE", "occurred_at": "2026-10-02 09:00", "business_type": "佣金",
                    "amount": "-1.79", "balance": "1,234.50", "order_no": "JD1", "remark": "平台佣金"})
    assert settlement_lines_bulk_create(records=records).rows == 51
    first = client.get("/payments/settlements/")
    assert first.status_code == 200
    assert len(re.findall(r'data-testid="settlement-row"', first.content.decode())) == 50
    assert by_testid(first.content, "amount")[:2] == ["-1.79", "+1.00"]
    row = text(re.findall(r'data-testid="settlement-row">(.*?)</tr>', first.content.decode(), re.S)[0].encode())
    assert row == "JD JD-FEE 2026-10-02 09:00:00 手续费 佣金 JD1 -1.79 1234.50 平台佣金"
    second = client.get("/payments/settlements/", {"page": 2})
    assert by_testid(second.content, "amount") == ["+1.00"]
    fees = client.get("/payments/settlements/", {"platform": "JD", "business_type": "fee", "occurred_from": "2026-10-02"})
    assert by_testid(fees.content, "amount") == ["-1.79"]
    headers = re.findall(r"<th(?: [^>]*)?>(.*?)</th>", first.content.decode())
    assert headers[:5] == ["平台", "店铺", "账务流水号", "发生时间", "业务类型"]
    nothing = client.get("/payments/settlements/", {"platform": "PDD"})
    assert "没有符合筛选条件的结算流水。" in text(nothing.content)


def test_the_nav_links_the_settlements_for_who_may_read_them_and_the_upload_for_who_may_import():
    ops = browser("ops").get("/payments/settlements/").content.decode()
    assert '<a href="/payments/settlements/" class="active">平台结算</a>' in ops
    assert "/payments/settlements/upload/" not in ops
    finance = browser("finance").get("/payments/settlements/").content.decode()
    assert 'href="/payments/settlements/upload/">上传结算文件</a>' in finance
