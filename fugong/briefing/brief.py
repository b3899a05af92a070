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
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
from docx.shared import Mm, Pt

from fugong.briefing import official_docx as doc
from fugong.dispatch.figures import reads, reference
from fugong.dispatch.figures.completeness import Tally, completeness
from fugong.dispatch.models import AttendanceBasis, Cadence, Plan, Report
from fugong.dispatch.plans.periods import period_of
from fugong.dispatch.plans.selection import plan_enterprises
from fugong.dispatch.reports.corrections import corrections
from fugong.dispatch.reports.fields import PROBLEM_TAGS
from fugong.problems.scorecards import CategoryCount, open_by_category
from fugong.regions.models import Kind, Region

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
    today: reference.Breakdown
    yesterday: reference.Figures
    tally: Tally
    problems: list[tuple[str, int]]
    work_orders: list[CategoryCount] = field(default_factory=list)  # open now; only on today's brief
    made_at: datetime.datetime | None = None  # when the brief was made (aware); None: after the day
    corrected: int = 0  # enterprises that corrected earlier days' reports on this day

    def attendance(self, f: reference.Figures) -> Decimal | None:
        return f.attendance_rate_all if self.leads_with_all else f.attendance_rate

    @property
    def leads_with_all(self) -> bool:
        return self.plan.attendance_basis == AttendanceBasis.ALL

    @property
    def attendance_label(self) -> str:
        return ATTENDANCE_ALL if self.leads_with_all else ATTENDANCE_RESUMED

    def as_of(self) -> str:
        """截至…: the deadline, or the moment the brief was made if that is earlier (a brief made
        at 12:35 for a 16:00 deadline counts the reports received by 12:35, and says so)."""
        deadline = timezone.localtime(period_of(self.plan, self.day).deadline)
        moment = deadline
        if self.made_at is not None and self.made_at < deadline:
            moment = timezone.localtime(self.made_at)
        minutes = f"{moment.minute}分" if moment.minute else ""
        return f"截至{moment.month}月{moment.day}日{moment.hour}时{minutes}"

    def staff_sentence(self) -> str:
        """Headcounts and both 到岗率, each next to the numbers it divides; the plan's basis first."""
        t, y = self.today.total, self.yesterday
        over_all = f"{ATTENDANCE_ALL}{pct(t.attendance_rate_all)}"
        over_resumed = (
            f"已复工企业在册员工{t.baseline_headcount_resumed}人、实际到岗{t.on_duty_resumed}人，"
            f"{ATTENDANCE_RESUMED}{pct(t.attendance_rate)}"
        )
        lead = change(self.attendance(t), self.attendance(y))
        head = (
            f"在册员工{t.baseline_headcount}人，已报到{t.reported_back}人（其中报到后隔离{t.isolated}人），"
            f"实际到岗{t.on_duty}人"
        )
        if self.leads_with_all:
            return f"{head}，{over_all}{lead}；其中{over_resumed}；"
        return f"{head}；{over_resumed}{lead}，按全部纳入企业计{over_all}；"

    def paragraphs(self) -> list[str]:
        t, y = self.today.total, self.yesterday
        scope_name = "全省" if self.region.level == "province" else self.region.name
        lines = [
            f"{self.as_of()}，{scope_name}纳入“{self.plan.title}”调度的企业{t.enterprises}户，已复工{t.resumed}户，"
            f"复工率{pct(t.resumption_rate)}{change(t.resumption_rate, y.resumption_rate)}；"
            + self.staff_sentence()
            + f"{CAPACITY}{pct(t.capacity_recovery_rate)}{change(t.capacity_recovery_rate, y.capacity_recovery_rate)}。"
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
        if self.corrected:
            lines.append(f"当日有{self.corrected}户企业更正了以往日期的填报，以往各日的数字已按更正后计算。")
        return lines

    def laggards(self) -> list[reference.Figures]:
        rows = [r for r in self.today.rows if r.enterprises and r.resumption_rate is not None]
        return sorted(rows, key=lambda r: (r.resumption_rate, r.name))[:LAGGARDS] if len(rows) > 1 else []

    @property
    def title(self) -> str:
        """全省外贸企业开复工情况日调度 → …日调度日报, not …调度调度日报."""
        return f"{self.plan.title}{'日报' if self.plan.title.endswith('调度') else '调度日报'}"

    def text(self) -> str:
        return "\n".join([f"调度日报——{self.plan.title}（{self.dated}）", *self.paragraphs()])

    @property
    def issuer(self) -> str:
        """发文机关: the plan's lead department when the brief is its own region's, else the
        region's 复工复产工作专班 (a county's brief is the county's, not the province department's)."""
        department = self.plan.owner_department
        if department is not None and self.region.pk == self.plan.owner_region_id:
            name = department.name
            return name if name.startswith(self.region.name) else f"{self.region.name}{name}"
        return f"{self.region.name}复工复产工作专班"

    @property
    def number(self) -> str:
        """发文字号, e.g. 吉复工调〔2020〕17号: see `document_number`."""
        return document_number(self.plan, self.day, self.region)

    @property
    def dated(self) -> str:
        """成文日期 in Arabic numerals, without leading zeros (GB/T 9704-2012 7.3.5.3)."""
        return f"{self.day.year}年{self.day.month}月{self.day.day}日"


ATTENDANCE_RESUMED = "到岗率（已复工企业）"
ATTENDANCE_ALL = "到岗率（全部企业）"
CAPACITY = "产能恢复率（已复工企业加权）"

# 省级简称, the first character of a province's 机关代字 (吉复工调…); lower levels use their name
PROVINCE_SHORT = {
    "11": "京", "12": "津", "13": "冀", "14": "晋", "15": "蒙", "21": "辽", "22": "吉", "23": "黑",
    "31": "沪", "32": "苏", "33": "浙", "34": "皖", "35": "闽", "36": "赣", "37": "鲁", "41": "豫",
    "42": "鄂", "43": "湘", "44": "粤", "45": "桂", "46": "琼", "50": "渝", "51": "川", "52": "黔",
    "53": "滇", "54": "藏", "61": "陕", "62": "甘", "63": "青", "64": "宁", "65": "新",
}  # fmt: skip
ADMINISTRATIVE_SUFFIXES = ("自治州", "自治县", "自治旗", "地区", "市", "县", "区", "旗", "盟", "州")


def agency_code(region: Region) -> str:
    """机关代字 of the brief's issuer: 吉复工调 for 吉林省, 长春复工调 for 长春市; a functional
    zone (长春新区) keeps its whole name, which a suffix would not shorten sensibly."""
    if region.level == "province" and region.code[:2] in PROVINCE_SHORT:
        short = PROVINCE_SHORT[region.code[:2]]
    elif region.kind == Kind.ZONE:
        short = region.name
    else:
        short = next(
            (
                region.name[: -len(s)]
                for s in ADMINISTRATIVE_SUFFIXES
                if region.name.endswith(s) and len(region.name) > len(s) + 1
            ),
            region.name,
        )
    return f"{short}复工调"


def sequence(plan: Plan, day: datetime.date) -> int:
    """The brief's number within its year: the day's place in the plan, counted in calendar
    days (weeks for a weekly plan) from the plan's start or 1 January, whichever is later.
    It depends only on the plan and the day, so a brief made again has the same number."""
    first = max(plan.start_date, datetime.date(day.year, 1, 1))
    if plan.cadence == Cadence.WEEKLY:
        monday = first - datetime.timedelta(days=first.weekday())
        return (period_of(plan, day).start - monday).days // 7 + 1
    return (day - first).days + 1


def document_number(plan: Plan, day: datetime.date, region: Region) -> str:
    return f"{agency_code(region)}〔{day.year}〕{sequence(plan, day)}号"


def problem_counts(plan: Plan, day: datetime.date, region: Region, user: Any) -> list[tuple[str, int]]:
    counts: Counter[str] = Counter()
    in_scope = plan_enterprises(plan, day).in_region(region.path).visible_to(user)
    reports = Report.objects.filter(enterprise__in=in_scope, date=day).exclude(problem_tags=[])
    for tags in reports.values_list("problem_tags", flat=True):  # only the reports that name one
        counts.update(tags or [])
    return [(PROBLEM_TAGS.get(key, key), n) for key, n in counts.most_common(6)]


def build(
    plan: Plan, day: datetime.date, region: Region, user: Any, now: datetime.datetime | None = None
) -> Brief:
    now = now or timezone.now()
    yesterday = day - datetime.timedelta(days=1)
    return Brief(
        plan=plan,
        day=day,
        region=region,
        today=reads.resumption(plan, day, region, "region", user),
        yesterday=reads.resumption(plan, yesterday, region, "region", user).total,
        tally=completeness(plan, day, region, user).tally,
        problems=problem_counts(plan, day, region, user),
        work_orders=open_by_category(user, region) if day == timezone.localdate(now) else [],
        made_at=now,
        corrected=corrections(plan, day, region).count,
    )


# Each rate stands right after the two numbers it divides (the row's 企业/已复工, 在册/到岗 of
# all enterprises, 在册/到岗 of the resumed ones), so every printed rate can be checked by hand.
TABLE_HEADERS = [
    "单位",
    "纳入企业",
    "已复工",
    "复工率",
    "在册员工",
    "实际到岗",
    ATTENDANCE_ALL,
    "已复工企业在册",
    "已复工企业到岗",
    ATTENDANCE_RESUMED,
    CAPACITY,
]


def table_row(f: reference.Figures, brief: Brief | None = None) -> list[str]:
    return [
        f.name or "合计",
        str(f.enterprises),
        str(f.resumed),
        pct(f.resumption_rate),
        str(f.baseline_headcount),
        str(f.on_duty),
        pct(f.attendance_rate_all),
        str(f.baseline_headcount_resumed),
        str(f.on_duty_resumed),
        pct(f.attendance_rate),
        pct(f.capacity_recovery_rate),
    ]


def describe(document: Any, brief: Brief) -> None:
    """The file's own properties (shown by Word/WPS and the file manager): the brief's title, its
    issuer and when it was made — not python-docx's template ("generated by python-docx", 2013)."""
    props = document.core_properties
    props.title = brief.title
    props.subject = brief.number
    props.author = props.last_modified_by = brief.issuer
    props.comments = props.keywords = props.category = ""
    props.created = props.modified = brief.made_at or timezone.now()
    props.revision = 1


def docx_bytes(brief: Brief) -> bytes:
    """The brief as an official document (GB/T 9704-2012): 版头 with the issuing unit, its
    number and a red rule, the title, the text, the table, signature and date, page numbers."""
    document = Document()
    describe(document, brief)
    doc.set_up_page(document)
    doc.set_up_styles(document)
    center = WD_ALIGN_PARAGRAPH.CENTER
    doc.paragraph(document)
    doc.paragraph(
        document,
        brief.issuer,
        font=doc.TITLE_FONT,
        size=(size := doc.issuer_size(brief.issuer)),
        align=center,
        color=doc.RED,
        exact=Pt(size.pt * 1.4),
    )
    doc.paragraph(document)
    doc.red_rule(doc.paragraph(document, brief.number, align=center))
    doc.paragraph(document)
    doc.paragraph(document, brief.title, font=doc.TITLE_FONT, size=doc.SIZE_2, align=center)
    doc.paragraph(document)
    for text in brief.paragraphs():
        doc.paragraph(document, text, indent_chars=2)
    doc.paragraph(document)
    doc.paragraph(document, "附表：分地区复工复产情况", font=doc.HEADING_FONT)
    write_table(document, brief)
    doc.paragraph(document)
    doc.paragraph(document, brief.issuer, align=WD_ALIGN_PARAGRAPH.RIGHT, right_chars=2)
    doc.paragraph(document, brief.dated, align=WD_ALIGN_PARAGRAPH.RIGHT, right_chars=4)
    doc.page_numbers(document)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


FIRST_COLUMN_MM = 22


def write_table(document: Any, brief: Brief) -> None:
    table = document.add_table(rows=1, cols=len(TABLE_HEADERS))
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False
    widths = [Mm(FIRST_COLUMN_MM)] + [
        Mm((doc.TYPE_WIDTH_MM - FIRST_COLUMN_MM) / (len(TABLE_HEADERS) - 1))
    ] * (len(TABLE_HEADERS) - 1)
    rows = [TABLE_HEADERS, *(table_row(f, brief) for f in [*brief.today.rows, brief.today.total])]
    for index, values in enumerate(rows):
        cells = table.rows[0].cells if index == 0 else table.add_row().cells
        for cell, value, width in zip(cells, values, widths, strict=True):
            cell.width = width
            p = cell.paragraphs[0]
            doc.off_grid(p)
            p.paragraph_format.line_spacing_rule = WD_LINE_SPACING.EXACTLY
            p.paragraph_format.line_spacing = doc.TABLE_LINE
            p.paragraph_format.first_line_indent = Pt(0)
            p.paragraph_format.alignment = (
                WD_ALIGN_PARAGRAPH.CENTER
                if index == 0
                else (WD_ALIGN_PARAGRAPH.LEFT if value is values[0] else WD_ALIGN_PARAGRAPH.RIGHT)
            )
            doc.add_run(p, value, doc.HEADING_FONT if index == 0 else doc.BODY_FONT, doc.SIZE_TABLE)
