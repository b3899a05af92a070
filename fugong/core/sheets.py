"""Writing spreadsheets safely: what a user typed stays text in every workbook the system writes.

An enterprise name, a 突出问题 or a cell of an uploaded sheet may start with "=", "+", "-" or "@"
(e.g. ``=HYPERLINK("http://x","y")`` or ``=cmd|' /C calc'!A0``). Written with XlsxWriter's
``write()`` such a value becomes a live formula (formula or DDE injection). So:

- every workbook is opened with `workbook()`, which turns off XlsxWriter's conversion of strings
  to formulas, URLs and numbers;
- every cell is written with `write_cell()`: text with ``write_string``, numbers, dates and
  booleans with their own writers, so numbers stay numbers;
- text that starts with a formula trigger (``= + - @``, tab or carriage return) is written with a
  leading apostrophe (`guard`), as OWASP recommends, so that the value cannot turn live either
  when the file is saved as CSV or the cell is re-entered in Excel/WPS. The apostrophe is part of
  the cell's text; `tables.read_sheets` drops it again (`unguard`), so a sheet the system wrote
  reads back as typed when it is imported.
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from pathlib import Path
from typing import IO, Any

import xlsxwriter
from xlsxwriter.format import Format
from xlsxwriter.worksheet import Worksheet

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
GUARD = "'"

SAFE_OPTIONS: dict[str, Any] = {
    "strings_to_formulas": False,
    "strings_to_urls": False,
    "strings_to_numbers": False,
}


def workbook(target: str | Path | IO[bytes], **options: Any) -> xlsxwriter.Workbook:
    """An XlsxWriter workbook that never turns a string into a formula, a link or a number."""
    return xlsxwriter.Workbook(str(target) if isinstance(target, Path) else target, {**options, **SAFE_OPTIONS})


def guard(text: str) -> str:
    """The text as it goes into a cell: a leading apostrophe before a formula trigger."""
    return GUARD + text if text.startswith(FORMULA_TRIGGERS) else text


def unguard(text: str) -> str:
    """The text as it was typed, from a cell `guard` wrote."""
    return text[1:] if text.startswith(GUARD) and text[1:].startswith(FORMULA_TRIGGERS) else text


def write_cell(sheet: Worksheet, row: int, col: int, value: Any, fmt: Format | None = None) -> None:
    """One cell, by the value's type; None leaves it blank (with its format, for borders)."""
    if value is None or value == "":
        sheet.write_blank(row, col, None, fmt)
    elif isinstance(value, bool):
        sheet.write_boolean(row, col, value, fmt)
    elif isinstance(value, int | float | Decimal):
        sheet.write_number(row, col, float(value) if isinstance(value, Decimal) else value, fmt)
    elif isinstance(value, datetime.date):  # datetime is a date too
        sheet.write_datetime(row, col, value, fmt)
    else:
        sheet.write_string(row, col, guard(str(value)), fmt)


def merge_text(
    sheet: Worksheet, first_row: int, first_col: int, last_row: int, last_col: int, text: str, fmt: Format
) -> None:
    """A merged range holding text (a title or a 填报单位 line that names a plan or a region)."""
    sheet.merge_range(first_row, first_col, last_row, last_col, guard(text), fmt)
