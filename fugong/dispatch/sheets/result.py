"""The uploaded sheet handed back with a result column, so a clerk fixes the rows in place.

The rows are written as they were read (values, not formulas or styles) with one more column,
“导入结果”, on the header row and each data row; rejected rows are tinted. XlsxWriter's
constant-memory mode writes row by row, so a 100,000-row sheet stays small in memory.
"""

from __future__ import annotations

import datetime
import io

from fugong.core import sheets
from fugong.dispatch.sheets.reading import ReportImportResult

RESULT_HEADER = "导入结果"


def result_workbook(result: ReportImportResult) -> bytes:
    assert result.table is not None
    table = result.table
    by_row = {o.row: o for o in result.outcomes}
    width = max((len(r) for r in table.sheet.rows), default=0)
    buffer = io.BytesIO()
    book = sheets.workbook(buffer, constant_memory=True, in_memory=True)
    sheet = book.add_worksheet(table.sheet.name[:31] or "导入结果")
    rejected = book.add_format({"bg_color": "#FDECEA", "font_color": "#B03A2E", "text_wrap": True})
    accepted = book.add_format({"font_color": "#1E8449"})
    bold = book.add_format({"bold": True})
    dates = book.add_format({"num_format": "yyyy-mm-dd"})
    sheet.set_column(width, width, 60)
    for index, row in enumerate(table.sheet.rows):
        for col, value in enumerate(row):
            # what the clerk typed, as text where it was text (never a formula: see core.sheets)
            sheets.write_cell(sheet, index, col, value, dates if isinstance(value, datetime.date) else None)
        outcome = by_row.get(index + 1)
        if index == table.header.row_index:
            sheet.write_string(index, width, RESULT_HEADER, bold)
        elif outcome is not None:
            text = outcome.status_label + (f"：{outcome.message}" if outcome.message else "")
            sheets.write_cell(sheet, index, width, text, rejected if outcome.status == "rejected" else accepted)
    sheet.freeze_panes(table.header.row_index + 1, 0)
    book.close()
    return buffer.getvalue()

