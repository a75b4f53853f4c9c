"""Hostile uploads, made by the tests themselves: files built to kill a reader, exhaust memory, or slip bad text in.

Each maker writes one file under the given folder and returns its path. The workbooks are assembled part by part
with zipfile, the way an attacker would, so that a part can lie about itself (no dimension, a doctype, 10,000 sheets).
"""
from __future__ import annotations

import zipfile
from pathlib import Path

import openpyxl

HEADER = ["运单号", "运费", "重量", "目的省份"]

_CONTENT_TYPES = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    b'<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    b'<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    b'<Default Extension="xml" ContentType="application/xml"/>'
    b'<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    b"%s</Types>"
)
_SHEET_TYPE = b"application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"
_SST_TYPE = b"application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"
_ROOT_RELS = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    b'<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    b'<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" '
    b'Target="xl/workbook.xml"/></Relationships>'
)
_NS = b'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
_RNS = b'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"'


def _inline(text: str) -> bytes:
    escaped = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return b'<c t="inlineStr"><is><t>' + escaped.encode() + b"</t></is></c>"


def header_row() -> bytes:
    return b'<row r="1">' + b"".join(_inline(h) for h in HEADER) + b"</row>"


def build_xlsx(path: Path, sheets: list[tuple[str, object]], shared: bytes | None = None) -> Path:
    """A workbook from raw sheet XML: each sheet is (name, bytes or an iterable of byte chunks for <sheetData>)."""
    overrides = b"".join(
        b'<Override PartName="/xl/worksheets/sheet%d.xml" ContentType="%s"/>' % (i + 1, _SHEET_TYPE) for i in range(len(sheets))
    )
    if shared is not None:
        overrides += b'<Override PartName="/xl/sharedStrings.xml" ContentType="%s"/>' % _SST_TYPE
    workbook = (
        b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><workbook %s %s><sheets>' % (_NS, _RNS)
        + b"".join(b'<sheet name="%s" sheetId="%d" r:id="rId%d"/>' % (name.encode(), i + 1, i + 1) for i, (name, _b) in enumerate(sheets))
        + b"</sheets></workbook>"
    )
    rels = (
        b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        b'<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        + b"".join(
            b'<Relationship Id="rId%d" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" '
            b'Target="worksheets/sheet%d.xml"/>' % (i + 1, i + 1)
            for i in range(len(sheets))
        )
    )
    if shared is not None:
        rels += (
            b'<Relationship Id="rIdS" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" '
            b'Target="sharedStrings.xml"/>'
        )
    rels += b"</Relationships>"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        z.writestr("[Content_Types].xml", _CONTENT_TYPES % overrides)
        z.writestr("_rels/.rels", _ROOT_RELS)
        z.writestr("xl/workbook.xml", workbook)
        z.writestr("xl/_rels/workbook.xml.rels", rels)
        if shared is not None:
            z.writestr("xl/sharedStrings.xml", shared)
        for i, (_name, body) in enumerate(sheets):
            with z.open(f"xl/worksheets/sheet{i + 1}.xml", "w", force_zip64=True) as part:
                part.write(b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><worksheet %s><sheetData>' % _NS)
                for chunk in [body] if isinstance(body, bytes) else body:
                    part.write(chunk)
                part.write(b"</sheetData></worksheet>")
    return path


def sparse_sheet(folder: Path) -> Path:
    """Two header cells and one far cell at XFD1048576: the reader would reserve the whole 16,384 × 1,048,576 area."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["运单号", "运费"])
    sheet["XFD1048576"] = 1
    path = folder / "sparse.xlsx"
    book.save(path)
    return path


def sparse_sheet_undeclared(folder: Path) -> Path:
    """The same far cell with no <dimension> to give it away: only a scan of the cells finds it."""
    body = header_row() + b'<row r="2"><c r="A2" t="inlineStr"><is><t>75300000000001</t></is></c><c r="B2"><v>5</v></c></row>'
    body += b'<row r="1048576"><c r="XFD1048576"><v>1</v></c></row>'
    return build_xlsx(folder / "sparse-undeclared.xlsx", [("账单", body)])


def zip_bomb(folder: Path, *, empty_cells: bool, megabytes: int = 48) -> Path:
    """A sheet that unpacks to `megabytes` MB of identical rows (numbers, or empty cells) from a few dozen KB."""
    row = b"<row>" + (b"<c/>" * 50 if empty_cells else b"<c><v>1</v></c>" * 20) + b"</row>"
    block = row * (1024 * 1024 // len(row))

    def chunks():
        yield header_row()
        for _i in range(megabytes):
            yield block

    name = "bomb-empty.xlsx" if empty_cells else "bomb-numbers.xlsx"
    return build_xlsx(folder / name, [("账单", chunks())])


def entity_expansion(folder: Path) -> Path:
    """Shared strings that declare nested entities (a "billion laughs"), used by a header cell."""
    levels = ['<!ENTITY lol0 "lol">'] + [f'<!ENTITY lol{i} "{"&lol%d;" % (i - 1) * 10}">' for i in range(1, 10)]
    shared = (
        '<?xml version="1.0" encoding="UTF-8"?><!DOCTYPE sst [' + "".join(levels) + "]>"
        '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="1" uniqueCount="1">'
        "<si><t>&lol9;</t></si></sst>"
    ).encode()
    body = header_row() + b'<row r="2"><c r="A2" t="s"><v>0</v></c><c r="B2"><v>5</v></c></row>'
    return build_xlsx(folder / "entities.xlsx", [("账单", body)], shared=shared)


def many_sheets(folder: Path, count: int = 10_000) -> Path:
    body = header_row()
    return build_xlsx(folder / "many-sheets.xlsx", [(f"S{i}", body) for i in range(count)])


def huge_cell_csv(folder: Path, chars: int = 40_000) -> Path:
    path = folder / "huge-cell.csv"
    lines = [",".join(HEADER), "75300000000001,5.00,1.2,广东省", f"75300000000002,6.00,1.5,{'广' * chars}"]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def huge_cell_xlsx(folder: Path, chars: int = 40_000) -> Path:
    shared = (
        '<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        f"<si><t>{'广' * chars}</t></si></sst>"
    ).encode()
    body = header_row() + b'<row r="2"><c r="A2" t="inlineStr"><is><t>75300000000001</t></is></c><c r="B2"><v>5</v></c>'
    body += b'<c r="C2"><v>1.2</v></c><c r="D2" t="s"><v>0</v></c></row>'
    return build_xlsx(folder / "huge-cell.xlsx", [("账单", body)], shared=shared)


def nul_bytes_csv(folder: Path, rows: int = 3000) -> tuple[Path, list[str]]:
    """A clean CSV whose two rows past the first 64 KB hold a NUL inside a cell; returns the path and the good waybills."""
    lines = [",".join(HEADER)]
    good = []
    for i in range(rows):
        waybill = f"7530{i:010d}"
        lines.append(f"{waybill},8.00,1.20,浙江省")
        good.append(waybill)
    lines.append("95399\x00999999,8.00,1.20,浙江省")
    lines.append("75399999999998,8.00,1.20,广\x00东省")
    path = folder / "nul.csv"
    path.write_bytes(("\n".join(lines) + "\n").encode("utf-8"))
    assert path.stat().st_size > 64 * 1024
    return path, good


def utf16_csv(folder: Path, *, bom: bool, rows: int = 40) -> tuple[Path, list[str]]:
    """The tab-separated UTF-16 text Excel writes for "Unicode text", with or without its byte order mark."""
    waybills = [f"7531{i:010d}" for i in range(rows)]
    text = "\t".join(HEADER) + "\r\n" + "".join(f"{w}\t9.50\t2.00\t广东省\r\n" for w in waybills)
    path = folder / ("utf16-bom.csv" if bom else "utf16.csv")
    path.write_bytes(("\ufeff" + text).encode("utf-16-le") if bom else text.encode("utf-16-le"))
    return path, waybills


FORMULAS = ['=HYPERLINK("http://example.invalid","点我")', "+1+1", "-2+3", "@SUM(A1:A2)", "\t=1+1", "=cmd|' /C calc'!A0"]


def formulas_csv(folder: Path) -> Path:
    """Formula-looking text in every text field: a waybill, a province, and a note column nobody reads."""
    lines = [",".join(HEADER + ["备注"])]
    for i, formula in enumerate(FORMULAS):
        quoted = '"' + formula.replace('"', '""') + '"'
        lines.append(f"7532{i:010d},8.00,1.20,{quoted},{quoted}")
    lines.append('"' + FORMULAS[0].replace('"', '""') + '",8.00,1.20,浙江省,x')  # a formula as the waybill
    path = folder / "formulas.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path
