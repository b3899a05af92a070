"""The only code that changes reports, plans and unlocks.

`check_submit_report` is what the mobile form, the on-behalf form, the API and (later) the
spreadsheet import call: idempotency on client_id, date and lock checks, validation with
warnings to confirm, then `do_submit_report` writes the report and its revision atomically.
"""

from __future__ import annotations

import datetime
import hashlib
import json
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from fugong.core import audit, bulk
from fugong.core.access import Action, access_object, scope_for
from fugong.core.errors import Conflict, Forbidden, ValidationFailed
from fugong.dispatch.figures import rollups
from fugong.dispatch.models import Cadence, PeriodUnlock, Plan, Report, ReportRevision
from fugong.dispatch.plans.periods import lock_date, period_of
from fugong.dispatch.plans.selection import plans_covering
from fugong.dispatch.reports import baselines, corrections, self_reports, stale
from fugong.dispatch.reports.fields import COUNT_FIELDS, REPORT_FIELDS, Checked, check_report
from fugong.enterprises.models import Enterprise
from fugong.notify.awaiting import do_mark_reported


class ConfirmationRequired(ValidationFailed):
    code = "confirmation_required"
    default_message = "填报的数字有异常之处，请核实；确认无误后请勾选确认再提交"


class PeriodLocked(Conflict):
    code = "period_locked"


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


def history_values(enterprise: Enterprise, day: datetime.date, limit: int = 16) -> list[dict[str, Any]]:
    """The enterprise's reports before `day`, newest first, for the warning checks."""
    return list(
        Report.objects.filter(enterprise=enterprise, date__lt=day)
        .order_by("-date")
        .values("date", *REPORT_FIELDS, "counted_baseline")[:limit]
    )


def extra_specs_for(plans: list[Plan], day: datetime.date) -> list[dict[str, Any]]:
    """The plans' own fields; a weekly plan's are required only on its deadline day."""
    return [
        {
            **spec,
            "required": bool(spec.get("required"))
            and (plan.cadence == Cadence.DAILY or period_of(plan, day).deadline_day == day),
        }
        for plan in plans
        for spec in plan.extra_fields
    ]


def locking_plan(
    plans: list[Plan], enterprise: Enterprise, day: datetime.date, today: datetime.date
) -> Plan | None:
    for plan in plans:
        locked_from = lock_date(plan, day)
        if locked_from is not None and today >= locked_from:
            if not PeriodUnlock.objects.filter(plan=plan, enterprise=enterprise, date=day).exists():
                return plan
    return None


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
    """`enterprise` must come from access_object(..., Action.REPORT). `base_revision` is the
    revision the client edited from (see `stale`): a stale one is refused, None skips the check."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    client_id = (client_id or "").strip()
    if len(client_id) > 80:
        raise ValidationFailed(f"client_id 最长80个字符，现为{len(client_id)}个")
    digest = payload_hash(day, {**raw, "confirm": sorted(confirm)})
    if client_id:
        earlier = (
            ReportRevision.objects.filter(enterprise=enterprise, client_id=client_id)
            .select_related("report")
            .first()
        )
        if earlier is not None:
            if earlier.payload_hash != digest:
                raise Conflict(
                    f"client_id“{client_id}”已用于该企业的另一份不同填报；重新提交修改后的数据请使用新的 client_id",
                    details={"report": earlier.report_id},
                )
            return Submission(earlier.report, None, created=False)
    if day > today:
        raise ValidationFailed(f"不能填报未来日期（{day}），今天是{today}")
    if not enterprise.is_active_on(day):
        raise ValidationFailed(
            f"{enterprise.name}在{day}不在纳入期内（启用{enterprise.active_from}起），无需填报"
        )
    plans = plans_covering(enterprise, day)
    if not plans:
        raise ValidationFailed(f"{enterprise.name}在{day}没有需要填报的调度任务")
    locked_by = locking_plan(plans, enterprise, day, today)
    if locked_by is not None:
        raise PeriodLocked(
            f"{day}的填报已锁定（调度任务“{locked_by.title}”规定{locked_by.lock_after_days}天后锁定）；如需修改，请联系调度员解锁"
        )
    # before validation: someone who edited an old version must see the new one first
    stored_report = Report.objects.filter(enterprise=enterprise, date=day).first()
    stale.check_base_revision(stored_report, base_revision, raw)
    extra_specs = extra_specs_for(plans, day)
    stored, sent = self_reports.stored_for_third_party(user, enterprise, day), raw
    raw = self_reports.with_unsent_kept(raw, stored)
    baseline = baselines.baselines_of([enterprise])[enterprise.pk]
    checked = check_report(raw, day, extra_specs, history_values(enterprise, day), baseline)
    if not checked.errors:
        checked.warnings += self_reports.third_party_warnings(user, stored, sent, checked.values)
    confirm = [*confirm, *confirmed_before(stored_report, checked, confirm)]
    raise_for_check(checked, confirm)
    return do_submit_report(
        user,
        enterprise,
        day,
        checked,
        channel=channel,
        client_id=client_id,
        digest=digest,
        confirmed=list(confirm),
        now=now,
        plans=plans,
        base_revision=base_revision,
    )


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


def submitted_on_behalf(user: Any, enterprise: Enterprise) -> bool:
    """Anyone but the enterprise's own reporter (a liaison, a dispatcher, a script) reports on its behalf."""
    return enterprise.pk not in scope_for(user).own_enterprise_ids


def do_submit_report(
    user: Any,
    enterprise: Enterprise,
    day: datetime.date,
    checked: Checked,
    *,
    channel: str,
    client_id: str,
    digest: str,
    confirmed: list[str],
    now: datetime.datetime,
    plans: list[Plan] | None = None,
    base_revision: int | None = None,
) -> Submission:
    values = checked.values
    plans = plans if plans is not None else plans_covering(enterprise, day)
    try:
        with transaction.atomic():
            rollups.lock_plans(p.pk for p in plans)  # plans before rows, as every writer does
            report = Report.objects.select_for_update().filter(enterprise=enterprise, date=day).first()
            stale.check_base_revision(report, base_revision, values)  # again under the lock
            created = report is None
            before = {} if report is None else report.values()
            counted_before = None if report is None else report.counted_baseline
            if report is None:
                report = Report(enterprise=enterprise, date=day, received_at=now, revision_count=0)
            changes = audit.diff(before, values)
            if not created and not changes and not client_id:
                return Submission(report, None, created=False)
            for name, value in values.items():
                setattr(report, name, value)
            report.counted_baseline = checked.counted_baseline
            report.updated_at = now
            report.revision_count += 1
            report.save()
            revision = ReportRevision.objects.create(
                report=report,
                enterprise=enterprise,
                number=report.revision_count,
                at=now,
                by=user if getattr(user, "pk", None) else None,
                channel=channel,
                on_behalf=submitted_on_behalf(user, enterprise),
                client_id=client_id,
                payload_hash=digest,
                data={k: audit.plain(v) for k, v in values.items()},
                changes=changes,
                confirmed=confirmed,
                correction=bool(changes) and corrections.is_correction(day, now),
            )
            if revision.correction:  # an earlier day's figures move: the county is told
                corrected = corrections.Corrected(enterprise, day, report.pk, revision.number)
                corrections.do_flag_corrections(user, [corrected], now)
            if changes:
                rollups.apply_submission(
                    enterprise,
                    day,
                    None if created else {**before, "counted_baseline": counted_before},
                    {**values, "counted_baseline": checked.counted_baseline},
                    plans,
                )
                flag = baselines.Flag(
                    enterprise,
                    values["baseline_headcount"],
                    checked.counted_baseline,
                    checked.baseline_flag,
                    had_pending=checked.baseline_pending is not None,
                )
                baselines.after_submissions(user, day, [flag], now)
            do_mark_reported([enterprise.pk], day, now=now)  # its reminders: 已报送, off the badge
            return Submission(report, revision, created)
    except IntegrityError:
        # Two submissions raced. The same client_id (a retry) gets the winner's report if the
        # payload is the same; otherwise the loser of a first-submission race retries as an update.
        winner = (
            ReportRevision.objects.filter(enterprise=enterprise, client_id=client_id)
            .select_related("report")
            .first()
        )
        if client_id and winner is not None:
            if winner.payload_hash == digest:
                return Submission(winner.report, None, created=False)
            raise Conflict(f"client_id“{client_id}”已用于该企业的另一份不同填报") from None
        return do_submit_report(
            user,
            enterprise,
            day,
            checked,
            channel=channel,
            client_id=client_id,
            digest=digest,
            confirmed=confirmed,
            now=now,
            plans=plans,
            base_revision=base_revision,
        )


@dataclass
class Accepted:
    """A checked report of a batch, ready to write; `existing` was locked by the caller.
    `changes` is audit.diff(existing.values(), values) when the caller has it already."""

    enterprise: Enterprise
    values: dict[str, Any]
    existing: Report | None
    digest: str
    confirmed: list[str]
    plans: list[Plan]
    changes: dict[str, list[Any]] | None = None
    counted_baseline: int | None = None  # see fields.Checked
    baseline_flag: bool = False
    baseline_pending: bool = False  # a change awaited the county before this report


def do_submit_reports(
    user: Any,
    day: datetime.date,
    batch: list[Accepted],
    *,
    channel: str,
    now: datetime.datetime,
    pending: rollups.Pending | None = None,
) -> None:
    """The batch form of `do_submit_report` for spreadsheet imports: the same report rows,
    revisions and roll-up deltas, streamed in (COPY on PostgreSQL; revised reports through
    `bulk.update_rows`, not `bulk_update`, whose CASE per row and field cost 1.8 s a chunk)
    rather than saved one by one.
    Call inside a transaction with every row changed, the existing reports locked
    (select_for_update). A concurrent first report for the same day fails the batch."""
    own = scope_for(user).own_enterprise_ids
    by = user.pk if getattr(user, "pk", None) else None
    first: list[dict[str, Any]] = []
    changed: list[dict[str, Any]] = []
    revisions: list[tuple[Accepted, int, dict[str, Any], dict[str, Any]]] = []  # item, number, changes, data
    deltas = []
    for item in batch:
        report = item.existing
        before = None if report is None else {**report.values(), "counted_baseline": report.counted_baseline}
        data = {k: audit.plain(v) for k, v in item.values.items()}
        # a first report's changes are its non-empty values (what audit.diff({}, values) gives)
        if before is None:
            changes = {k: [None, v] for k, v in data.items() if v is not None}
        else:
            changes = item.changes if item.changes is not None else audit.diff(before, item.values)
        if report is None:
            first.append(
                {
                    "enterprise": item.enterprise.pk,
                    "date": day,
                    **item.values,
                    "counted_baseline": item.counted_baseline,
                    "received_at": now,
                    "updated_at": now,
                    "revision_count": 1,
                }
            )
            revisions.append((item, 1, changes, data))
        else:
            number = report.revision_count + 1
            changed.append(
                {
                    "id": report.pk,
                    **{name: item.values[name] for name in REPORT_FIELDS},
                    "counted_baseline": item.counted_baseline,
                    "updated_at": now,
                    "revision_count": number,
                }
            )
            revisions.append((item, number, changes, data))
        after = {**item.values, "counted_baseline": item.counted_baseline}
        deltas.append(rollups.Change(item.enterprise, before, after, item.plans))
    bulk.insert_rows(Report, first)
    bulk.update_rows(Report, changed)
    late = corrections.is_correction(day, now)
    report_ids = {item.enterprise.pk: item.existing.pk for item in batch if item.existing is not None}
    if first:  # COPY returns no keys
        created = rollups.nearest_reports([row["enterprise"] for row in first], on=day)
        report_ids |= dict(created.order_by().values_list("enterprise_id", "pk"))
    bulk.insert_rows(
        ReportRevision,
        [
            {
                "report": report_ids[item.enterprise.pk],
                "enterprise": item.enterprise.pk,
                "number": number,
                "at": now,
                "by": by,
                "channel": channel,
                "on_behalf": item.enterprise.pk not in own,
                "client_id": "",
                "payload_hash": item.digest,
                "data": data,
                "changes": changes,
                "confirmed": item.confirmed,
                "correction": bool(changes) and late,
            }
            for item, number, changes, data in revisions
        ],
    )
    if late:  # earlier days' figures move: each county is told
        corrections.do_flag_corrections(
            user,
            [
                corrections.Corrected(item.enterprise, day, report_ids[item.enterprise.pk], number)
                for item, number, changes, _ in revisions
                if changes
            ],
            now,
        )
    rollups.apply_submissions(day, deltas, pending)
    flags = [
        baselines.Flag(
            i.enterprise, i.values["baseline_headcount"], i.counted_baseline, i.baseline_flag, i.baseline_pending
        )
        for i in batch
    ]
    baselines.after_submissions(user, day, flags, now)
    do_mark_reported([item.enterprise.pk for item in batch], day, now=now)  # their reminders: 已报送


@transaction.atomic
def do_unlock_period(
    user: Any, plan: Plan, enterprise: Enterprise, day: datetime.date, reason: str
) -> PeriodUnlock:
    """A dispatcher reopens one locked enterprise-day of a plan, with a reason kept in history."""
    reason = (reason or "").strip()
    if len(reason) < 4:
        raise ValidationFailed("请填写解锁理由（至少4个字），例如“企业报错在册人数，申请更正”")
    if not scope_for(user).covers_path(Action.CHANGE, enterprise.region.path):
        raise Forbidden("只有该企业所在区划的调度员可以解锁")
    unlock, _ = PeriodUnlock.objects.update_or_create(
        plan=plan, enterprise=enterprise, date=day, defaults={"reason": reason[:200], "by": user}
    )
    audit.record(actor=user, channel="web", action="report.unlock", obj=unlock, note=reason)
    return unlock


def access_enterprise_for_report(user: Any, uscc: str) -> Enterprise:
    return access_object(
        Enterprise.objects.select_related("region"), user, Action.REPORT, uscc=uscc.strip().upper()
    )
