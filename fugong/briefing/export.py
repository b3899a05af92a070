"""The official-form spreadsheet (调度表): the form attached to the province's notice (seed 000).

Title, 填报单位 and date lines, two-row merged headers (员工情况 over 在册/报到/隔离/到岗), one
row per enterprise — its carried-forward status with that day's text answers — or one row per
child region, a totals row, frozen headers and A4 landscape printing. XlsxWriter writes in
constant-memory mode straight to a file, so a province-sized sheet does not sit in memory.
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.utils import timezone

from fugong.briefing.brief import ATTENDANCE_ALL, ATTENDANCE_RESUMED, CAPACITY, points
from fugong.core import sheets
from fugong.dispatch.figures import reads, reference
from fugong.dispatch.models import Plan, Report
from fugong.dispatch.plans.periods import period_of
from fugong.dispatch.reports.fields import MEASURES, PROBLEM_TAGS
from fugong.enterprises.models import Enterprise
from fugong.regions.models import Region

ENTERPRISE_COLUMNS = [
    ("序号", 6),
    ("企业名称", 30),
    ("统一社会信用代码", 21),
    ("所属区划", 12),
    ("是否复工", 8),
    ("复工日期", 11),
    ("在册", 8),
    ("报到", 8),
    ("隔离", 8),
    ("到岗", 8),
    ("实际产能恢复比例(%)", 11),
    ("防疫措施落实", 24),
    ("突出问题", 28),
    ("政策建议", 24),
    ("报送情况", 14),
]
REGION_COLUMNS = [
    ("序号", 6),
    ("单位", 22),
    ("纳入企业", 9),
    ("已复工", 9),
    ("复工率(%)", 10),
    ("在册", 10),
    ("报到", 10),
    ("隔离", 10),
    ("到岗", 10),
    (ATTENDANCE_ALL + "(%)", 12),
    ("在册", 10),
    ("到岗", 10),
    (ATTENDANCE_RESUMED + "(%)", 12),
    (CAPACITY + "(%)", 14),
    ("数据非当日", 10),
]
STAFF = "员工情况（人）"
STAFF_FIRST = 6  # the first of the four columns under 员工情况 in the per-enterprise layout
# Column groups under a merged heading: (first column, heading, number of columns). In the
# summary each 到岗率 follows the two numbers it divides: 到岗 ÷ 在册 of all enterprises, then
# of the resumed ones only.
ENTERPRISE_GROUPS = [(STAFF_FIRST, STAFF, 4)]
REGION_GROUPS = [(5, STAFF, 4), (10, "其中已复工企业（人）", 2)]


def percent_points(rate: Decimal | None) -> float | None:
    """Rounded half-up to 0.1 point like the brief and the pages, so they print the same figure."""
    value = points(rate)
    return None if value is None else float(value)


class Sheet:
    """The shared frame of both layouts: title, lines, merged headers, print set-up."""

    def __init__(
        self,
        path: Path,
        title: str,
        unit: str,
        day: datetime.date,
        columns: list[tuple[str, int]],
        groups: list[tuple[int, str, int]],
    ) -> None:
        self.book = sheets.workbook(path, constant_memory=True)
        self.sheet = self.book.add_worksheet("调度表")
        self.columns = columns
        f = self.book.add_format
        self.title = f({"bold": True, "font_size": 16, "align": "center", "valign": "vcenter"})
        self.head = f(
            {
                "bold": True,
                "border": 1,
                "align": "center",
                "valign": "vcenter",
                "text_wrap": True,
                "bg_color": "#DDEBF7",
            }
        )
        self.cell = f({"border": 1, "valign": "top", "text_wrap": True})
        self.number = f({"border": 1, "num_format": "#,##0"})
        self.rate = f({"border": 1, "num_format": "0.0"})
        self.total = f({"border": 1, "bold": True, "num_format": "#,##0"})
        self.total_rate = f({"border": 1, "bold": True, "num_format": "0.0"})
        last = len(columns) - 1
        for col, (_, width) in enumerate(columns):
            self.sheet.set_column(col, col, width)
        sheets.merge_text(self.sheet, 0, 0, 0, last, title, self.title)
        sheets.write_cell(self.sheet, 1, 0, f"填报单位：{unit}")
        sheets.write_cell(self.sheet, 1, last - 2, f"日期：{day:%Y年%m月%d日}")
        self.write_two_row_header(groups)
        self.sheet.freeze_panes(4, 2)
        self.sheet.set_landscape()
        self.sheet.set_paper(9)  # A4
        self.sheet.fit_to_pages(1, 0)
        self.sheet.repeat_rows(2, 3)
        self.sheet.set_margins(left=0.4, right=0.4, top=0.5, bottom=0.5)
        self.row = 4

    def write_two_row_header(self, groups: list[tuple[int, str, int]]) -> None:
        """Rows 3–4: each column's name merged over both rows, a group's heading over its columns.

        In constant-memory mode a row is flushed as soon as a later row is written, so both
        header rows are written cell by cell in row order and the merged areas are then
        recorded with XlsxWriter's merge list (what merge_range does after writing).
        """
        heading = {first: title for first, title, _ in groups}
        grouped = {col for first, _, count in groups for col in range(first, first + count)}
        for col, (name, _) in enumerate(self.columns):
            self.sheet.write_string(2, col, heading.get(col, "" if col in grouped else name), self.head)
        for col, (name, _) in enumerate(self.columns):
            self.sheet.write_string(3, col, name if col in grouped else "", self.head)
        merges = [(2, col, 3, col) for col in range(len(self.columns)) if col not in grouped]
        for area in [*merges, *((2, first, 2, first + count - 1) for first, _, count in groups)]:
            self.sheet.merge.append(list(area))

    def write(self, values: list[Any], formats: list[Any]) -> None:
        for col, (value, fmt) in enumerate(zip(values, formats, strict=True)):
            sheets.write_cell(self.sheet, self.row, col, value, fmt)
        self.row += 1

    def close(self) -> None:
        self.book.close()


def by_enterprise(path: Path, plan: Plan, day: datetime.date, region: Region, user: Any) -> int:
    """One row per enterprise in scope; returns the number of enterprise rows."""
    statuses = sorted(
        reference.statuses(plan, day, region, user), key=lambda s: (s.region_path, s.enterprise_id)
    )
    ids = [s.enterprise_id for s in statuses]
    enterprises = {
        e.pk: e
        for e in Enterprise.objects.filter(pk__in=ids)
        .select_related("region")
        .only("pk", "name", "uscc", "region__name")
    }
    texts = {
        r.enterprise_id: r
        for r in Report.objects.filter(enterprise_id__in=ids, date=day).only(
            "enterprise_id",
            "resumed_on",
            "measures",
            "problems",
            "problem_tags",
            "suggestions",
            "received_at",
        )
    }
    deadline = period_of(plan, day).deadline
    sheet = Sheet(path, f"{plan.title}调度表", region.name, day, ENTERPRISE_COLUMNS, ENTERPRISE_GROUPS)
    cells = [sheet.cell] * 6 + [sheet.number] * 4 + [sheet.rate] + [sheet.cell] * 4
    total = reference.Figures()
    for number, s in enumerate(statuses, start=1):
        total.add(s, day)
        e, report = enterprises[s.enterprise_id], texts.get(s.enterprise_id)
        sheet.write(
            [
                number,
                e.name,
                e.uscc,
                e.region.name,
                "是" if s.resumed else "否",
                report.resumed_on.isoformat() if report and report.resumed_on else None,
                s.baseline_headcount,
                s.reported_back,
                s.isolated,
                s.on_duty,
                float(s.capacity_pct) if s.capacity_pct is not None else None,
                "、".join(MEASURES.get(m, m) for m in report.measures) if report else None,
                "；".join(
                    filter(
                        None,
                        ["、".join(PROBLEM_TAGS.get(t, t) for t in report.problem_tags), report.problems],
                    )
                )
                if report
                else None,
                report.suggestions or None if report else None,
                report_state(report, s, day, deadline),
            ],
            cells,
        )
    totals = [
        "合计",
        f"{total.enterprises}户",
        None,
        None,
        f"已复工{total.resumed}户",
        None,
        total.baseline_headcount,
        total.reported_back,
        total.isolated,
        total.on_duty,
        percent_points(total.capacity_recovery_rate),
        None,
        None,
        None,
        None,
    ]
    sheet.write(totals, [sheet.total] * len(totals))
    sheet.close()
    return len(statuses)


def report_state(
    report: Report | None, s: reference.Status, day: datetime.date, deadline: datetime.datetime
) -> str:
    if report is not None:
        return (
            "按时"
            if report.received_at < deadline
            else f"迟报 {timezone.localtime(report.received_at):%H:%M}"
        )
    if s.report_date is None:
        return "未报"
    return f"未报（沿用{s.report_date:%m-%d}）"


def by_region(path: Path, plan: Plan, day: datetime.date, region: Region, user: Any) -> int:
    """One row per child region with the rates; returns the number of region rows."""
    result = reads.resumption(plan, day, region, "region", user)
    sheet = Sheet(path, f"{plan.title}调度汇总表", region.name, day, REGION_COLUMNS, REGION_GROUPS)
    kinds = "ttnnrnnnnrnnrrn"  # text, number or rate, column by column
    cells = [{"t": sheet.cell, "n": sheet.number, "r": sheet.rate}[k] for k in kinds]
    totals = [{"t": sheet.total, "n": sheet.total, "r": sheet.total_rate}[k] for k in kinds]
    for number, f in enumerate(result.rows, start=1):
        sheet.write(region_values(number, f), cells)
    sheet.write(region_values("合计", result.total), totals)
    sheet.close()
    return len(result.rows)


def region_values(number: Any, f: reference.Figures) -> list[Any]:
    return [
        number,
        f.name if number != "合计" else "",
        f.enterprises,
        f.resumed,
        percent_points(f.resumption_rate),
        f.baseline_headcount,
        f.reported_back,
        f.isolated,
        f.on_duty,
        percent_points(f.attendance_rate_all),
        f.baseline_headcount_resumed,
        f.on_duty_resumed,
        percent_points(f.attendance_rate),
        percent_points(f.capacity_recovery_rate),
        f.stale,
    ]
