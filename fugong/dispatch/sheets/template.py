"""The fill-in template (填报模板): a plan's sheet for one day and region, roster pre-filled.

Enterprises that report in Excel or WPS, and liaisons who collect figures by phone, get one
row per enterprise in their scope with its code, name, region and headcount already written.
The identifying cells are locked and the rest unlocked, with drop-downs and number ranges that
mirror the report's own rules, so most typing mistakes are caught before the import. The sheet
is protected without a password: protection guards against slips, and a clerk who must
reorganise the sheet can lift it. A very hidden sheet says which plan, day and region the file
was made for (see report_sheet), so the import can refuse a sheet loaded against the wrong one.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import xlsxwriter
from django.db.models import OuterRef, QuerySet, Subquery
from django.utils import timezone
from xlsxwriter.format import Format
from xlsxwriter.worksheet import Worksheet

from fugong.core import sheets
from fugong.core.access import Action
from fugong.dispatch.models import Plan, Report, ReportRevision
from fugong.dispatch.plans.periods import period_of
from fugong.dispatch.plans.selection import plan_enterprises
from fugong.dispatch.reports.fields import COUNT_FIELDS, MEASURES, PROBLEM_TAGS
from fugong.dispatch.sheets.columns import COLUMNS, META_SHEET, REPORT_COLUMNS, meta_rows
from fugong.regions.models import Region

SHEET = "调度表"
INSTRUCTIONS = "填表说明"
HEADER_ROW = 2  # below the title and the 填报单位 line; the importer finds it by its words
FIRST_DATE = datetime.date(2000, 1, 1)
MAX_COUNT = 1_000_000  # the report's own upper bound for head counts
MAX_PERCENT = 200

# Hints where the template's cells differ from sheets in general: a cell typed "100%" holds
# 1, which cannot be told from 1%, so here percentages are plain numbers of points.
TEMPLATE_HINTS = {
    "resumed": "从下拉列表选择“是”或“否”",
    "resumed_on": "已复工企业填写开始复工的日期，如 2020-02-17；未复工不填",
    "baseline_headcount": "已按企业最近一次填报（没有的按企业库）预填，人数有变化可直接修改",
    "isolated": "报到人数中正在隔离、尚未到岗的员工数",
    "capacity_pct": "填0到200之间的数字，单位为%：恢复到正常产能的65%填 65，请不要输入%号；未复工填0",
    "measures": "可填多项，用“、”分隔，可选：" + "、".join(MEASURES.values()),
    "problem_tags": "可填多项，用“、”分隔，可选：" + "、".join(PROBLEM_TAGS.values()),
    "problems": "开工后遇到的突出问题，没有可不填",
    "suggestions": "对政府部门的意见建议，没有可不填",
}
REQUIRED = {"resumed", *COUNT_FIELDS}
OWN_REPORT_COLOUR = "#E2EFDA"
OWN_REPORT_HEADER = "企业自行报送"  # not a report column: the import ignores it
EXTRA_TYPES = {"int": "整数", "decimal": "数值", "text": "文字"}


@dataclass(frozen=True)
class Slot:
    """One column of the template as written: a sheet column or one of the plan's own items."""

    field: str
    header: str
    width: int
    hint: str
    locked: bool  # identifies the enterprise; everything else the enterprise may change
    required: bool = False
    kind: str = ""  # an extra item's type: int, decimal or text


def slots(plan: Plan) -> list[Slot]:
    core = [
        Slot(
            field=c.field,
            header=c.header,
            width=c.width,
            hint=TEMPLATE_HINTS.get(c.field, c.hint),
            # baseline headcount is pre-filled but is part of the report: it may change
            locked=c.prefilled and c.field not in REPORT_COLUMNS,
            required=c.field in REQUIRED,
        )
        for c in COLUMNS
    ]
    extra = []
    for spec in plan.extra_fields:
        label, unit, kind = (
            spec.get("label") or spec["key"],
            spec.get("unit") or "",
            spec.get("type", "decimal"),
        )
        # the importer's header matching ignores text in brackets, so the unit may show
        header = f"{label}（{unit}）" if unit else label
        extra.append(
            Slot(
                field=f"extra:{spec['key']}",
                header=header,
                width=max(10, min(30, len(header) * 2 + 2)),
                hint=f"本任务的附加填报项，填{EXTRA_TYPES.get(kind, '数值')}"
                + (f"，单位为{unit}" if unit else ""),
                locked=False,
                required=bool(spec.get("required")),
                kind=kind,
            )
        )
    own = Slot(
        field="own_report",
        header=OWN_REPORT_HEADER,
        width=18,
        hint="系统标注：企业当日已自行报送的（绿色行），写明报送时间，并已按企业报送的数据预填；"
        "原样交回不会改变企业的数据，导入时也不会覆盖企业自行报送的数据，除非导入时明确选择覆盖",
        locked=True,
    )
    return core + extra + [own]


def own_reports(plan: Plan, day: datetime.date, region: Region, user: Any) -> dict[int, dict[str, Any]]:
    """Enterprise id → the day's report values and when the enterprise reported it itself, for
    the roster's enterprises that have done so (see self_reports): their rows come pre-filled."""
    last_own = ReportRevision.objects.filter(report=OuterRef("pk"), on_behalf=False).order_by("-at")
    enterprises = plan_enterprises(plan, day).in_region(region.path).visible_to(user, Action.REPORT)
    reports = (
        Report.objects.filter(date=day, enterprise__in=enterprises.values("pk"))
        .annotate(own_at=Subquery(last_own.values("at")[:1]))
        .filter(own_at__isnull=False)
    )
    return {r.enterprise_id: {**r.values(), "own_at": r.own_at} for r in reports}  # type: ignore[attr-defined]


def answers(report: dict[str, Any]) -> dict[str, Any]:
    """A report's values as the template's cells hold them (what the import reads back the same)."""
    cells = {name: report[name] for name in REPORT_COLUMNS if name in report}
    cells["resumed"] = "是" if report["resumed"] else "否"
    cells["measures"] = "、".join(MEASURES.get(k, k) for k in report["measures"]) or None
    cells["problem_tags"] = "、".join(PROBLEM_TAGS.get(k, k) for k in report["problem_tags"]) or None
    cells["problems"] = report["problems"] or None
    cells["suggestions"] = report["suggestions"] or None
    for key, value in (report.get("extra") or {}).items():
        cells[f"extra:{key}"] = value
    cells["own_report"] = f"已自行报送 {timezone.localtime(report['own_at']):%H:%M}"
    return cells


def roster(plan: Plan, day: datetime.date, region: Region, user: Any) -> QuerySet[Any, dict[str, Any]]:
    """The enterprises the user reports for: code, name, region name and current headcount.

    Reports before the plan started are ignored, as in the figures, so that the template and
    the official-form spreadsheet show the same 在册 for the same day.
    """
    latest = Report.objects.filter(
        enterprise_id=OuterRef("pk"), date__lte=day, date__gte=plan.start_date
    ).order_by("-date")
    return (
        plan_enterprises(plan, day)
        .in_region(region.path)
        .visible_to(user, Action.REPORT)
        .annotate(reported=Subquery(latest.values("baseline_headcount")[:1]))
        .order_by("region__path", "name", "pk")
        .values("pk", "uscc", "name", "region__name", "baseline_headcount", "reported")
    )


def validation(slot: Slot, day: datetime.date) -> dict[str, Any] | None:
    """Excel's data validation for a column: what the import would refuse, caught while typing."""
    title = slot.header[:32]
    if slot.field == "resumed":
        return {
            "validate": "list",
            "source": ["是", "否"],
            "input_title": title,
            "input_message": "请从下拉列表选择“是”或“否”",
            "error_title": "是否复工",
            "error_message": "只能填“是”或“否”，请从下拉列表选择",
        }
    if slot.field == "resumed_on":
        return {
            "validate": "date",
            "criteria": "between",
            "minimum": FIRST_DATE,
            "maximum": day,
            "input_title": title,
            "input_message": f"如 {day:%Y-%m-%d}；不能晚于填报日期；未复工不填",
            # a warning, not a stop: the import also reads dates typed as text, such as 2020.2.17
            "error_type": "warning",
            "error_title": "复工日期",
            "error_message": f"复工日期应为不晚于{day:%Y年%m月%d日}的日期，请核对",
        }
    if slot.field in COUNT_FIELDS or slot.kind == "int":
        limit = MAX_COUNT if slot.field in COUNT_FIELDS else 2_000_000_000
        return {
            "validate": "integer",
            "criteria": "between",
            "minimum": 0,
            "maximum": limit,
            "input_title": title,
            "input_message": "填整数，没有填0" if slot.field in COUNT_FIELDS else "填整数",
            "error_title": slot.header[:32],
            "error_message": f"请填写0到{limit:,}之间的整数",
        }
    if slot.field == "capacity_pct":
        return {
            "validate": "decimal",
            "criteria": "between",
            "minimum": 0,
            "maximum": MAX_PERCENT,
            "input_title": title,
            "input_message": "单位为%，填数字：恢复65%填 65，不要输入%号；未复工填0",
            "error_title": "产能恢复比例",
            "error_message": f"请填写0到{MAX_PERCENT}之间的数字（单位为%），如 65",
        }
    if slot.kind == "decimal":
        return {
            "validate": "decimal",
            "criteria": ">=",
            "value": 0,
            "input_title": title,
            "input_message": "填数值，如 35.5",
            "error_title": title,
            "error_message": "请填写不小于0的数值",
        }
    if slot.field in ("measures", "problem_tags") or slot.kind == "text":
        return {"validate": "any", "input_title": title, "input_message": slot.hint[:255]}
    return None


class Formats:
    def __init__(self, book: xlsxwriter.Workbook) -> None:
        f = book.add_format
        base = {"border": 1, "valign": "vcenter"}
        self.title = f({"bold": True, "font_size": 16, "align": "center", "valign": "vcenter"})
        self.line = f({"valign": "vcenter"})
        self.head = f({**base, "bold": True, "align": "center", "text_wrap": True, "bg_color": "#DDEBF7"})
        cells = {
            "fixed": {**base, "bg_color": "#F2F2F2"},
            "code": {**base, "bg_color": "#F2F2F2", "num_format": "@"},  # keep all 18 characters
            "fill": {**base, "locked": False, "bg_color": "#FFFDE7"},
            "fill_text": {**base, "locked": False, "bg_color": "#FFFDE7", "text_wrap": True},
            "fill_date": {**base, "locked": False, "bg_color": "#FFFDE7", "num_format": "yyyy-mm-dd"},
        }
        self.fixed, self.code, self.fill, self.fill_text, self.fill_date = (f(cells[n]) for n in cells)
        # the same cells, green, on the rows of enterprises that have reported the day themselves
        self.own = {
            id(getattr(self, name)): f({**props, "bg_color": OWN_REPORT_COLOUR}) for name, props in cells.items()
        }
        self.note = f({"italic": True, "font_color": "#7F7F7F"})
        self.bold = f({"bold": True, "valign": "top"})
        self.wrap = f({"text_wrap": True, "valign": "top"})

    def for_slot(self, slot: Slot) -> Format:
        if slot.field == "uscc":
            return self.code
        if slot.locked:
            return self.fixed
        if slot.field == "resumed_on":
            return self.fill_date
        if slot.field in ("measures", "problem_tags", "problems", "suggestions") or slot.kind == "text":
            return self.fill_text
        return self.fill


def write_template(
    plan: Plan, day: datetime.date, region: Region, user: Any, output: str | Path | IO[bytes]
) -> int:
    """Writes the template to a path or a binary file; returns the number of enterprise rows."""
    book = sheets.workbook(output, constant_memory=True)
    formats = Formats(book)
    columns = slots(plan)
    sheet = book.add_worksheet(SHEET)
    count = write_roster(sheet, formats, columns, plan, day, region, user)
    write_instructions(book.add_worksheet(INSTRUCTIONS), formats, columns, plan, day, region)
    meta = book.add_worksheet(META_SHEET)
    for row, (key, value) in enumerate(meta_rows(plan.pk, day, region.code)):
        meta.write_string(row, 0, key)
        meta.write_string(row, 1, value)
    meta.very_hidden()
    book.close()
    return count


def write_roster(
    sheet: Worksheet,
    formats: Formats,
    columns: list[Slot],
    plan: Plan,
    day: datetime.date,
    region: Region,
    user: Any,
) -> int:
    last = len(columns) - 1
    for col, slot in enumerate(columns):
        sheet.set_column(col, col, slot.width)
    sheet.set_row(0, 30)
    sheets.merge_text(sheet, 0, 0, 0, last, f"{plan.title}填报表", formats.title)
    sheets.merge_text(sheet, 1, 0, 1, last, f"填报单位：{region.name}　填报日期：{day:%Y年%m月%d日}", formats.line)
    for col, slot in enumerate(columns):
        sheets.write_cell(sheet, HEADER_ROW, col, slot.header, formats.head)  # a plan's own items too
    cell_formats = [formats.for_slot(slot) for slot in columns]
    own_formats = [formats.own[id(fmt)] for fmt in cell_formats]
    own = own_reports(plan, day, region, user)
    row = HEADER_ROW
    for e in roster(plan, day, region, user).iterator(chunk_size=2000):
        row += 1
        prefill = {
            "uscc": e["uscc"],
            "name": e["name"],
            "region": e["region__name"],
            "baseline_headcount": e["baseline_headcount"] if e["reported"] is None else e["reported"],
        }
        report = own.get(e["pk"])
        if report is not None:  # sent back unchanged, the row changes nothing
            prefill |= answers(report)
        row_formats = cell_formats if report is None else own_formats
        for col, slot in enumerate(columns):
            value = prefill.get(slot.field)
            if value is None:
                sheet.write_blank(row, col, None, row_formats[col])
            else:  # names and pre-filled answers are the users' text: never a formula
                sheets.write_cell(sheet, row, col, value, row_formats[col])
    count = row - HEADER_ROW
    if count:
        for col, slot in enumerate(columns):
            options = validation(slot, day)
            if options:
                sheet.data_validation(HEADER_ROW + 1, col, row, col, options)
    else:
        # "说明" makes the importer skip this line as a note rather than read it as data
        sheet.write_string(
            HEADER_ROW + 1,
            0,
            f"说明：{region.name}在{day:%Y年%m月%d日}没有需要您填报的企业"
            "（不在本调度任务范围内，或不在您的填报权限内）",
            formats.note,
        )
    sheet.freeze_panes(HEADER_ROW + 1, 2)
    sheet.repeat_rows(HEADER_ROW)
    sheet.set_landscape()
    sheet.set_paper(9)  # A4
    sheet.fit_to_pages(1, 0)
    sheet.set_margins(left=0.4, right=0.4, top=0.5, bottom=0.5)
    # No password: it guards against slips, and the instructions say how to lift it. No
    # filter either: rows a filter hides are saved hidden, and the import refuses hidden rows.
    sheet.protect(
        "",
        {
            "format_columns": True,
            "format_rows": True,
            "select_locked_cells": True,
            "select_unlocked_cells": True,
        },
    )
    return count


def write_instructions(
    sheet: Worksheet,
    formats: Formats,
    columns: list[Slot],
    plan: Plan,
    day: datetime.date,
    region: Region,
) -> None:
    deadline = timezone.localtime(period_of(plan, day).deadline)
    paragraphs = [
        f"本表用于“{plan.title}”{day:%Y年%m月%d日}的填报，填报单位：{region.name}。",
        f"截止时间：{deadline:%Y年%m月%d日 %H:%M}（北京时间）。请在此前完成导入；逾期仍可导入，但记为迟报。",
        "灰色单元格是系统预填的企业信息，不能修改；浅黄色单元格由企业填写。"
        "在册员工已按企业最近一次填报（没有填报的按企业库）预填，人数有变化可直接修改。",
        "统一社会信用代码用于识别企业，请勿修改，也不要删除该列。",
        "行的先后顺序不影响导入：系统按统一社会信用代码逐行对应企业。"
        "工作表已设保护但没有密码，如确需排序或删除行，可在“审阅”菜单中点“撤销工作表保护”；"
        "请不要修改表头文字。",
        "只有预填内容、其余各列都空着的企业行视为未报，不会导入。空着的单元格不会清空系统中已有的数据。",
        f"绿色的行是企业当日已自行报送的，“{OWN_REPORT_HEADER}”列写明报送时间，各栏已按企业报送的数据预填；"
        "导入时不会覆盖企业自行报送的数据（结果中注明“未覆盖”），确需覆盖的，请与企业核实后在导入结果页面勾选覆盖。",
        "百分比按数字填写，单位为%：产能恢复到正常水平的65%填 65，超过正常产能的可填大于100的数（最大200）。",
        "填好后保存为 .xlsx 文件，上传到系统的“报表导入”页面；"
        "也可由管理员在服务器上运行 python manage.py import_reports 导入。",
    ]
    sheet.set_column(0, 0, 20)
    sheet.set_column(1, 1, 90)
    sheet.write_string(0, 0, "填表说明", formats.title)
    row = 1
    for number, text in enumerate(paragraphs, start=1):
        row += 1
        sheet.write_string(row, 0, f"{number}.", formats.bold)
        sheet.write_string(row, 1, text, formats.wrap)
    row += 2
    # Column names go down one column only, so that the import never takes this list for
    # the data sheet's header row.
    sheet.write_string(row, 0, "各列填写要求", formats.bold)
    for slot in columns:
        row += 1
        marks = ["必填" if slot.required else "", "预填，不能修改" if slot.locked else ""]
        note = "；".join(filter(None, [slot.hint, *marks]))
        sheets.write_cell(sheet, row, 0, slot.header, formats.bold)
        sheets.write_cell(sheet, row, 1, note or "可不填", formats.wrap)
    sheet.set_landscape()
    sheet.set_paper(9)
    sheet.fit_to_pages(1, 0)
