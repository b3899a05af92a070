"""The one way a report is written: every rule of a report, for a batch of any size.

The phone form, the on-behalf form, `POST /reports`, the sheet import (page, command, job) all
call `check_submit_reports` with their rows; a single web submission is a batch of one
(`check_submit_report`, which raises the row's refusal). For each row, in this order:

1. its client_id: a retry of an accepted submission answers with the report it made;
2. the day (not in the future: `check_day`), the enterprise (found in the user's reporting
   scope; active on the day; covered by a plan, by the sheet's plan for a sheet);
3. the revision the client edited from (`stale`), then the values: a field not sent keeps the
   stored value, the 在册员工 falls back to the registry's, a sheet's blank cell keeps the stored
   value (`self_reports.fill_blanks`); `fields.check_report` validates them;
4. a report equal to the stored one is "unchanged" and written nowhere (a re-import changes
   nothing, even on a locked day); otherwise the validation errors refuse, then a locked day;
5. an enterprise's own report of the day is not overwritten by a third party without a word: a
   sheet leaves the row alone ("kept") unless its uploader chose to overwrite it, a single way asks
   for a confirmation (`self_reports`); then the warnings to confirm.

Accepted rows are written by `write.do_write_reports`: report rows, revisions (with on_behalf),
corrections of earlier days, baseline flags, reminders marked, roll-up deltas — once per chunk.
The same input gives the same outcome and the same Chinese message whatever the way in.
"""

from __future__ import annotations

import datetime
import hashlib
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from fugong.core import audit, cells
from fugong.core.access import Action, access_object, may_dispatch_at
from fugong.core.errors import Conflict, DomainError, Forbidden, NotFound, ValidationFailed
from fugong.core.uscc import normalize_uscc, uscc_problem
from fugong.dispatch.figures import rollups
from fugong.dispatch.models import Cadence, PeriodUnlock, Plan, Report, ReportRevision
from fugong.dispatch.plans.periods import period_of
from fugong.dispatch.reports import self_reports, stale
from fugong.dispatch.reports.batch import Batch
from fugong.dispatch.reports.fields import COUNT_FIELDS, REPORT_FIELDS, Checked, check_report
from fugong.dispatch.reports.write import Accepted, do_write_reports
from fugong.enterprises.models import Enterprise
from fugong.regions.models import Region

CHUNK = 1000
CONFIRM_HINT = "如核实无误，请勾选“已核实异常数据”后重新导入"


class ConfirmationRequired(ValidationFailed):
    code = "confirmation_required"
    default_message = "填报的数字有异常之处，请核实；确认无误后请勾选确认再提交"


class PeriodLocked(Conflict):
    code = "period_locked"


@dataclass
class Row:
    """One report to write. `raw` holds the fields as typed (a form's strings, JSON, a sheet's
    cells); a field absent from it keeps the stored value. The enterprise is either given (found
    by the caller with `access_enterprise_for_report`) or named by `uscc` (else exact `name`)."""

    raw: dict[str, Any]
    enterprise: Enterprise | None = None
    uscc: Any = ""
    name: str = ""
    number: int = 1  # the sheet's row number
    client_id: str = ""
    base_revision: int | None = None
    confirm: tuple[str, ...] = ()
    blank: bool = False  # a sheet row whose fill-in cells are all blank: not reported yet, skipped


@dataclass(frozen=True)
class Way:
    """How the rows came in. A sheet is one plan's and keeps what a blank cell does not say."""

    channel: str
    sheet_plan: Plan | None = None
    region: Region | None = None  # rows must be inside it (an import for one county)
    confirm_all: bool = False  # the uploader ticked 已核实异常数据 for the whole sheet
    # the uploader's explicit choice to overwrite enterprises' own reports of the day: every row,
    # or the USCCs of the rows they named (see `self_reports`)
    overwrite_self_reports: bool | frozenset[str] = False

    @property
    def is_sheet(self) -> bool:
        return self.sheet_plan is not None


@dataclass
class Outcome:
    row: Row
    status: str = ""  # accepted | unchanged | skipped | kept | rejected (then written or not)
    enterprise: Enterprise | None = None
    error: DomainError | None = None  # why it was rejected, as a single way raises it
    notes: list[str] = field(default_factory=list)  # accepted, but worth a look
    accepted: Accepted | None = None
    report: Report | None = None  # after writing, or the stored one when unchanged
    revision: ReportRevision | None = None
    created: bool = False

    def reject(self, error: DomainError) -> Outcome:
        self.status, self.error = "rejected", error
        return self

    @property
    def message(self) -> str:
        parts = [self.error.message] if self.error is not None else []
        return "；".join(parts + self.notes)


@dataclass
class Submission:
    report: Report
    revision: ReportRevision | None  # None when nothing changed (an identical resubmission)
    created: bool


def payload_hash(day: datetime.date, raw: dict[str, Any]) -> str:
    canonical = json.dumps(
        {"date": day.isoformat(), "data": raw}, sort_keys=True, ensure_ascii=False, default=str
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


def check_day(day: datetime.date, today: datetime.date) -> None:
    if day > today:
        raise ValidationFailed(f"不能填报未来日期（{day}），今天是{today}")


def not_found(uscc: str, region: Region | None) -> NotFound:
    where = f"{region.name}内" if region else "您可填报的企业中"
    return NotFound(
        f"{where}找不到统一社会信用代码为“{uscc}”的企业；请核对代码，或确认该企业已登记在企业库并属于您管辖的区划"
    )


def access_enterprise_for_report(user: Any, uscc: str) -> Enterprise:
    """The enterprise `user` may report for, or the refusal every way in gives."""
    code = normalize_uscc((uscc or "").strip().upper())
    try:
        return access_object(Enterprise.objects.select_related("region"), user, Action.REPORT, uscc=code)
    except NotFound:  # not even visible: said as a sheet row says it (a visible one is a 403)
        raise not_found(code, None) from None


def extra_specs_for(plans: list[Plan], day: datetime.date, sheet_plan: Plan | None = None) -> list[dict[str, Any]]:
    """The plans' own fields; a weekly plan's are required only on its deadline day. A sheet has
    columns for its own plan's items only: another plan's are not required there (kept as stored)."""
    return [
        {
            **spec,
            "required": bool(spec.get("required"))
            and (plan.cadence == Cadence.DAILY or period_of(plan, day).deadline_day == day)
            and (sheet_plan is None or plan.pk == sheet_plan.pk),
        }
        for plan in plans
        for spec in plan.extra_fields
    ]


def check_submit_reports(
    user: Any,
    day: datetime.date,
    rows: Iterable[Row],
    way: Way,
    *,
    now: datetime.datetime | None = None,
    write: bool = True,
    chunk: int = CHUNK,
    pending: rollups.Pending | None = None,
) -> Iterator[list[Outcome]]:
    """Checks the rows a chunk at a time and, with `write`, writes each chunk's accepted rows
    (call inside a transaction). Yields each chunk's outcomes. A sheet is all-or-nothing: once
    a row is rejected nothing more is written, and the caller rolls back what was."""
    now = now or timezone.now()
    check_day(day, timezone.localdate(now))
    batch = Batch(user, day, way.region, now)
    rejected = False
    for rows_of_chunk in in_chunks(rows, chunk):
        outcomes = check_chunk(batch, rows_of_chunk, way, now, lock=write)
        rejected = rejected or any(o.status == "rejected" for o in outcomes)
        if write and not (way.is_sheet and rejected):
            write_chunk(user, day, outcomes, way, now, pending)
        yield outcomes


def in_chunks(rows: Iterable[Row], size: int) -> Iterator[list[Row]]:
    chunk: list[Row] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def write_chunk(
    user: Any, day: datetime.date, outcomes: list[Outcome], way: Way, now: datetime.datetime, pending: rollups.Pending | None
) -> None:
    accepted = [o for o in outcomes if o.accepted is not None]
    if not accepted:
        return
    items = [o.accepted for o in accepted if o.accepted is not None]
    written = do_write_reports(user, day, items, channel=way.channel, now=now, pending=pending)
    for outcome, (report, revision) in zip(accepted, written, strict=False):  # a streamed chunk gives none
        outcome.report, outcome.revision = report, revision
    for outcome in accepted:
        outcome.created = outcome.accepted is not None and outcome.accepted.existing is None


def check_chunk(batch: Batch, rows: list[Row], way: Way, now: datetime.datetime, *, lock: bool) -> list[Outcome]:
    outcomes = [Outcome(row, enterprise=row.enterprise) for row in rows]
    find_enterprises(batch, outcomes, way)
    found = [o.enterprise for o in outcomes if o.enterprise is not None and o.status != "rejected"]
    client_ids = [(o.enterprise.pk, o.row.client_id) for o in outcomes if o.enterprise is not None and o.row.client_id]
    batch.load(found, client_ids, lock=lock)
    for outcome in outcomes:
        if outcome.status or outcome.enterprise is None:
            continue
        try:
            check_row(batch, outcome, way, now)
        except DomainError as exc:
            outcome.reject(exc)
    return outcomes


def find_enterprises(batch: Batch, outcomes: list[Outcome], way: Way) -> None:
    """Each row's enterprise (by USCC, else by exact name inside the region), or its refusal."""
    codes: dict[int, str] = {}
    names: dict[int, str] = {}
    for i, outcome in enumerate(outcomes):
        row = outcome.row
        if outcome.enterprise is not None:
            continue
        if isinstance(row.uscc, float | int) and not isinstance(row.uscc, bool):
            outcome.reject(
                ValidationFailed(
                    f"统一社会信用代码被 Excel 存成了数字（{row.uscc}），末几位已经丢失；"
                    "请把该列设为“文本”格式，重新填写完整的18位代码"
                )
            )
            continue
        try:
            code = normalize_uscc(cells.clean_text(row.uscc, max_length=40) or "")
        except cells.CellError as exc:
            outcome.reject(ValidationFailed(f"统一社会信用代码：{exc}"))
            continue
        row.uscc = code
        if row.blank:
            outcome.status = "skipped"  # an enterprise that has not reported yet: nothing to say
        elif code:
            problem = uscc_problem(code)
            if problem:
                outcome.reject(ValidationFailed(problem))
            else:
                codes[i] = code
        elif row.name:
            names[i] = row.name
        else:
            outcome.reject(ValidationFailed("缺少统一社会信用代码和企业名称，无法确定是哪家企业；请补填统一社会信用代码"))
    by_code, by_name = batch.find(list(codes.values()), list(names.values()))
    where = f"{way.region.name}内" if way.region else "您可填报的企业中"
    for i, outcome in enumerate(outcomes):
        if i in codes:
            outcome.enterprise = by_code.get(codes[i])
            if outcome.enterprise is None:
                outcome.reject(not_found(codes[i], way.region))
        elif i in names:
            candidates = by_name.get(names[i], [])
            if len(candidates) == 1:
                outcome.enterprise = candidates[0]
                outcome.row.uscc = candidates[0].uscc
                outcome.notes.append(f"表中无统一社会信用代码，已按企业名称匹配到{candidates[0].uscc}，请核对")
            elif candidates:
                outcome.reject(ValidationFailed(f"{where}有{len(candidates)}家名为“{names[i]}”的企业，请填写统一社会信用代码"))
            else:
                outcome.reject(NotFound(f"{where}找不到名为“{names[i]}”的企业（按全称精确匹配）；请填写统一社会信用代码"))
        enterprise = outcome.enterprise
        if enterprise is not None and outcome.status != "rejected":
            first = batch.seen.setdefault(enterprise.pk, outcome.row.number)
            if first != outcome.row.number:
                outcome.reject(ValidationFailed(f"与第{first}行是同一家企业，同一企业在一个表中只能填一行"))
                outcome.enterprise = None
            elif not outcome.row.name:
                outcome.row.name = enterprise.name


def check_row(batch: Batch, outcome: Outcome, way: Way, now: datetime.datetime) -> None:
    row, enterprise, day = outcome.row, outcome.enterprise, batch.day
    assert enterprise is not None
    client_id = (row.client_id or "").strip()
    if len(client_id) > 80:
        raise ValidationFailed(f"client_id 最长80个字符，现为{len(client_id)}个")
    digest = ""  # what a client_id carried, to tell its retry from another submission; nothing else reads it
    if client_id:
        raw = {**row.raw, "confirm": sorted(row.confirm)}
        digest = payload_hash(day, {k: cells_as_text(v) for k, v in raw.items()})
    earlier = batch.earlier.get((enterprise.pk, client_id)) if client_id else None
    if earlier is not None:
        if earlier.payload_hash != digest:
            raise Conflict(
                f"client_id“{client_id}”已用于该企业的另一份不同填报；重新提交修改后的数据请使用新的 client_id",
                details={"report": earlier.report_id},
            )
        outcome.status, outcome.report = "unchanged", earlier.report
        return
    if not enterprise.is_active_on(day):
        raise ValidationFailed(f"{enterprise.name}在{day}不在纳入期内（启用{enterprise.active_from}起），无需填报")
    plans = batch.plans_covering(enterprise)
    if not plans:
        raise ValidationFailed(f"{enterprise.name}在{day}没有需要填报的调度任务")
    if way.sheet_plan is not None and way.sheet_plan not in plans:
        raise ValidationFailed(
            f"{enterprise.name}不在调度任务“{way.sheet_plan.title}”{day}的纳入范围内，无需在本表填报"
        )
    existing = batch.existing.get(enterprise.pk)
    # before validation: someone who edited an old version must see the new one first
    stale.check_base_revision(existing, row.base_revision, row.raw)
    values = values_to_check(row.raw, existing, enterprise, way)
    specs = extra_specs_for(plans, day, way.sheet_plan)
    checked = check_report(values, day, specs, batch.history.get(enterprise.pk, []), batch.baselines[enterprise.pk])
    changes = None if existing is None or checked.errors else audit.diff(existing.values(), checked.values)
    if existing is not None and not checked.errors and not changes and not client_id:
        outcome.status, outcome.report = "unchanged", existing  # a re-import changes nothing
        return
    if checked.errors:  # what is wrong with the values is said first, whatever the day
        raise_for_check(checked, ())
    locked = batch.locked_by(plans, enterprise)
    if locked is not None:
        raise PeriodLocked(
            f"{day}的填报已锁定（调度任务“{locked.title}”规定{locked.lock_after_days}天后锁定）；如需修改，请联系调度员解锁"
        )
    if self_reported_kept(batch, outcome, way, changes):
        return
    if not way.is_sheet:
        checked.warnings += self_reports.third_party_warnings(batch.user, existing, row.raw, checked.values)
    confirm = list(row.confirm)
    if way.confirm_all:
        confirm += [w.code for w in checked.warnings]
    confirm += confirmed_before(existing, checked, confirm)
    try:
        raise_for_check(checked, confirm)
    except ConfirmationRequired as exc:
        if way.is_sheet:
            exc.message += f"（{CONFIRM_HINT}）"
        raise
    if way.is_sheet and checked.warnings:
        outcome.notes.append("已确认：" + "；".join(w.message for w in checked.warnings))
    outcome.status = "accepted"
    outcome.accepted = Accepted(
        enterprise,
        checked.values,
        existing,
        digest,
        [w.code for w in checked.warnings if w.code in confirm],  # a sheet got here with all confirmed
        plans,
        changes,
        checked.counted_baseline,
        checked.baseline_flag,
        checked.baseline_pending is not None,
        client_id,
    )


def self_reported_kept(batch: Batch, outcome: Outcome, way: Way, changes: dict[str, Any] | None) -> bool:
    """A sheet leaves an enterprise's own report of the day alone unless its uploader chose to
    overwrite that row: the row is "kept" and listed, which fails nothing (see `self_reports`)."""
    assert outcome.enterprise is not None
    if not way.is_sheet:
        return False
    at = self_reports.self_report_in_the_way(batch.self_reported, outcome.enterprise.pk, changes)
    if at is None:
        return False
    chosen = way.overwrite_self_reports
    if not (chosen if isinstance(chosen, bool) else outcome.enterprise.uscc in chosen):
        outcome.status = "kept"
        outcome.notes.append(self_reports.kept_note(at))
        return True
    outcome.notes.append(self_reports.overwritten_note(at))
    return False


def values_to_check(raw: dict[str, Any], existing: Report | None, enterprise: Enterprise, way: Way) -> dict[str, Any]:
    """The row as `check_report` takes it. A field not sent (a sheet without the 措施 column, an
    API call with only 实际到岗) keeps the stored value; the 在册员工 falls back to the registry's;
    a plan's own items not sent keep theirs. A sheet's blank cell keeps the stored value too."""
    stored = existing.values() if existing is not None else {}
    values = {name: raw[name] if name in raw else stored.get(name) for name in REPORT_FIELDS if name != "extra"}
    sent_extra = raw.get("extra", {})
    if isinstance(sent_extra, dict):
        values["extra"] = {**(stored.get("extra") or {}), **sent_extra}
    else:
        values["extra"] = sent_extra  # check_report says what is wrong with it
    if way.is_sheet:
        values = self_reports.fill_blanks(values, stored)
    if "baseline_headcount" not in raw and values.get("baseline_headcount") is None:
        values["baseline_headcount"] = enterprise.baseline_headcount
    if self_reports.not_resumed(raw.get("resumed")):  # what only a resumed firm has goes with the change
        for name in self_reports.RESUMED_ONLY:
            if name not in raw:
                values[name] = None
    return values


# Warnings about one field's value (its jump from the days before, a far 在册员工); the others
# weigh several figures together and hold only while none of them changes.
ONE_FIELD_WARNINGS = ("jump_", "baseline_change")
NEVER_CARRIED = (self_reports.OVERWRITE, self_reports.CLEARS)  # each write over another's report


def confirmed_before(report: Report | None, checked: Checked, confirm: list[str] | tuple[str, ...]) -> list[str]:
    """Warnings the reporter confirmed on this day's report already, about values this edit keeps:
    asking again at every later edit of the day (实际到岗 45 → 40) only teaches people to tick
    without reading. A confirmation carries while the value it was about is unchanged."""
    pending = [w for w in checked.warnings if w.code not in confirm and w.code not in NEVER_CARRIED]
    if report is None or not pending:
        return []
    last = report.revisions.filter(number=report.revision_count).values_list("confirmed", flat=True).first()
    stored = report.values()

    def kept(name: str) -> bool:
        return audit.plain(stored.get(name)) == audit.plain(checked.values.get(name))

    figures_kept = all(kept(name) for name in ("resumed", *COUNT_FIELDS, "capacity_pct"))
    return [
        w.code
        for w in pending
        if w.code in (last or [])
        and (kept(w.field) if w.code.startswith(ONE_FIELD_WARNINGS) else figures_kept)
    ]


def raise_for_check(checked: Checked, confirm: list[str] | tuple[str, ...]) -> None:
    """Errors first; then the warnings not yet confirmed. Both carry every warning, split into
    `warnings` (still to confirm) and `confirmed`, so a form that comes back shows each one with
    the reporter's tick where it was (a refusal never drops a confirmation already given)."""
    unconfirmed = [w.as_dict() for w in checked.warnings if w.code not in confirm]
    confirmed = [w.as_dict() for w in checked.warnings if w.code in confirm]
    if checked.errors:
        raise ValidationFailed(
            "；".join(p.message for p in checked.errors),
            details={
                "errors": [p.as_dict() for p in checked.errors],
                "warnings": unconfirmed,
                "confirmed": confirmed,
            },
        )
    if unconfirmed:
        raise ConfirmationRequired(
            "；".join(w["message"] for w in unconfirmed),
            details={"warnings": unconfirmed, "confirmed": confirmed},
        )


def check_submit_report(
    user: Any,
    enterprise: Enterprise,
    day: datetime.date,
    raw: dict[str, Any],
    *,
    channel: str,
    client_id: str = "",
    confirm: list[str] | tuple[str, ...] = (),
    now: datetime.datetime | None = None,
    base_revision: int | None = None,
) -> Submission:
    """A single submission (the form, the on-behalf form, the API): a batch of one, its refusal
    raised. `enterprise` must come from `access_enterprise_for_report`. `base_revision` is the
    revision the client edited from (see `stale`): a stale one is refused, None skips the check."""
    row = Row(dict(raw), enterprise=enterprise, client_id=client_id, base_revision=base_revision, confirm=tuple(confirm))
    for attempt in range(2):
        try:
            with transaction.atomic():
                (outcome,) = next(check_submit_reports(user, day, [row], Way(channel), now=now))
        except IntegrityError:
            # Two first submissions of the day raced (or two retries of one client_id): the loser
            # checks again, now against the winner's report, and becomes an update or a retry.
            if attempt:
                raise
            continue
        if outcome.error is not None:
            raise outcome.error
        assert outcome.report is not None
        return Submission(outcome.report, outcome.revision, outcome.created)
    raise AssertionError("unreachable")


def cells_as_text(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: cells_as_text(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [cells_as_text(v) for v in value]
    return value if isinstance(value, str | int | float | bool) or value is None else str(value)


@transaction.atomic
def do_unlock_period(
    user: Any, plan: Plan, enterprise: Enterprise, day: datetime.date, reason: str
) -> PeriodUnlock:
    """A dispatcher reopens one locked enterprise-day of a plan, with a reason kept in history."""
    reason = (reason or "").strip()
    if len(reason) < 4:
        raise ValidationFailed("请填写解锁理由（至少4个字），例如“企业报错在册人数，申请更正”")
    if not may_dispatch_at(user, enterprise.region.path):
        raise Forbidden("只有该企业所在区划的调度员可以解锁")
    unlock, _ = PeriodUnlock.objects.update_or_create(
        plan=plan, enterprise=enterprise, date=day, defaults={"reason": reason[:200], "by": user}
    )
    audit.record(actor=user, channel="web", action="report.unlock", obj=unlock, note=reason)
    return unlock
