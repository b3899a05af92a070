"""Imports of filled dispatch sheets (.xlsx, .xls, .csv): each row becomes an enterprise's report.

This module reads: it finds the sheet and its header, refuses what would be imported unseen
(hidden rows, merged cells, another plan's or day's template), turns each row into the raw values
of a `submit.Row`, and maps the outcomes back to rows of the result sheet. Every rule of a report
is `submit.check_submit_reports`'s, the same as a web submission's, with a revision on channel
"excel" (or "cli"). All-or-nothing: one rejected row and nothing is written. Rows whose fill-in
cells are all blank (an enterprise that has not reported yet) are skipped, so a county can pass up
a half-filled template. Re-importing a file changes nothing: rows equal to the stored report are
"unchanged" and get no revision. A blank cell keeps the stored value, and an enterprise's own
report of the day is left alone unless the uploader chose to overwrite it: such rows are "kept".

Work goes a thousand rows at a time inside one transaction — a few queries per chunk, not per
row — so a 100,000-row province sheet takes seconds and memory stays bounded by the sheet.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from fugong.core import audit, cells, tables
from fugong.core.errors import ValidationFailed
from fugong.core.models import Channel
from fugong.dispatch.figures import rollups
from fugong.dispatch.models import Cadence, Plan
from fugong.dispatch.reports import submit
from fugong.dispatch.reports.fields import REPORT_FIELDS
from fugong.dispatch.reports.write import do_finish_batch
from fugong.dispatch.sheets.columns import (
    COLUMNS_BY_FIELD,
    META_SHEET,
    REPORT_COLUMNS,
    header_aliases,
    read_meta,
)
from fugong.regions.models import Region

Progress = Callable[[int, int], None]
FILL_FIELDS = [f for f in REPORT_COLUMNS if f not in ("baseline_headcount",)]
REQUIRED_COLUMNS = ("resumed", "reported_back", "isolated", "on_duty")


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
    way = submit.Way(
        channel,
        sheet_plan=plan,
        region=region,
        confirm_all=confirm_warnings,
        overwrite_self_reports=overwrite_self_reports
        if isinstance(overwrite_self_reports, bool)
        else frozenset(overwrite_self_reports),
    )
    reader = RowReader(table, capacity_as_ratios(rows, table))
    pending = rollups.Pending()  # the roll-up deltas of every chunk, added once at the end
    try:
        with transaction.atomic():
            chunks = submit.check_submit_reports(
                user, day, (reader.row(n, cells) for n, cells in rows), way, now=now, write=not dry_run, pending=pending
            )
            for outcomes in chunks:
                result.outcomes += [reader.outcome(o) for o in outcomes]
                if progress:
                    progress(len(result.outcomes), len(rows))
            if not any(o.status != "skipped" for o in result.outcomes):
                raise tables.file_error(
                    f"表中{len(rows)}家企业的填报栏都是空的，没有可导入的数据；请填写“是否复工”“报到人数”等栏后再导入"
                )
            result.written = not dry_run and not result.rejected
            if result.written:
                do_finish_batch(day, pending, now)
            else:
                transaction.set_rollback(True)  # rows written before a later chunk's rejection
    except IntegrityError:
        raise tables.file_error(
            "导入期间有企业通过网页或接口提交了当日填报，本次未写入任何数据；请重新导入（已提交的填报会被表中数据更新）"
        ) from None
    if not dry_run:  # who imported which file, and what came of it (a dry run changes nothing)
        audit.record_import(user, channel, "report.import", filename, result.summary(), plan, rows=len(rows), written=result.written)
    return result


def check_plan_day(plan: Plan, day: datetime.date, today: datetime.date) -> None:
    submit.check_day(day, today)
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


class RowReader:
    """A sheet row as the pipeline takes it, and the pipeline's outcome as a row of the result."""

    def __init__(self, table: Table, capacity_ratios: bool) -> None:
        self.columns = table.header.columns
        self.extra_keys = table.extra_keys
        self.capacity_ratios = capacity_ratios
        self.fill_fields = [f for f in self.columns if f in FILL_FIELDS or f.startswith("extra:")]

    def row(self, number: int, cells_: Sequence[Any]) -> submit.Row:
        raw = {f: (cells_[col] if col < len(cells_) else None) for f, col in self.columns.items()}
        values: dict[str, Any] = {f: v for f, v in raw.items() if f in REPORT_FIELDS}
        if self.extra_keys:
            values["extra"] = {spec["key"]: raw[key] for key, spec in self.extra_keys.items() if key in raw}
        if "capacity_pct" in values and not cells.is_blank(values["capacity_pct"]):
            try:
                values["capacity_pct"] = capacity_points(values["capacity_pct"], self.capacity_ratios)
            except cells.CellError:
                pass  # left as typed: the report's check says what is wrong with it
        return submit.Row(
            values,
            uscc=raw.get("uscc"),
            name=safe_text(raw.get("name")) or "",
            number=number,
            blank=not any(not cells.is_blank(raw.get(f)) for f in self.fill_fields),
        )

    def outcome(self, outcome: submit.Outcome) -> RowOutcome:
        row = outcome.row
        uscc = row.uscc if isinstance(row.uscc, str) else ""
        status = {"accepted": "imported"}.get(outcome.status, outcome.status)
        found = RowOutcome(row.number, uscc, row.name, status)
        if outcome.error is not None:
            found.messages.append(outcome.error.message)
        found.notes += outcome.notes
        return found


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
