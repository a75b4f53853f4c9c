"""Builders for the messy files the ingest tests read; every file is written into tmp_path."""
import openpyxl
import pytest


def write_xlsx(path, sheets: dict[str, list[list]], hidden: tuple[str, ...] = ()):
    """One worksheet per entry, rows written from A1 as given (None = empty cell)."""
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for name, rows in sheets.items():
        ws = wb.create_sheet(name)
        for r, row in enumerate(rows, start=1):
            for c, value in enumerate(row, start=1):
                if value is not None and value != "":
                    ws.cell(row=r, column=c, value=value)
        if name in hidden:
            ws.sheet_state = "hidden"
    wb.save(path)
    return path


@pytest.fixture
def xlsx_file(tmp_path):
    def make(sheets, name="bill.xlsx", **kwargs):
        return write_xlsx(tmp_path / name, sheets, **kwargs)

    return make


@pytest.fixture
def text_file(tmp_path):
    def make(text: str, name="bill.csv", encoding="utf-8"):
        path = tmp_path / name
        path.write_bytes(text.encode(encoding))
        return path

    return make
