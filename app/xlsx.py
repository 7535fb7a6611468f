"""Spreadsheet exports: one way to write a row, so that text people typed ("=HYPERLINK(…)", "+1…",
"@SUM(…)") stays text in Excel and LibreOffice and never becomes a formula."""
from __future__ import annotations


def append_row(sheet, values) -> None:
    """Append `values` to an openpyxl sheet; a cell openpyxl took for a formula is written as text."""
    sheet.append(list(values))
    for cell in sheet[sheet.max_row]:
        if cell.data_type == "f":
            cell.data_type = "s"
