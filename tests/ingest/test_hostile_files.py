"""Hostile files against the readers: each is refused by the limit it breaks, with that limit named, or read right.

No database: the readers are plain Python. Each refusal comes from the checks before the spreadsheet library
opens the file, so none of these tests needs gigabytes of memory or minutes to fail.
"""
from __future__ import annotations

import os
import signal

import pytest

from recon.ingest import IngestError, read_courier_bill
from recon.ingest.guard import ReaderCrashed, run_isolated
from recon.ingest.limits import configure, limits
from recon.ingest.readers import check_xlsx_head
from recon.ingest.specs import BILL_SPEC
from tests import hostile


@pytest.fixture
def english():
    from django.utils import translation

    with translation.override("en"):
        yield


def refusal(path) -> IngestError:
    with pytest.raises(IngestError) as caught:
        read_courier_bill(path, path.name)
    return caught.value


@pytest.mark.parametrize(
    "make, limit, found, words",
    [
        (hostile.sparse_sheet, "max_columns", 16384, "reaches column 16384 (cell XFD1048576), more than the limit of 100 columns"),
        (hostile.sparse_sheet_undeclared, "max_columns", 16384, "reaches column 16384 (cell XFD1048576), more than the limit of 100 columns"),
        (lambda d: hostile.zip_bomb(d, empty_cells=False), "max_compression_ratio", 241, "compressed 241 times, more than the limit of 200 times"),
        (lambda d: hostile.zip_bomb(d, empty_cells=True), "max_compression_ratio", 257, "compressed 257 times, more than the limit of 200 times"),
        (hostile.entity_expansion, "xml_entities", "xl/sharedStrings.xml", "“xl/sharedStrings.xml” declares XML entities"),
        (hostile.many_sheets, "max_zip_entries", 10004, "the workbook has 10004 parts, more than the limit of 2000"),
        (hostile.huge_cell_csv, "max_cell_chars", 40000, "cell D3 holds 40000 characters, more than the limit of 32767"),
        (hostile.huge_cell_xlsx, "max_cell_chars", 40000, "a cell in “sharedStrings.xml” holds 40000 characters, more than the limit of 32767"),
    ],
    ids=["sparse", "sparse-undeclared", "bomb-numbers", "bomb-empty", "entities", "10000-sheets", "huge-cell-csv", "huge-cell-xlsx"],
)
def test_hostile_file_is_refused_naming_the_limit(tmp_path, english, make, limit, found, words):
    path = make(tmp_path)
    error = refusal(path)
    assert error.code == "limit_exceeded"
    assert error.details["limit"] == limit and error.details["found"] == found
    assert error.message.startswith(f"“{path.name}” cannot be imported: ")
    assert words in error.message


def test_refusals_in_chinese(tmp_path):
    from django.utils import translation

    with translation.override("zh-hans"):
        error = refusal(hostile.sparse_sheet(tmp_path))
    assert error.message == "无法导入“sparse.xlsx”：表格到达第 16384 列（单元格 XFD1048576），超过 100 列的上限。"


def test_sheet_count_limit(tmp_path, english):
    error = refusal(hostile.many_sheets(tmp_path, count=300))
    assert (error.details["limit"], error.details["found"]) == ("max_sheets", 300)
    assert "the workbook has 300 sheets, more than the limit of 255" in error.message


def test_row_limit_counts_rows_a_sheet_really_uses(tmp_path, english):
    old = limits()
    configure(max_rows=1000)
    try:
        body = hostile.header_row() + b'<row r="1001"><c r="A1001"><v>1</v></c></row>'
        error = refusal(hostile.build_xlsx(tmp_path / "rows.xlsx", [("账单", body)]))
    finally:
        configure(max_rows=old.max_rows)
    assert (error.details["limit"], error.details["found"]) == ("max_rows", 1001)
    assert "a sheet reaches row 1001, more than the limit of 1000 rows" in error.message


def test_csv_line_and_column_limits(tmp_path, english):
    wide = tmp_path / "wide.csv"
    wide.write_text(",".join(hostile.HEADER) + "\n75300000000001,5.00,1.2,广东省" + ",x" * 200 + "\n", encoding="utf-8")
    error = refusal(wide)
    assert (error.details["limit"], error.details["found"]) == ("max_columns", 204)
    assert "line 2 has 204 columns, more than the limit of 100 columns" in error.message

    quoted = tmp_path / "quoted.csv"  # 300 delimiters inside one quoted address are one column, not 300
    quoted.write_text(",".join(hostile.HEADER) + '\n75300000000001,5.00,1.2,"广东省' + "," * 300 + '"\n', encoding="utf-8")
    parsed = read_courier_bill(quoted, quoted.name)
    assert parsed.frame["waybill_no"].tolist() == ["75300000000001"] and parsed.frame["billed_fee_fen"].tolist() == [500]

    old = limits()
    configure(max_line_chars=1000)
    try:
        long_line = tmp_path / "long-line.csv"
        long_line.write_text(",".join(hostile.HEADER) + "\n75300000000001,5.00,1.2,广东省\n75300000000002,5.00,1.2," + "广" * 1200 + "\n", encoding="utf-8")
        error = refusal(long_line)
    finally:
        configure(max_line_chars=old.max_line_chars)
    assert (error.details["limit"], error.details["found"]) == ("max_line_chars", 1224)
    assert "line 3 holds 1224 characters, more than the limit of 1000" in error.message


def test_nul_bytes_past_the_sniffed_head_reject_their_rows_not_cut_them(tmp_path, english):
    path, good = hostile.nul_bytes_csv(tmp_path)
    parsed = read_courier_bill(path, path.name)
    assert parsed.frame["waybill_no"].tolist() == good  # 95399 (the cut waybill) is not among them
    assert "95399" not in set(parsed.frame["waybill_no"])
    rejected = parsed.rejected.sort_values("row_no")
    assert rejected["row_no"].tolist() == [len(good) + 2, len(good) + 3]
    assert rejected["reason_code"].tolist() == ["control_character", "control_character"]
    assert rejected["reason"].tolist() == [
        "Cell “95399\ufffd999999” holds a control character (shown as \ufffd), which is never typed; "
        "the file was damaged on export. Remove it and export the file again",
        "Cell “广\ufffd东省” holds a control character (shown as \ufffd), which is never typed; "
        "the file was damaged on export. Remove it and export the file again",
    ]
    assert "\x00" not in "".join(rejected["raw"]) and "\x01" not in "".join(rejected["raw"])


def test_control_characters_in_an_xlsx_cell_reject_the_row(tmp_path, english):
    body = hostile.header_row()
    body += b'<row r="2"><c r="A2" t="inlineStr"><is><t>75300000000001</t></is></c><c r="B2"><v>5</v></c></row>'
    body += b'<row r="3"><c r="A3" t="inlineStr"><is><t>75300000000002</t></is></c><c r="B3"><v>6</v></c>'
    body += '<c r="D3" t="inlineStr"><is><t>广_x0000_东</t></is></c></row>'.encode()
    parsed = read_courier_bill(hostile.build_xlsx(tmp_path / "ctrl.xlsx", [("账单", body)]), "ctrl.xlsx")
    assert parsed.frame["waybill_no"].tolist() == ["75300000000001"]
    assert parsed.rejected[["row_no", "reason_code"]].values.tolist() == [[3, "control_character"]]


@pytest.mark.parametrize("bom", [True, False], ids=["with-bom", "without-bom"])
def test_utf16_text_is_read_whole(tmp_path, bom):
    path, waybills = hostile.utf16_csv(tmp_path, bom=bom)
    parsed = read_courier_bill(path, path.name)
    assert parsed.frame["waybill_no"].tolist() == waybills
    assert parsed.frame["billed_fee_fen"].tolist() == [950] * len(waybills)
    assert parsed.frame["billed_weight_g"].tolist() == [2000] * len(waybills)
    assert parsed.info["encoding"] == ("utf-16" if bom else "utf-16-le") and parsed.rejected.empty


def test_formula_text_is_read_as_text(tmp_path, english):
    parsed = read_courier_bill(hostile.formulas_csv(tmp_path), "formulas.csv")
    assert parsed.frame["waybill_no"].tolist() == [f"7532{i:010d}" for i in range(len(hostile.FORMULAS))]
    assert parsed.frame["billed_province_raw"].tolist() == [f.strip() for f in hostile.FORMULAS]
    assert parsed.rejected[["row_no", "reason_code"]].values.tolist() == [[8, "waybill_invalid"]]


def test_a_long_rejected_cell_is_cut_in_what_is_kept(tmp_path):
    path = tmp_path / "long.csv"
    path.write_text(",".join(hostile.HEADER) + "\n" + "坏" * 5000 + ",5.00,1.2,广东省\n", encoding="utf-8")
    parsed = read_courier_bill(path, path.name)
    row = parsed.rejected.iloc[0]
    assert row["reason_code"] == "waybill_invalid"
    assert len(row["raw"]) == 1000 and row["raw"].endswith("…")
    assert len(row["reason"]) == 300 and row["reason"].endswith("…")


# --------------------------------------------------------------------------- the child process


def _allocate(megabytes: int) -> int:
    block = bytearray(megabytes * 1024 * 1024)
    return len(block)


def _abort() -> None:
    os.kill(os.getpid(), signal.SIGABRT)  # what the spreadsheet library does when it cannot reserve memory


def _sleep() -> None:
    import time

    time.sleep(30)


def _bug() -> None:
    raise KeyError("a bug, not the file's fault")


def test_a_reader_over_its_memory_limit_fails_alone(english):
    assert run_isolated(_allocate, 50, memory_mb=400) == 50 * 1024 * 1024
    with pytest.raises(IngestError) as caught:
        run_isolated(_allocate, 2000, filename="big.xlsx", memory_mb=400)
    assert caught.value.details == {"limit": "memory_mb", "value": 400, "found": None}
    assert "needed more than the limit of 400 MB of memory" in caught.value.message


def test_a_reader_that_aborts_fails_alone(english):
    with pytest.raises(IngestError) as caught:
        run_isolated(_abort, filename="x.xlsx")
    assert caught.value.code == "limit_exceeded" and caught.value.details["limit"] == "memory_mb"


def test_a_reader_past_its_time_limit_is_stopped(english):
    with pytest.raises(IngestError) as caught:
        run_isolated(_sleep, filename="slow.xlsx", timeout_s=1)
    assert caught.value.details == {"limit": "timeout_s", "value": 1, "found": None}
    assert "reading it took longer than the limit of 1 seconds" in caught.value.message


def test_a_bug_in_a_reader_is_not_blamed_on_the_file():
    with pytest.raises(ReaderCrashed, match="a bug, not the file's fault"):
        run_isolated(_bug)


# --------------------------------------------------------------------------- the request's header check


def test_request_header_check_reads_only_the_first_rows(tmp_path, english):
    assert check_xlsx_head(hostile.zip_bomb(tmp_path, empty_cells=False, megabytes=8), "b.xlsx", BILL_SPEC) is True
    body = '<row r="1"><c r="A1" t="inlineStr"><is><t>名称</t></is></c><c r="B1" t="inlineStr"><is><t>数量</t></is></c></row>'.encode()
    with pytest.raises(IngestError) as caught:
        check_xlsx_head(hostile.build_xlsx(tmp_path / "n.xlsx", [("S", body)]), "n.xlsx", BILL_SPEC)
    assert caught.value.code == "header_not_found" and caught.value.details["headers_found"] == {"S": ["名称", "数量"]}


def test_request_header_check_uses_shared_strings(tmp_path):
    shared = (
        '<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        "<si><t>运单号</t></si><si><r><t>运</t></r><r><t>费</t></r></si></sst>"
    ).encode()
    body = b'<row r="3"><c r="B3" t="s"><v>0</v></c><c r="C3" t="s"><v>1</v></c></row>'
    assert check_xlsx_head(hostile.build_xlsx(tmp_path / "s.xlsx", [("S", body)], shared=shared), "s.xlsx", BILL_SPEC) is True
