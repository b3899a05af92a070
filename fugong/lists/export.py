"""A list as of a day as an .xlsx sheet: the entries the reader may see, ranked (issue 15 §4)."""

from __future__ import annotations

import datetime
import io
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils.http import content_disposition_header

from fugong.core import audit
from fugong.core.sheets import merge_text, workbook, write_cell
from fugong.lists import reads
from fugong.lists.models import KeyList

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
HEADERS = ("排名", "统一社会信用代码", "企业名称", "所属区划", "得分", "列入日期", "提名人", "批准人")
WIDTHS = (6, 22, 36, 14, 8, 12, 12, 12)


def list_sheet(user: Any, key_list: KeyList, day: datetime.date) -> bytes:
    buffer = io.BytesIO()
    book = workbook(buffer, in_memory=True)
    sheet = book.add_worksheet("清单")
    title = book.add_format({"bold": True, "font_size": 14, "align": "center"})
    head = book.add_format({"bold": True, "border": 1, "align": "center", "bg_color": "#EEEEEE"})
    cell = book.add_format({"border": 1})
    date_cell = book.add_format({"border": 1, "num_format": "yyyy-mm-dd"})
    merge_text(sheet, 0, 0, 0, len(HEADERS) - 1, f"{key_list.title}（{day:%Y年%m月%d日}在列）", title)
    for col, (header, width) in enumerate(zip(HEADERS, WIDTHS, strict=True)):
        sheet.set_column(col, col, width)
        write_cell(sheet, 1, col, header, head)
    for row, r in enumerate(reads.entries_on(user, key_list, day), start=2):
        e = r.entry
        values = (
            r.rank,
            e.enterprise.uscc,
            e.enterprise.name,
            e.enterprise.region.name,
            r.score,
            e.valid_from,
            str(e.nominated_by or ""),
            str(e.approved_by or ""),
        )
        for col, value in enumerate(values):
            write_cell(sheet, row, col, value, date_cell if isinstance(value, datetime.date) else cell)
    book.close()
    return buffer.getvalue()


def download(request: HttpRequest, key_list: KeyList, day: datetime.date) -> HttpResponse:
    """The sheet as a download, for the page and the API alike; audited (it names enterprises)."""
    filename = f"{key_list.title}-{day}.xlsx"
    response = HttpResponse(list_sheet(request.user, key_list, day), content_type=XLSX)
    response["Content-Disposition"] = content_disposition_header(True, filename) or "attachment"
    audit.record_download(request, "export.key_list", key_list, filename, date=day)
    return response
