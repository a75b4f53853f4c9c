import codecs
from pathlib import Path
import io
import zipfile

import msoffcrypto
import pytest
from msoffcrypto.format.ooxml import OOXMLFile

from recon.ingest import IngestError, read_courier_bill, sniff_format
from recon.ingest.readers import decode_text

from .conftest import write_xlsx

BILL_ROWS = [["运单号", "运费"], ["75312345678901", "12.00"]]


def sniff_error(path) -> IngestError:
    with pytest.raises(IngestError) as exc:
        sniff_format(path, path.name)
    return exc.value


def test_sniff_xlsx_by_content_whatever_the_name(tmp_path):
    path = write_xlsx(tmp_path / "bill.csv", {"s": BILL_ROWS})
    assert sniff_format(path, "bill.csv") == "xlsx"


def test_sniff_csv_named_xlsx(tmp_path):
    path = tmp_path / "bill.xlsx"
    path.write_text("运单号,运费\n75312345678901,12\n", encoding="utf-8")
    assert sniff_format(path, path.name) == "csv"


REAL = Path(__file__).resolve().parent.parent / "fixtures" / "real"  # copies, see PROVENANCE.md there


def test_sniff_legacy_xls():
    assert sniff_format(REAL / "cn_bank" / "spdb-debit-records.xls", "spdb.xls") == "xls"


@pytest.mark.parametrize("content", [b"", b"   \r\n\t\n", codecs.BOM_UTF8 + b" \n", codecs.BOM_UTF8])
def test_empty_file(tmp_path, content):
    path = tmp_path / "bill.csv"
    path.write_bytes(content)
    assert sniff_error(path).code == "empty_file"


def test_png_renamed_xlsx(tmp_path):
    path = tmp_path / "bill.xlsx"
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(200))
    err = sniff_error(path)
    assert err.code == "unsupported_type"
    assert "PNG" in err.message


def test_pdf(tmp_path):
    path = tmp_path / "bill.xlsx"
    path.write_bytes(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj")
    err = sniff_error(path)
    assert err.code == "unsupported_type"
    assert "PDF" in err.message


def test_docx_and_plain_zip(tmp_path):
    docx = tmp_path / "bill.xlsx"
    with zipfile.ZipFile(docx, "w") as z:
        z.writestr("word/document.xml", "<w:document/>")
    err = sniff_error(docx)
    assert err.code == "unsupported_type"
    assert "Word" in err.message

    plain = tmp_path / "bill2.xlsx"
    with zipfile.ZipFile(plain, "w") as z:
        z.writestr("bill.csv", "a,b")
    assert sniff_error(plain).code == "unsupported_type"


def test_html_saved_as_xls(tmp_path):
    path = tmp_path / "bill.xls"
    path.write_text("<html><body><table><tr><td>运单号</td></tr></table></body></html>", encoding="utf-8")
    err = sniff_error(path)
    assert err.code == "unsupported_type"
    assert "HTML" in err.message


def test_garbage_binary(tmp_path):
    path = tmp_path / "bill.xlsx"
    path.write_bytes(bytes(range(256)) * 20)
    assert sniff_error(path).code in ("unsupported_type", "corrupt_file")


def test_truncated_xlsx(tmp_path):
    whole = write_xlsx(tmp_path / "whole.xlsx", {"s": BILL_ROWS * 50})
    data = whole.read_bytes()
    path = tmp_path / "bill.xlsx"
    path.write_bytes(data[: len(data) // 2])
    assert sniff_error(path).code == "corrupt_file"
    with pytest.raises(IngestError) as exc:
        read_courier_bill(path, "bill.xlsx")
    assert exc.value.code == "corrupt_file"


def test_xlsx_with_broken_workbook_part(tmp_path):
    path = tmp_path / "bill.xlsx"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("xl/workbook.xml", "this is not xml")
    with pytest.raises(IngestError) as exc:
        read_courier_bill(path, "bill.xlsx")
    assert exc.value.code == "corrupt_file"


def test_truncated_xls(tmp_path):
    data = (REAL / "cn_bank" / "ccb-交易明细.xls").read_bytes()
    path = tmp_path / "bill.xls"
    path.write_bytes(data[:5000])
    assert sniff_error(path).code == "corrupt_file"


def test_password_protected_xlsx(tmp_path):
    plain = write_xlsx(tmp_path / "plain.xlsx", {"s": BILL_ROWS})
    out = io.BytesIO()
    with open(plain, "rb") as f:
        OOXMLFile(f).encrypt("secret", out)
    path = tmp_path / "bill.xlsx"
    path.write_bytes(out.getvalue())
    with open(path, "rb") as f:
        assert msoffcrypto.OfficeFile(f).is_encrypted()  # the fixture really is encrypted
    assert sniff_error(path).code == "encrypted_file"
    with pytest.raises(IngestError) as exc:
        read_courier_bill(path, "bill.xlsx")
    assert exc.value.code == "encrypted_file"


def test_error_details_are_json_serializable(tmp_path):
    import json

    path = tmp_path / "bill.xlsx"
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(10))
    err = sniff_error(path)
    json.dumps({"code": err.code, "message": err.message, "details": err.details})


# --- decoding --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "encoding, expected",
    [("utf-8", "utf-8"), ("utf-8-sig", "utf-8-sig"), ("gbk", "gb18030"), ("gb18030", "gb18030"), ("utf-16", "utf-16")],
)
def test_decode_text(encoding, expected):
    text = "运单号,运费,目的省份\n75312345678901,￥12.00,广东省\n"
    decoded, used = decode_text(text.encode(encoding))
    assert decoded.lstrip("\ufeff") == text
    assert used == expected


def test_decode_gb18030_only_characters():
    text = "收件人,𠀀𠀁\n"  # outside GBK, only GB18030 has them
    decoded, used = decode_text(text.encode("gb18030"))
    assert decoded == text
    assert used == "gb18030"
