"""The daily brief (调度日报): the narrative a province office sends upward, in seed 003's register.

Every number comes from `figures` and `completeness`, so the brief, the API and the spreadsheet
agree to the unit; percentages are rounded half-up to 0.1 point as on the pages.
"""

from __future__ import annotations

import datetime
import io
from collections import Counter
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.utils import timezone
from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.shared import Pt

from fugong.dispatch import figures
from fugong.dispatch.completeness import Tally, completeness
from fugong.dispatch.fields import PROBLEM_TAGS
from fugong.dispatch.models import AttendanceBasis, Plan, Report
from fugong.dispatch.periods import period_of
from fugong.dispatch.selection import plan_enterprises
from fugong.problems.scorecards import CategoryCount, open_by_category
from fugong.regions.models import Region

LAGGARDS = 3


def points(rate: Decimal | None) -> Decimal | None:
    return None if rate is None else (rate * 100).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def pct(rate: Decimal | None) -> str:
    value = points(rate)
    return "—" if value is None else f"{value}%"


def change(today: Decimal | None, yesterday: Decimal | None) -> str:
    a, b = points(today), points(yesterday)
    if a is None or b is None:
        return ""
    if a == b:
        return "，与前一日持平"
    return f"，较前一日{'提高' if a > b else '下降'}{abs(a - b)}个百分点"


@dataclass
class Brief:
    plan: Plan
    day: datetime.date
    region: Region
    today: figures.Breakdown
    yesterday: figures.Figures
    tally: Tally
    problems: list[tuple[str, int]]
    work_orders: list[CategoryCount] = field(default_factory=list)  # open now; only on today's brief

    def attendance(self, f: figures.Figures) -> Decimal | None:
        return (
            f.attendance_rate_all if self.plan.attendance_basis == AttendanceBasis.ALL else f.attendance_rate
        )

    @property
    def attendance_label(self) -> str:
        return (
            "到岗率（按全部纳入企业）"
            if self.plan.attendance_basis == AttendanceBasis.ALL
            else "到岗率（按已复工企业）"
        )

    def paragraphs(self) -> list[str]:
        t, y = self.today.total, self.yesterday
        deadline = period_of(self.plan, self.day).deadline
        when = f"截至{self.day.month}月{self.day.day}日{timezone.localtime(deadline).hour}时"
        scope_name = "全省" if self.region.level == "province" else self.region.name
        lines = [
            f"{when}，{scope_name}纳入“{self.plan.title}”调度的企业{t.enterprises}户，已复工{t.resumed}户，"
            f"复工率{pct(t.resumption_rate)}{change(t.resumption_rate, y.resumption_rate)}；"
            f"在册员工{t.baseline_headcount}人，已报到{t.reported_back}人（其中报到后隔离{t.isolated}人），"
            f"实际到岗{t.on_duty}人，{self.attendance_label}{pct(self.attendance(t))}{change(self.attendance(t), self.attendance(y))}；"
            f"产能恢复率{pct(t.capacity_recovery_rate)}{change(t.capacity_recovery_rate, y.capacity_recovery_rate)}。"
        ]
        laggards = self.laggards()
        if laggards:
            names = "、".join(f"{r.name}（{pct(r.resumption_rate)}）" for r in laggards)
            lines.append(f"分地区看，复工率较低的是{names}，需加大调度和帮扶力度。")
        if self.problems:
            listed = "、".join(f"{name}{count}户" for name, count in self.problems)
            lines.append(f"当日企业反映的主要问题：{listed}。")
        else:
            lines.append("当日企业未反映突出问题。")
        if self.work_orders:
            total = sum(w.open for w in self.work_orders)
            overdue = sum(w.overdue for w in self.work_orders)
            listed = "、".join(f"{w.category}{w.open}件" for w in self.work_orders[:5])
            lines.append(f"诉求办理：目前在办诉求{total}件，其中超时{overdue}件；主要类别为{listed}。")
        c = self.tally
        lines.append(
            f"填报情况：应报{c.expected}户，已报{c.submitted}户（按时{c.on_time}户、迟报{c.late}户），未报{c.missing}户，"
            f"报送率{pct(c.submitted_rate)}。"
        )
        return lines

    def laggards(self) -> list[figures.Figures]:
        rows = [r for r in self.today.rows if r.enterprises and r.resumption_rate is not None]
        return sorted(rows, key=lambda r: (r.resumption_rate, r.name))[:LAGGARDS] if len(rows) > 1 else []

    def text(self) -> str:
        return "\n".join([f"调度日报——{self.plan.title}（{self.day:%Y年%m月%d日}）", *self.paragraphs()])


def problem_counts(plan: Plan, day: datetime.date, region: Region, user: Any) -> list[tuple[str, int]]:
    counts: Counter[str] = Counter()
    in_scope = plan_enterprises(plan, day).in_region(region.path).visible_to(user)
    reports = Report.objects.filter(enterprise__in=in_scope, date=day).exclude(problem_tags=[])
    for tags in reports.values_list("problem_tags", flat=True):  # only the reports that name one
        counts.update(tags or [])
    return [(PROBLEM_TAGS.get(key, key), n) for key, n in counts.most_common(6)]


def build(plan: Plan, day: datetime.date, region: Region, user: Any) -> Brief:
    yesterday = day - datetime.timedelta(days=1)
    return Brief(
        plan=plan,
        day=day,
        region=region,
        today=figures.resumption(plan, day, region, "region", user),
        yesterday=figures.resumption(plan, yesterday, region, "region", user).total,
        tally=completeness(plan, day, region, user).tally,
        problems=problem_counts(plan, day, region, user),
        work_orders=open_by_category(user, region) if day == timezone.localdate() else [],
    )


TABLE_HEADERS = ["单位", "纳入企业", "已复工", "复工率", "在册员工", "实际到岗", "到岗率", "产能恢复率"]


def table_row(f: figures.Figures, brief: Brief) -> list[str]:
    return [
        f.name,
        str(f.enterprises),
        str(f.resumed),
        pct(f.resumption_rate),
        str(f.baseline_headcount),
        str(f.on_duty),
        pct(brief.attendance(f)),
        pct(f.capacity_recovery_rate),
    ]


def docx_bytes(brief: Brief) -> bytes:
    document = Document()
    style = document.styles["Normal"]
    style.font.name = "Noto Serif CJK SC"
    style.font.size = Pt(12)
    title = document.add_heading(f"调度日报——{brief.plan.title}", level=1)
    title.alignment = WD_ALIGN_PARAGRAPH.CENTER
    dateline = document.add_paragraph(f"{brief.region.name}　{brief.day:%Y年%m月%d日}")
    dateline.alignment = WD_ALIGN_PARAGRAPH.CENTER
    for text in brief.paragraphs():
        document.add_paragraph(text).paragraph_format.first_line_indent = Pt(24)
    table = document.add_table(rows=1, cols=len(TABLE_HEADERS))
    table.style = "Table Grid"
    for cell, header in zip(table.rows[0].cells, TABLE_HEADERS, strict=True):
        cell.text = header
    for f in [*brief.today.rows, brief.today.total]:
        for cell, value in zip(table.add_row().cells, table_row(f, brief), strict=True):
            cell.text = value
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()
