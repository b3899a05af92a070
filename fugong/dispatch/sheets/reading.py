"""Imports of filled dispatch sheets (.xlsx, .xls, .csv): each row becomes an enterprise's report.

Every row goes through the checks of a web submission (`fields.check_report`, the plan, lock
and scope checks of `submit.check_submit_report`) and is written by the batch form of the same
action, with a revision on channel "excel". All-or-nothing: one rejected row and nothing is
written. Rows whose fill-in cells are all blank (an enterprise that has not reported yet) are
skipped, so a county can pass up a half-filled template. Re-importing a file changes nothing:
rows equal to the stored report are "unchanged" and get no revision. A blank cell keeps the
stored value, and an enterprise's own report of the day is left alone unless the uploader
chose to overwrite it (see `self_reports`): such rows are "kept", which fails nothing.

Work goes a thousand rows at a time inside one transaction — a few queries per chunk, not per
row — so a 100,000-row province sheet takes seconds and memory stays bounded by the sheet.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from fugong.core import audit, bulk, cells, tables
from fugong.core.access import Action
from fugong.core.errors import ValidationFailed
from fugong.core.models import Channel
from fugong.core.uscc import normalize_uscc, uscc_problem
from fugong.dispatch.figures import rollups
from fugong.dispatch.models import Cadence, PeriodUnlock, Plan, Report
from fugong.dispatch.plans.periods import lock_date
from fugong.dispatch.plans.selection import plan_covers
from fugong.dispatch.reports import baselines, self_reports, submit
from fugong.dispatch.reports.fields import HISTORY_FIELDS, LABELS, REPORT_FIELDS, Baseline, check_report
from fugong.dispatch.sheets.columns import (
    COLUMNS_BY_FIELD,
    META_SHEET,
    REPORT_COLUMNS,
    header_aliases,
    read_meta,
)
from fugong.enterprises.models import Enterprise, Industry, load_sector_names
from fugong.regions.models import Region

Progress = Callable[[int, int], None]
CHUNK = 1000
HISTORY_DAYS = 120  # the warnings look at up to 16 earlier reports: 16 weeks of a weekly plan
FILL_FIELDS = [f for f in REPORT_COLUMNS if f not in ("baseline_headcount",)]
REQUIRED_COLUMNS = ("resumed", "reported_back", "isolated", "on_duty")
ENTERPRISE_FIELDS = (
    "uscc",
    "name",
    "tier",
    "above_scale",
    "baseline_headcount",
    "baseline_capacity",
    "active_from",
    "active_to",
    "region",
    "industry",
)
REGION_FIELDS = ("code", "path")  # what the plan checks and the roll-ups read of an enterprise's region
INDUSTRY_FIELDS = ("code", "level", "parent_id")
CONFIRM_HINT = "如核实无误，请勾选“已核实异常数据”后重新导入"


@dataclass
class Table:
    sheet: tables.Sheet
    header: tables.Header
    extra_keys: dict[str, dict[str, Any]]  # column field "extra:<key>" → the plan's spec
    xml: tables.SheetXml = field(default_factory=tables.SheetXml)


@dataclass
class RowOutcome:
    row: int
    uscc: str
    name: str
    status: str = ""  # imported | unchanged | skipped | kept | rejected, once decided
    messages: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # accepted, but worth a look

    STATUS_LABELS = {
        "imported": "已导入",
        "unchanged": "无变化",
        "skipped": "未填写（跳过）",
        "kept": "企业已自行报送，未覆盖",
        "rejected": "拒绝",
    }

    @property
    def status_label(self) -> str:
        return self.STATUS_LABELS[self.status]

    @property
    def message(self) -> str:
        return "；".join(self.messages + self.notes)

    def reject(self, message: str) -> RowOutcome:
        self.status = "rejected"
        self.messages.append(message)
        return self


@dataclass
class ReportImportResult:
    plan: Plan
    day: datetime.date
    region: Region | None
    sheet: str
    dry_run: bool
    outcomes: list[RowOutcome] = field(default_factory=list)
    written: bool = False
    table: Table | None = field(default=None, repr=False)  # what was read, for the result sheet

    def count(self, status: str) -> int:
        return sum(1 for o in self.outcomes if o.status == status)

    @property
    def rejected(self) -> list[RowOutcome]:
        return [o for o in self.outcomes if o.status == "rejected"]

    def summary(self) -> str:
        verb = (
            "导入完成"
            if self.written
            else "试导入（未写入）"
            if self.dry_run
            else "未导入（有被拒绝的行，未写入任何数据）"
        )
        return (
            f"{verb}：{self.day:%Y年%m月%d日}“{self.plan.title}”，共{len(self.outcomes)}行，"
            f"导入{self.count('imported')}行，无变化{self.count('unchanged')}行，"
            f"未填写跳过{self.count('skipped')}行，拒绝{self.count('rejected')}行"
            + (f"，企业已自行报送未覆盖{kept}行" if (kept := self.count("kept")) else "")
        )

    @property
    def kept(self) -> list[RowOutcome]:
        """Rows left alone because the enterprise reported the day itself."""
        return [o for o in self.outcomes if o.status == "kept"]


def check_import_reports(
    user: Any,
    data: bytes,
    filename: str = "",
    *,
    plan: Plan,
    day: datetime.date,
    region: Region | None = None,
    channel: str = Channel.EXCEL,
    dry_run: bool = False,
    confirm_warnings: bool = False,
    overwrite_self_reports: bool | Collection[str] = False,
    progress: Progress | None = None,
    now: datetime.datetime | None = None,
) -> ReportImportResult:
    """`plan` must come from access_object; `region` (optional) from access_node. Rows must be
    enterprises the user may report for, inside `region` when given. `overwrite_self_reports`
    is the uploader's explicit choice to overwrite enterprises' own reports of the day: True for
    every row, or the USCCs of the rows they named."""
    now = now or timezone.now()
    check_plan_day(plan, day, timezone.localdate(now))
    sheets = tables.read_sheets(data, filename, max_bytes=settings.FUGONG_MAX_UPLOAD_BYTES)
    check_meta(user, sheets, plan, day)
    table = find_table(sheets, plan)
    refuse_hidden_and_merged(data, table)
    rows = list(tables.data_rows(table.sheet.rows, table.header))
    show_formula_errors(table, rows, table.xml.errors)
    if not rows:
        raise tables.file_error(f"工作表“{table.sheet.name}”的表头下面没有企业数据行，请填写后再导入")
    result = ReportImportResult(plan, day, region, table.sheet.name, dry_run, table=table)
    importer = Importer(user, plan, day, region, table, confirm_warnings, channel, now)
    importer.overwrite_self_reports = overwrite_self_reports
    importer.capacity_ratios = capacity_as_ratios(rows, table)
    pending = rollups.Pending()  # the roll-up deltas of every chunk, added once at the end
    try:
        with transaction.atomic():
            if not dry_run:  # plans before rows, as every writer takes them (rollups.lock)
                rollups.lock_plans(p.pk for p in importer.plans)
            write_chunks(importer, rows, result, pending, progress)
    except IntegrityError:
        raise tables.file_error(
            "导入期间有企业通过网页或接口提交了当日填报，本次未写入任何数据；请重新导入（已提交的填报会被表中数据更新）"
        ) from None
    if not dry_run:  # who imported which file, and what came of it (a dry run changes nothing)
        audit.record_import(user, channel, "report.import", filename, result.summary(), plan, rows=len(rows), written=result.written)
    return result


def write_chunks(
    importer: Importer,
    rows: list[tuple[int, Sequence[Any]]],
    result: ReportImportResult,
    pending: rollups.Pending,
    progress: Progress | None,
) -> None:
    user, day, dry_run = importer.user, importer.day, result.dry_run
    rejected = False  # kept here: result.rejected reads every outcome so far, a chunk at a time
    for start in range(0, len(rows), CHUNK):
        chunk = rows[start : start + CHUNK]
        outcomes, accepted = importer.check_chunk(chunk, lock=not dry_run)
        result.outcomes += outcomes
        rejected = rejected or any(o.status == "rejected" for o in outcomes)
        if accepted and not dry_run and not rejected:
            submit.do_submit_reports(
                user, day, accepted, channel=importer.channel, now=importer.now, pending=pending
            )
        if progress:
            progress(start + len(chunk), len(rows))
    if not any(o.status != "skipped" for o in result.outcomes):
        raise tables.file_error(
            f"表中{len(rows)}家企业的填报栏都是空的，没有可导入的数据；请填写“是否复工”“报到人数”等栏后再导入"
        )
    result.written = not dry_run and not rejected
    if result.written:
        pending.flush()
    else:
        transaction.set_rollback(True)  # rows written before a later chunk's rejection


def check_plan_day(plan: Plan, day: datetime.date, today: datetime.date) -> None:
    if day > today:
        raise ValidationFailed(f"不能导入未来日期（{day}）的填报，今天是{today}")
    if not plan.active or not plan.runs_on(day):
        raise ValidationFailed(
            f"调度任务“{plan.title}”在{day}不需要填报（任务期{plan.start_date}至{plan.end_date or '今'}），请核对日期"
        )


def check_meta(user: Any, sheets: list[tables.Sheet], plan: Plan, day: datetime.date) -> None:
    """A template knows its plan and date: loading it against others is a mistake worth stopping."""
    meta = read_meta(sheets)
    if meta is None:
        return
    if meta.plan_id != plan.pk:
        other = Plan.objects.visible_to(user).filter(pk=meta.plan_id).values_list("title", flat=True).first()
        named = f"调度任务“{other}”" if other else f"另一个调度任务（编号{meta.plan_id}）"
        raise tables.file_error(
            f"这份表格是{named}的填报模板，与所选任务“{plan.title}”不一致；"
            "请选择对应的调度任务，或下载本任务的模板重新填写"
        )
    if meta.date != day and plan.cadence == Cadence.DAILY:
        raise tables.file_error(
            f"这份表格是{meta.date:%Y年%m月%d日}的填报模板，与所选日期{day:%Y年%m月%d日}不一致；"
            "请选择模板上的日期，或下载当日模板重新填写"
        )


def find_table(sheets: list[tables.Sheet], plan: Plan) -> Table:
    aliases = header_aliases(plan.extra_fields)
    extra_keys = {f"extra:{spec['key']}": spec for spec in plan.extra_fields}
    for sheet in sheets:
        if not sheet.visible or sheet.name == META_SHEET:
            continue
        header = tables.locate_header(sheet.rows, aliases, required=("uscc", "name", *REQUIRED_COLUMNS))
        if header is None or not any(f in header.columns for f in REPORT_FIELDS):
            continue
        missing = [COLUMNS_BY_FIELD[f].header for f in REQUIRED_COLUMNS if f not in header.columns]
        if "uscc" not in header.columns and "name" not in header.columns:
            missing.insert(0, "统一社会信用代码（没有代码时至少要有“企业名称”）")
        if missing:
            raise tables.file_error(
                f"工作表“{sheet.name}”缺少“{'”“'.join(missing)}”列；请使用调度填报模板，或在表头补上这些列"
            )
        return Table(sheet, header, extra_keys)
    shown = [s for s in sheets if s.visible and s.name != META_SHEET]
    if not any(any(not cells.is_blank(c) for c in row) for s in shown for row in s.rows):
        raise tables.file_error("文件中没有任何数据（工作表都是空的），请确认选对了文件并已保存")
    names = "、".join(f"“{s.name}”" for s in shown)
    raise tables.file_error(
        f"在工作表{names}的前10行中找不到填报表头（需有“统一社会信用代码”“是否复工”“报到人数”“实际到岗”等列）；"
        "请确认上传的是企业复工填报表，而不是其他表格；如果表头显示为乱码，多半是 CSV 的文字编码不对，请另存为 UTF-8 或 GBK 编码"
    )


def refuse_hidden_and_merged(data: bytes, table: Table) -> None:
    """Hidden rows would be imported unseen, and a merged cell fills only its first row: both are
    refused before anything is read, with the rows to fix."""
    table.xml = tables.scan_sheet_xml(data, table.sheet.name)
    first_data_row = table.header.row_index + 2  # 1-based number of the row below the header
    rows = table.sheet.rows
    hidden = [
        n
        for n in table.xml.hidden_rows
        if n >= first_data_row and n <= len(rows) and any(not cells.is_blank(c) for c in rows[n - 1])
    ]
    if hidden:
        shown = "、".join(str(n) for n in hidden[:10]) + ("等" if len(hidden) > 10 else "")
        raise tables.file_error(
            f"工作表“{table.sheet.name}”有{len(hidden)}行被隐藏（第{shown}行）；隐藏的行也会被导入，"
            "请取消隐藏、核对后再导入（不需要的行请删除）"
        )
    for (top, left), (bottom, _right) in table.sheet.merged:
        if bottom > table.header.row_index and bottom > top:
            raise tables.file_error(
                f"工作表“{table.sheet.name}”第{top + 1}至{bottom + 1}行的{column_letter(left)}列是合并单元格，"
                "合并后只有第一行有值；请取消合并，并在每一行分别填写"
            )


def show_formula_errors(
    table: Table, rows: list[tuple[int, Sequence[Any]]], errors: dict[tuple[int, int], str]
) -> None:
    """Puts "#REF!" and the like back where the reader left the cell empty, so the row is
    refused with the error the clerk sees in the cell, not as a blank."""
    by_number = dict(rows) if errors else {}
    for (index, col), text in errors.items():
        row = by_number.get(index + 1)
        if isinstance(row, list) and col < len(row):
            row[col] = text


def capacity_as_ratios(rows: list[tuple[int, Sequence[Any]]], table: Table) -> bool:
    """Whether the capacity column holds ratios: a cell formatted as a percentage stores 0.65
    for 65% and 1 for 100%, which alone could be read as 1%. A column whose numbers (written
    without a % sign) all lie between 0 and 1, at least one strictly, is ratios throughout; one
    with only 0 and 1, or any number above 1, is percentage points."""
    col = table.header.columns.get("capacity_pct")
    if col is None:
        return False
    numbers = []
    for _, row in rows:
        value = row[col] if col < len(row) else None
        if cells.is_blank(value) or isinstance(value, bool) or str(value).strip().endswith(("%", "％")):
            continue
        try:
            number = cells.parse_decimal(value, minimum=None, places=4)
        except cells.CellError:
            continue
        if number is not None:
            numbers.append(number)
    return bool(numbers) and all(0 <= n <= 1 for n in numbers) and any(0 < n < 1 for n in numbers)


def column_letter(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


class Importer:
    """The per-chunk checks; holds what stays the same for the whole file."""

    def __init__(
        self,
        user: Any,
        plan: Plan,
        day: datetime.date,
        region: Region | None,
        table: Table,
        confirm_warnings: bool,
        channel: str,
        now: datetime.datetime,
    ) -> None:
        self.user, self.plan, self.day, self.region = user, plan, day, region
        self.channel, self.now = channel, now
        self.columns = table.header.columns
        self.extra_keys = table.extra_keys
        self.confirm_warnings = confirm_warnings
        self.overwrite_self_reports: bool | Collection[str] = False
        self.self_reported: dict[int, datetime.datetime] = {}  # this chunk's, see self_reports
        self.baselines: dict[int, Baseline] = {}  # this chunk's registry and pending baselines
        self.capacity_ratios = False
        self.seen: dict[int, int] = {}  # enterprise id → the row it first appeared on
        # read once for the whole file, not joined to every enterprise: a province has a few
        # thousand regions and industries, and its sheet 100,000 enterprises
        self.regions: dict[str, Region] = {}
        self.industries: dict[str, Industry] = {}
        self.fill_fields = [f for f in self.columns if f in FILL_FIELDS or f.startswith("extra:")]
        self.specs_by_plans: dict[tuple[int, ...], list[dict[str, Any]]] = {}
        self.plans = list(Plan.objects.filter(active=True).select_related("owner_region"))
        today = timezone.localdate(now)
        self.locking = [p for p in self.plans if (d := lock_date(p, day)) is not None and today >= d]
        self.unlocked = set(
            PeriodUnlock.objects.filter(plan__in=self.locking, date=day).values_list(
                "plan_id", "enterprise_id"
            )
        )

    def reportable(self) -> Any:
        qs = Enterprise.objects.visible_to(self.user, Action.REPORT)
        if self.region is not None:
            qs = qs.in_region(self.region.path)
        # only what the checks and the roll-ups read; regions and industries come from
        # `with_related`, not select_related, which builds two more instances per row
        return qs.only(*ENTERPRISE_FIELDS).order_by()

    def with_related(self, enterprises: list[Enterprise]) -> list[Enterprise]:
        """Sets each enterprise's region and industry from the import's caches, reading the
        ones not seen yet; and its sector names, for the plan checks and the roll-ups."""
        regions, industries = self.regions, self.industries
        missing = {e.region_id for e in enterprises} - regions.keys()
        if missing:
            for region in Region.objects.filter(bulk.AnyOf(F("code"), missing)).only(*REGION_FIELDS):
                regions[region.code] = region
        missing = {e.industry_id for e in enterprises if e.industry_id is not None} - industries.keys()
        if missing:
            for industry in Industry.objects.filter(bulk.AnyOf(F("code"), missing)).only(*INDUSTRY_FIELDS):
                industries[industry.code] = industry
        region_field, industry_field = Enterprise.region.field, Enterprise.industry.field
        for e in enterprises:
            region_field.set_cached_value(e, regions[e.region_id])
            industry_field.set_cached_value(e, None if e.industry_id is None else industries[e.industry_id])
        load_sector_names(enterprises)
        return enterprises

    def check_chunk(
        self, chunk: Sequence[tuple[int, Sequence[Any]]], *, lock: bool
    ) -> tuple[list[RowOutcome], list[submit.Accepted]]:
        parsed = [(number, self.cells_of(row)) for number, row in chunk]
        found = self.match(parsed)
        ids = [e.pk for e, _ in found.values() if e is not None]
        existing_qs = rollups.nearest_reports(ids, on=self.day).order_by()
        existing = {r.enterprise_id: r for r in (existing_qs.select_for_update() if lock else existing_qs)}
        self.self_reported = self_reports.self_report_times(self.user, existing.values())
        self.baselines = baselines.baselines_of(e for e, _ in found.values() if e is not None)
        history = self.history(ids)
        outcomes, accepted = [], []
        for number, raw in parsed:
            enterprise, outcome = found[number]
            outcomes.append(outcome)
            if enterprise is None or outcome.status == "rejected":
                continue
            item = self.check_row(
                outcome, enterprise, raw, existing.get(enterprise.pk), history[enterprise.pk]
            )
            if item is not None:
                accepted.append(item)
        return outcomes, accepted

    def cells_of(self, row: Sequence[Any]) -> dict[str, Any]:
        return {f: (row[col] if col < len(row) else None) for f, col in self.columns.items()}

    def match(
        self, parsed: list[tuple[int, dict[str, Any]]]
    ) -> dict[int, tuple[Enterprise | None, RowOutcome]]:
        """Each row's enterprise (by USCC, else by exact name inside the region) or its rejection."""
        codes, names = {}, {}
        outcomes: dict[int, RowOutcome] = {}
        for number, raw in parsed:
            name = safe_text(raw.get("name")) or ""
            outcome = outcomes[number] = RowOutcome(number, "", name)
            if isinstance(raw.get("uscc"), float | int) and not isinstance(raw.get("uscc"), bool):
                outcome.reject(
                    f"统一社会信用代码被 Excel 存成了数字（{raw['uscc']}），末几位已经丢失；"
                    "请把该列设为“文本”格式，重新填写完整的18位代码"
                )
                continue
            try:
                code = outcome.uscc = normalize_uscc(cells.clean_text(raw.get("uscc"), max_length=40) or "")
            except cells.CellError as exc:
                outcome.reject(f"统一社会信用代码：{exc}")
                continue
            if not any(not cells.is_blank(raw.get(f)) for f in self.fill_fields):
                outcome.status = "skipped"
            elif code:
                problem = uscc_problem(code)
                if problem:
                    outcome.reject(problem)
                else:
                    codes[number] = code
            elif name:
                names[number] = name
            else:
                outcome.reject("缺少统一社会信用代码和企业名称，无法确定是哪家企业；请补填统一社会信用代码")
        by_code = {e.uscc: e for e in self.reportable().filter(bulk.AnyOf(F("uscc"), codes.values()))}
        by_name: dict[str, list[Enterprise]] = defaultdict(list)
        for e in self.reportable().filter(bulk.AnyOf(F("name"), names.values())) if names else ():
            by_name[e.name].append(e)
        self.with_related([*by_code.values(), *(e for group in by_name.values() for e in group)])
        where = f"{self.region.name}内" if self.region else "您可填报的企业中"
        found: dict[int, tuple[Enterprise | None, RowOutcome]] = {}
        for number, outcome in outcomes.items():
            enterprise = None
            if number in codes:
                enterprise = by_code.get(codes[number])
                if enterprise is None:
                    outcome.reject(
                        f"{where}找不到统一社会信用代码为“{codes[number]}”的企业；请核对代码，"
                        "或确认该企业已登记在企业库并属于您管辖的区划"
                    )
            elif number in names:
                candidates = by_name.get(names[number], [])
                if len(candidates) == 1:
                    enterprise = candidates[0]
                    outcome.uscc = enterprise.uscc
                    outcome.notes.append(
                        f"表中无统一社会信用代码，已按企业名称匹配到{enterprise.uscc}，请核对"
                    )
                elif candidates:
                    outcome.reject(
                        f"{where}有{len(candidates)}家名为“{names[number]}”的企业，请填写统一社会信用代码"
                    )
                else:
                    outcome.reject(
                        f"{where}找不到名为“{names[number]}”的企业（按全称精确匹配）；请填写统一社会信用代码"
                    )
            if enterprise is not None:
                first = self.seen.setdefault(enterprise.pk, number)
                if first != number:
                    outcome.reject(f"与第{first}行是同一家企业，同一企业在一个表中只能填一行")
                    enterprise = None
                elif not outcome.name:
                    outcome.name = enterprise.name
            found[number] = (enterprise, outcome)
        return found

    def history(self, ids: list[int]) -> dict[int, list[dict[str, Any]]]:
        """Each enterprise's recent reports before the day, newest first, for the warnings."""
        since = self.day - datetime.timedelta(days=HISTORY_DAYS + 1)  # HISTORY_DAYS back, that day included
        rows = (
            rollups.nearest_reports(ids, after=since, before=self.day, limit=16)
            .order_by("enterprise_id", "-date")
            .values("enterprise_id", "date", *HISTORY_FIELDS)
        )
        found: dict[int, list[dict[str, Any]]] = defaultdict(list)
        for row in rows:
            found[row.pop("enterprise_id")].append(row)
        return found

    def check_row(
        self,
        outcome: RowOutcome,
        enterprise: Enterprise,
        raw: dict[str, Any],
        existing: Report | None,
        history: list[dict[str, Any]],
    ) -> submit.Accepted | None:
        day = self.day
        if not enterprise.is_active_on(day):
            outcome.reject(
                f"{enterprise.name}在{day}不在纳入期内（启用{enterprise.active_from}起），无需填报"
            )
            return None
        plans = [p for p in self.plans if plan_covers(p, enterprise, day)]
        if self.plan.pk not in {p.pk for p in plans}:
            outcome.reject(f"该企业不在调度任务“{self.plan.title}”{day}的纳入范围内，无需在本表填报")
            return None
        report = self.report_values(raw, enterprise, existing, outcome)
        if report is None:
            return None
        checked = check_report(report, day, self.extra_specs(plans), history, self.baselines[enterprise.pk])
        if checked.errors:
            for problem in checked.errors:
                outcome.reject(problem.message)
            return None
        changes = None if existing is None else audit.diff(existing.values(), checked.values)
        if existing is not None and not changes:
            outcome.status = "unchanged"  # before the lock and the warnings: a re-import changes nothing
            return None
        self_reported = self_reports.self_report_in_the_way(self.self_reported, enterprise.pk, changes)
        if self_reported is not None:
            if not self.may_overwrite(enterprise):
                outcome.status = "kept"  # left alone and listed, not rejected: the import goes on
                outcome.notes.append(self_reports.kept_note(self_reported))
                return None
            outcome.notes.append(self_reports.overwritten_note(self_reported))
        locked = [p for p in self.locking if p in plans and (p.pk, enterprise.pk) not in self.unlocked]
        if locked:
            outcome.reject(f"{day}的填报已锁定（调度任务“{locked[0].title}”），如需修改请联系调度员解锁")
            return None
        confirmed = [w.code for w in checked.warnings]
        if checked.warnings:
            messages = [w.message for w in checked.warnings]
            if not self.confirm_warnings:
                outcome.reject("；".join(messages) + f"（{CONFIRM_HINT}）")
                return None
            outcome.notes.append("已确认：" + "；".join(messages))
        outcome.status = "imported"
        return submit.Accepted(
            enterprise,
            checked.values,
            existing,
            submit.payload_hash(day, {k: cells_as_text(v) for k, v in raw.items()}),
            confirmed,
            plans,
            changes,
            checked.counted_baseline,
            checked.baseline_flag,
            checked.baseline_pending is not None,
        )

    def may_overwrite(self, enterprise: Enterprise) -> bool:
        chosen = self.overwrite_self_reports
        return chosen if isinstance(chosen, bool) else enterprise.uscc in chosen

    def extra_specs(self, plans: list[Plan]) -> list[dict[str, Any]]:
        """The plans' own items; only this sheet's plan's are required here: the sheet has no
        columns for another plan's, whose stored values are kept."""
        key = tuple(p.pk for p in plans)  # the same few sets of plans row after row
        specs = self.specs_by_plans.get(key)
        if specs is None:
            specs = self.specs_by_plans[key] = [
                spec if key_in(spec, self.plan) else {**spec, "required": False}
                for spec in submit.extra_specs_for(plans, self.day)
            ]
        return specs

    def report_values(
        self, raw: dict[str, Any], enterprise: Enterprise, existing: Report | None, outcome: RowOutcome
    ) -> dict[str, Any] | None:
        """The row as `check_report` takes it. A column the sheet does not have, or a blank cell,
        keeps the stored value (a county's sheet without 措施 must not erase what the enterprise
        entered); the headcount falls back to the registry's; a plan's own items go under "extra"."""
        stored = existing.values() if existing is not None else {}
        report = {f: raw[f] if f in raw else stored.get(f) for f in REPORT_FIELDS if f != "extra"}
        sheet_extra = {spec["key"]: raw[key] for key, spec in self.extra_keys.items() if key in raw}
        report["extra"] = {**(stored.get("extra") or {}), **sheet_extra}
        report = self_reports.fill_blanks(report, stored)
        if report.get("baseline_headcount") is None and "baseline_headcount" not in raw:
            report["baseline_headcount"] = enterprise.baseline_headcount
        if self_reports.not_resumed(raw.get("resumed")):  # what only a resumed firm has goes with the change
            for name in self_reports.RESUMED_ONLY:
                if name not in raw:
                    report[name] = None
        if "capacity_pct" in raw and not cells.is_blank(raw["capacity_pct"]):
            try:
                report["capacity_pct"] = capacity_points(raw["capacity_pct"], self.capacity_ratios)
            except cells.CellError as exc:
                outcome.reject(f"{LABELS['capacity_pct']}：{exc}")
                return None
        return report


def key_in(spec: dict[str, Any], plan: Plan) -> bool:
    return any(own.get("key") == spec.get("key") for own in plan.extra_fields)


def capacity_points(value: Any, ratios: bool) -> Any:
    """A capacity cell in percentage points. "65%" is 65 whatever the column; a bare number is
    a ratio in a column of ratios (0.65 → 65, 1 → 100) and points otherwise (0.5 → 0.5)."""
    if cells.is_blank(value) or (isinstance(value, str) and value.strip().endswith(("%", "％"))):
        return cells.parse_percent(value)
    number = cells.parse_decimal(value, minimum=None, places=4)
    if number is None:
        return None
    return cells.parse_percent(number * 100 if ratios else number)


def safe_text(value: Any) -> str | None:
    try:
        return cells.clean_text(value, max_length=200)
    except cells.CellError:
        return None


def cells_as_text(value: Any) -> Any:
    return value if isinstance(value, str | int | float | bool) or value is None else str(value)
