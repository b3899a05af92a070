"""Writing accepted reports: the report rows, their revisions and everything a write sets off.

Only `submit.check_submit_reports` calls this, with rows it has checked and whose stored reports
it has locked. A few rows (a web submission) go through the ORM, which hands back the saved
objects; a chunk of a sheet is streamed in (COPY on PostgreSQL; revised reports through
`bulk.update_rows`, not `bulk_update`, whose CASE per row and field cost 1.8 s a chunk).
Either way the same things follow, once per chunk: corrections of earlier days flagged to the
county, 在册员工 changes flagged, reminders marked 已报送, roll-up deltas added.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import Any

from fugong.core import audit, bulk
from fugong.core.access import own_enterprise_ids
from fugong.dispatch.figures import rollups
from fugong.dispatch.models import Plan, Report, ReportRevision
from fugong.dispatch.reports import baselines, corrections
from fugong.dispatch.reports.fields import REPORT_FIELDS
from fugong.enterprises.models import Enterprise
from fugong.notify.awaiting import do_mark_reported

SMALL = 1  # a single submission goes through the ORM, which hands back what the answer shows


@dataclass
class Accepted:
    """A checked report, ready to write; `existing` was locked by the checker.
    `changes` is audit.diff(existing.values(), values) when there is a stored report."""

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
    client_id: str = ""

    @property
    def before(self) -> dict[str, Any] | None:
        report = self.existing
        return None if report is None else {**report.values(), "counted_baseline": report.counted_baseline}

    @property
    def after(self) -> dict[str, Any]:
        return {**self.values, "counted_baseline": self.counted_baseline}

    recorded: dict[str, Any] = field(init=False)  # the values as the revision records them (plain JSON)

    def __post_init__(self) -> None:
        self.recorded = {k: audit.plain(v) for k, v in self.values.items()}

    def changes_made(self) -> dict[str, list[Any]]:
        if self.existing is None:  # a first report's changes are its non-empty values
            return {k: [None, v] for k, v in self.recorded.items() if v is not None}
        return self.changes if self.changes is not None else audit.diff(self.existing.values(), self.values)


def do_write_reports(
    user: Any,
    day: datetime.date,
    batch: list[Accepted],
    *,
    channel: str,
    now: datetime.datetime,
    pending: rollups.Pending | None = None,
) -> list[tuple[Report, ReportRevision]]:
    """Writes the batch inside the caller's transaction; returns the saved report and revision
    of each row for a small batch (a large one is streamed and returns nothing)."""
    own = own_enterprise_ids(user)
    late = corrections.is_correction(day, now)
    # what the rows were, before writing them changes the locked reports in place
    befores = [item.before for item in batch]
    changes = [item.changes_made() for item in batch]
    numbers = [item.existing.revision_count + 1 if item.existing else 1 for item in batch]
    if len(batch) <= SMALL:
        written = write_each(user, day, batch, changes, own, channel, now, late)
        report_ids = {report.enterprise_id: report.pk for report, _ in written}
    else:
        written = []
        report_ids = stream(user, day, batch, changes, numbers, own, channel, now, late)
    if late:  # earlier days' figures move: each county is told
        corrected = [
            corrections.Corrected(item.enterprise, day, report_ids[item.enterprise.pk], number)
            for item, changed, number in zip(batch, changes, numbers, strict=True)
            if changed
        ]
        corrections.do_flag_corrections(user, corrected, now)
    moved = [(item, before) for item, before, changed in zip(batch, befores, changes, strict=True) if changed]
    rollups.apply_submissions(
        day, [rollups.Change(item.enterprise, before, item.after, item.plans) for item, before in moved], pending
    )
    flags = [
        baselines.Flag(i.enterprise, i.values["baseline_headcount"], i.counted_baseline, i.baseline_flag, i.baseline_pending)
        for i, _ in moved
    ]
    baselines.after_submissions(user, day, flags, now)
    ids = [item.enterprise.pk for item in batch]
    if pending is None:
        # their reminders: 已报送, read under the plans' locks (see notify.awaiting.do_mark_reported)
        rollups.lock_plans(plan.pk for item in batch for plan in item.plans)
        do_mark_reported(ids, day, now=now)
    else:
        pending.enterprise_ids += ids  # marked when the batch ends (`do_finish_batch`)
    return written


def do_finish_batch(day: datetime.date, pending: rollups.Pending, now: datetime.datetime) -> None:
    """The end of a batch written in chunks (an import): its roll-up deltas are added under the
    plans' locks, and its enterprises' reminders marked 已报送 while they are held."""
    pending.flush()
    do_mark_reported(pending.enterprise_ids, day, now=now)


def write_each(
    user: Any,
    day: datetime.date,
    batch: list[Accepted],
    all_changes: list[dict[str, Any]],
    own: Any,
    channel: str,
    now: datetime.datetime,
    late: bool,
) -> list[tuple[Report, ReportRevision]]:
    written = []
    for item, changes in zip(batch, all_changes, strict=True):
        report = item.existing or Report(enterprise=item.enterprise, date=day, received_at=now, revision_count=0)
        for name, value in item.values.items():
            setattr(report, name, value)
        report.counted_baseline = item.counted_baseline
        report.updated_at = now
        report.revision_count += 1
        report.save()
        revision = ReportRevision.objects.create(
            report=report, **revision_fields(user, item, report.revision_count, changes, own, channel, now, late)
        )
        written.append((report, revision))
    return written


def stream(
    user: Any,
    day: datetime.date,
    batch: list[Accepted],
    all_changes: list[dict[str, Any]],
    numbers: list[int],
    own: Any,
    channel: str,
    now: datetime.datetime,
    late: bool,
) -> dict[int, int]:
    """The same rows as `write_each`, streamed. A concurrent first report for the same day
    fails the batch (the unique key), which the import reports and rolls back."""
    first = [
        {
            "enterprise": item.enterprise.pk,
            "date": day,
            **item.values,
            "counted_baseline": item.counted_baseline,
            "received_at": now,
            "updated_at": now,
            "revision_count": 1,
        }
        for item in batch
        if item.existing is None
    ]
    changed = [
        {
            "id": item.existing.pk,
            **{name: item.values[name] for name in REPORT_FIELDS},
            "counted_baseline": item.counted_baseline,
            "updated_at": now,
            "revision_count": item.existing.revision_count + 1,
        }
        for item in batch
        if item.existing is not None
    ]
    bulk.insert_rows(Report, first)
    bulk.update_rows(Report, changed)
    report_ids = {item.enterprise.pk: item.existing.pk for item in batch if item.existing is not None}
    if first:  # COPY returns no keys
        created = rollups.nearest_reports([row["enterprise"] for row in first], on=day)
        report_ids |= dict(created.order_by().values_list("enterprise_id", "pk"))
    bulk.insert_rows(
        ReportRevision,
        [
            {
                "report": report_ids[item.enterprise.pk],
                **revision_fields(user, item, number, changes, own, channel, now, late, keys=True),
            }
            for item, changes, number in zip(batch, all_changes, numbers, strict=True)
        ],
    )
    return report_ids


def revision_fields(
    user: Any,
    item: Accepted,
    number: int,
    changes: dict[str, Any],
    own: Any,
    channel: str,
    now: datetime.datetime,
    late: bool,
    *,
    keys: bool = False,
) -> dict[str, Any]:
    """One revision's fields; `keys` gives foreign keys as ids (for a streamed insert)."""
    by = user if getattr(user, "pk", None) else None
    return {
        "enterprise": item.enterprise.pk if keys else item.enterprise,
        "number": number,
        "at": now,
        "by": (by.pk if by else None) if keys else by,
        "channel": channel,
        # anyone but the enterprise's own reporter (a liaison, a dispatcher, a script) reports on its behalf
        "on_behalf": item.enterprise.pk not in own,
        "client_id": item.client_id,
        "payload_hash": item.digest,
        "data": item.recorded,
        "changes": changes,
        "confirmed": item.confirmed,
        "correction": bool(changes) and late,
    }
