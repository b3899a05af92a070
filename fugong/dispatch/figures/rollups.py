"""Incremental roll-ups of the figures: built once per plan-day, then adjusted per submission.

A plan-day's rows — one per region node that has enterprises in scope, plus one per node and
sector, tier or industry section (the breakdowns leaders read beside the regions) — are built
from `reference.statuses` the first time they are read. Each accepted submission then adds its delta
— the enterprise's new status minus the status it replaces — to the rows of its ancestor nodes,
for every built day from the report's date up to the enterprise's next report. Changes to the
registry, plans or regions drop the built days; they are rebuilt when next read.

Building and applying deltas take the same per-plan lock (an advisory lock on PostgreSQL;
SQLite's writers are serialized anyway), so a submission is either seen by a build or applied
to its result, never lost. Submissions to one plan already meet at its root row, so the lock
costs little more.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import connection, transaction
from django.db.models import F, QuerySet

from fugong.core import bulk
from fugong.core.signals import RegistryEdit
from fugong.dispatch.figures import reference
from fugong.dispatch.models import Plan, Report, Rollup, RollupDay
from fugong.dispatch.plans.selection import plan_covers
from fugong.enterprises.models import Enterprise
from fugong.regions.models import Region

FIELDS = (
    "enterprises",
    "resumed",
    "baseline_headcount",
    "baseline_headcount_resumed",
    "reported_back",
    "isolated",
    "on_duty",
    "on_duty_resumed",
    "capacity_weighted",
    "capacity_weight",
    "stale",
)
Vector = dict[str, Any]
TOTAL = ("", "")  # the (dimension, member) of a node's own totals


def contribution(s: reference.Status, day: datetime.date) -> Vector:
    """One enterprise's share of every sum, as `Figures.add` counts it."""
    f = reference.Figures()
    f.add(s, day)
    return {name: getattr(f, name) for name in FIELDS}


def members_of(s: reference.Status) -> list[tuple[str, str]]:
    """The (dimension, member) rows an enterprise counts in at each of its nodes."""
    return [TOTAL] + [(dimension, key) for dimension, keys in reference.MEMBERSHIPS.items() for key in keys(s)]


def nodes_of(path: str, owner_path: str) -> list[str]:
    """The codes from the plan's owner region down to the enterprise's own region."""
    owner_code = owner_path.strip("/").split("/")[-1]
    codes = [c for c in path.split("/") if c]
    return codes[codes.index(owner_code) :]


LOCK_SPACE = 4754  # the advisory-lock namespace of the roll-ups (any constant the project owns)


def lock(plan_id: int) -> None:
    """Serializes building a plan's days with applying deltas to them, until the transaction ends.

    Writers lock their report rows first and their plans' locks last, in plan order, just to add
    their deltas: a writer holding a plan lock then only updates roll-up rows and never waits for a
    report row, so writers queue instead of deadlocking. A long import holds its plans only while
    it adds the deltas of all its chunks at the end (`Pending.flush`), so the web submissions of
    the 16:00 rush wait for that, not for the whole import."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [LOCK_SPACE, plan_id])


def lock_plans(plan_ids: Iterable[int]) -> None:
    for plan_id in sorted(set(plan_ids)):
        lock(plan_id)


def ensure_built(plan: Plan, day: datetime.date) -> None:
    if RollupDay.objects.filter(plan=plan, date=day).exists():
        return
    with transaction.atomic():
        lock(plan.pk)
        if RollupDay.objects.filter(plan=plan, date=day).exists():
            return  # built by someone else while we waited
        sums: dict[tuple[str, str, str], Vector] = defaultdict(lambda: dict.fromkeys(FIELDS, 0))
        for s in reference.statuses(plan, day, plan.owner_region):
            share = contribution(s, day)
            members = members_of(s)
            for code in nodes_of(s.region_path, plan.owner_region.path):
                for dimension, member in members:
                    row = sums[code, dimension, member]
                    for name in FIELDS:
                        row[name] += share[name]
        Rollup.objects.bulk_create(
            [
                Rollup(plan=plan, date=day, region_id=code, dimension=dimension, member=member, **values)
                for (code, dimension, member), values in sums.items()
            ],
            batch_size=1000,
        )
        RollupDay.objects.create(plan=plan, date=day)


def read(plan: Plan, day: datetime.date, node: Region) -> reference.Breakdown:
    """The node's total and one row per dispatch child (plus 本级), from the roll-up rows."""
    return read_days(plan, [day], node)[day]


def read_days(plan: Plan, days: list[datetime.date], node: Region) -> dict[datetime.date, reference.Breakdown]:
    """Several days of one node in three queries once built (which days, the children, the rows)."""
    built = set(RollupDay.objects.filter(plan=plan, date__in=days).values_list("date", flat=True))
    for day in set(days) - built:
        ensure_built(plan, day)
    children = list(Region.objects.filter(parent=node).order_by("code").values_list("code", "name"))
    codes = [node.code, *(code for code, _ in children)]
    rows: dict[tuple[datetime.date, str], Rollup] = {
        (r.date, r.region_id): r
        for r in Rollup.objects.filter(plan=plan, date__in=days, region__in=codes, dimension="")
    }
    names = dict(children) | {node.code: f"{node.name}（本级）"}
    return {
        day: breakdown(node, [code for code, _ in children], names, {c: rows.get((day, c)) for c in codes})
        for day in days
    }


def read_members(plan: Plan, day: datetime.date, node: Region, dimension: str) -> reference.Breakdown:
    """The node's total and one row per sector, tier or industry section (an enterprise with
    several sector tags counts in each, so those rows may add up to more than the total)."""
    ensure_built(plan, day)
    names = reference.group_names(dimension, node)
    total, rows = reference.Figures(key="total", name="合计"), []
    for row in Rollup.objects.filter(plan=plan, date=day, region=node, dimension__in=["", dimension]):
        if row.dimension:
            rows.append(as_figures(row, row.member, names.get(row.member, row.member)))
        else:
            total = as_figures(row, "total", "合计")
    return reference.Breakdown(total, sorted(rows, key=lambda f: f.key))


def as_figures(row: Rollup | None, key: str, name: str) -> reference.Figures:
    f = reference.Figures(key=key, name=name)
    if row is not None:
        for field in FIELDS:
            setattr(f, field, getattr(row, field))
    return f


def breakdown(
    node: Region, child_codes: list[str], names: dict[str, str], rows: dict[str, Rollup | None]
) -> reference.Breakdown:
    total = as_figures(rows[node.code], "total", "合计")
    children = [as_figures(rows[code], code, names.get(code, code)) for code in child_codes]
    direct = as_figures(rows[node.code], node.code, names[node.code])
    for name in FIELDS:
        setattr(direct, name, getattr(direct, name) - sum(getattr(c, name) for c in children))
    if direct.enterprises:
        children.append(direct)
    return reference.Breakdown(total, sorted(children, key=lambda f: f.key))


def status_from(
    enterprise: Enterprise, values: dict[str, Any] | None, report_date: datetime.date | None
) -> reference.Status:
    report = None if values is None else {**values, "date": report_date}
    sectors = enterprise.sector_names()
    return reference.status_of(enterprise, report, sectors)


@dataclass
class Change:
    """One accepted submission: `before` is the report's previous values when it is a revision,
    None for a first report; `plans` are the plans covering the enterprise on the report's day."""

    enterprise: Enterprise
    before: dict[str, Any] | None
    after: dict[str, Any]
    plans: list[Plan]


def apply_submission(
    enterprise: Enterprise,
    day: datetime.date,
    before: dict[str, Any] | None,
    after: dict[str, Any],
    plans: list[Plan],
) -> None:
    apply_submissions(day, [Change(enterprise, before, after, plans)])


def apply_submissions(day: datetime.date, changes: list[Change], pending: Pending | None = None) -> None:
    """Adds each submission's delta to every built day it affects; call inside the writing
    transaction. A new status holds from `day` until the enterprise's next report. A few queries
    for the whole batch. With `pending`, the deltas are only summed into it, for the caller to
    flush once at the end of an import: the plans are locked only then (see `lock`)."""
    target = pending if pending is not None else Pending()
    plans = {plan.pk: plan for change in changes for plan in change.plans}
    built: dict[int, list[datetime.date]] = {}
    for plan_id in sorted(plans):  # one order for every writer, so two batches cannot deadlock
        if pending is None:
            lock(plan_id)
        days = list(RollupDay.objects.filter(plan_id=plan_id, date__gte=day).values_list("date", flat=True))
        target.seen.setdefault(plan_id, set()).update(days)
        target.since[plan_id] = min(day, target.since.get(plan_id, day))
        if days:
            built[plan_id] = sorted(days)
            target.plans[plan_id] = plans[plan_id]
    if not built:
        return
    ids = [c.enterprise.pk for c in changes]
    next_report = dict(nearest_reports(ids, after=day, latest=False).values_list("enterprise_id", "date"))
    earlier = latest_before(day, [c.enterprise.pk for c in changes if c.before is None])
    for change in changes:
        e = change.enterprise
        until = next_report.get(e.pk, datetime.date.max)
        new = status_from(e, change.after, day)
        members = members_of(new)
        for plan in change.plans:
            days = [t for t in built.get(plan.pk, ()) if t < until and plan_covers(plan, e, t)]
            if not days:
                continue
            previous = before_status(e, day, change.before, plan, earlier.get(e.pk))
            for t in days:
                old_share, new_share = contribution(previous, t), contribution(new, t)
                delta = [new_share[n] - old_share[n] for n in FIELDS]
                if any(delta):
                    for dimension, member in members:
                        target.add((plan.pk, t, e.region.path, dimension, member), delta)
    if pending is None:
        target.add_sums()  # under the locks taken above


class Pending:
    """Deltas summed per plan, day, enterprise region and group, then added to the rows of that
    region and its ancestors by one batch of UPDATEs."""

    def __init__(self) -> None:
        self.plans: dict[int, Plan] = {}
        self.sums: dict[tuple[int, datetime.date, str, str, str], list[Any]] = {}
        # the built days each plan had when its deltas were summed, and the first day they touch
        self.seen: dict[int, set[datetime.date]] = {}
        self.since: dict[int, datetime.date] = {}
        self.enterprise_ids: list[int] = []  # whose reports were written, for what follows the flush

    def add(self, key: tuple[int, datetime.date, str, str, str], delta: list[Any]) -> None:
        row = self.sums.get(key)
        if row is None:
            self.sums[key] = list(delta)
        else:
            for i, value in enumerate(delta):
                row[i] += value

    def flush(self) -> None:
        """Adds the sums under the plans' locks. A day built while the deltas were being summed
        was built without them (the writer's rows were not committed): it is dropped, to be
        built again from the reports once they are."""
        for plan_id in sorted(self.seen):
            lock(plan_id)
            built = RollupDay.objects.filter(plan_id=plan_id, date__gte=self.since[plan_id])
            unseen = set(built.values_list("date", flat=True)) - self.seen[plan_id]
            if unseen:
                RollupDay.objects.filter(plan_id=plan_id, date__in=unseen).delete()
                Rollup.objects.filter(plan_id=plan_id, date__in=unseen).delete()
        self.add_sums()

    def add_sums(self) -> None:
        rows: dict[tuple[int, datetime.date, str, str, str], list[Any]] = {}
        for (plan_id, day, path, dimension, member), delta in self.sums.items():
            for code in nodes_of(path, self.plans[plan_id].owner_region.path):
                key = (plan_id, day, code, dimension, member)
                row = rows.setdefault(key, [0] * len(FIELDS))
                for i, value in enumerate(delta):
                    row[i] += value
        add_deltas(rows)
        self.sums.clear()


def latest_before(day: datetime.date, enterprise_ids: list[int]) -> dict[int, dict[str, Any]]:
    """Each enterprise's latest report before `day` (its status until this first report)."""
    if not enterprise_ids:
        return {}
    rows = nearest_reports(enterprise_ids, before=day).values("enterprise_id", "date", *STATUS_VALUES)
    return {r["enterprise_id"]: r for r in rows}


def nearest_reports(
    enterprise_ids: Sequence[int],
    *,
    on: datetime.date | None = None,
    after: datetime.date | None = None,
    before: datetime.date | None = None,
    limit: int = 1,
    latest: bool = True,
) -> QuerySet[Report]:
    """Each enterprise's `limit` latest (or earliest) reports dated strictly between `after` and
    `before` (or its report `on` a day), as a query on their keys.

    A batch asks this for a thousand enterprises at a time. Written as `enterprise_id IN (…)
    AND date …`, PostgreSQL plans it from the statistics, and without fresh ones (a table just
    loaded, or the day's reports an import is adding) it reads every report in the date range
    through the date index and filters: 25–40 ms a chunk on a province, growing with the table.
    One LATERAL probe of the (enterprise, date) index per enterprise costs ≈5 ms whatever the
    statistics say; the reports are then read by primary key."""
    ids = list(enterprise_ids)
    if on is not None:
        after, before = on - datetime.timedelta(days=1), on + datetime.timedelta(days=1)
    if not ids:
        return Report.objects.none()
    if connection.vendor != "postgresql":  # no LATERAL; SQLite probes the index for IN anyway
        return Report.objects.filter(pk__in=first_per_enterprise(ids, after, before, limit, latest))
    conditions: list[str] = ["enterprise_id = e.id"]
    params: list[Any] = [ids]
    if after is not None:
        conditions.append("date > %s")
        params.append(after)
    if before is not None:
        conditions.append("date < %s")
        params.append(before)
    table = connection.ops.quote_name(Report._meta.db_table)
    sql = (
        f"SELECT r.id FROM unnest(%s::bigint[]) AS e(id) CROSS JOIN LATERAL "
        f"(SELECT id FROM {table} WHERE {' AND '.join(conditions)} "
        f"ORDER BY date {'DESC' if latest else 'ASC'} LIMIT %s) AS r"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, limit])
        keys = [key for (key,) in cursor.fetchall()]
    return Report.objects.filter(bulk.AnyOf(F("pk"), keys))


def first_per_enterprise(
    ids: list[int], after: datetime.date | None, before: datetime.date | None, limit: int, latest: bool
) -> list[int]:
    """The keys `nearest_reports` finds with LATERAL, picked in Python from each enterprise's reports."""
    reports = Report.objects.filter(enterprise_id__in=ids)
    if after is not None:
        reports = reports.filter(date__gt=after)
    if before is not None:
        reports = reports.filter(date__lt=before)
    taken: dict[int, int] = defaultdict(int)
    keys = []
    for enterprise_id, key in reports.order_by("enterprise_id", "-date" if latest else "date").values_list(
        "enterprise_id", "pk"
    ):
        if taken[enterprise_id] < limit:
            taken[enterprise_id] += 1
            keys.append(key)
    return keys


STATUS_VALUES = (
    "resumed",
    "baseline_headcount",
    "reported_back",
    "isolated",
    "on_duty",
    "capacity_pct",
    "counted_baseline",  # the accepted baseline while the report's own awaits the county
)


def before_status(
    enterprise: Enterprise,
    day: datetime.date,
    before: dict[str, Any] | None,
    plan: Plan,
    earlier: dict[str, Any] | None,
) -> reference.Status:
    if before is not None:
        return status_from(enterprise, before, day)
    if earlier is None or earlier["date"] < plan.start_date:  # the plan does not count it
        return status_from(enterprise, None, None)
    return status_from(enterprise, earlier, earlier["date"])


def add_deltas(sums: dict[tuple[int, datetime.date, str, str, str], list[Any]]) -> None:
    """One UPDATE per touched roll-up row, sent as a batch. The rows exist: a day is built with a
    row for every node and group of every enterprise in scope, and a report changes neither."""
    if not sums:
        return
    quote = connection.ops.quote_name
    assignments = ", ".join(f"{quote(n)} = {quote(n)} + %s" for n in FIELDS)
    where = " AND ".join(f"{quote(c)} = %s" for c in ("plan_id", "date", "region_id", "dimension", "member"))
    sql = f"UPDATE {quote(Rollup._meta.db_table)} SET {assignments} WHERE {where}"
    with connection.cursor() as cursor:
        cursor.executemany(sql, [[*delta, *key] for key, delta in sums.items()])
        updated = cursor.rowcount
    if updated != len(sums):
        # A row the day was not built with (its sector renamed, say, without the registry signal):
        # rather than lose the delta, the days are dropped and rebuilt from the reports when read.
        for plan_id, day in {(key[0], key[1]) for key in sums}:
            RollupDay.objects.filter(plan_id=plan_id, date=day).delete()
            Rollup.objects.filter(plan_id=plan_id, date=day).delete()


def invalidate_plan(plan_id: int) -> None:
    """Drops one plan's built days (after its scope, dates or selector changed): the other plans'
    days sum the same reports as before, so they stay."""
    RollupDay.objects.filter(plan_id=plan_id).delete()
    Rollup.objects.filter(plan_id=plan_id).delete()


def invalidate(edits: Sequence[RegistryEdit] | None = None) -> None:
    """Drops built days (after registry, plan or region changes); they rebuild when read.

    Without `edits`, every built day. With them, only the days of the plans that counted an
    edited enterprise before or after its change (see `stale_days`)."""
    if edits is None:
        RollupDay.objects.all().delete()
        Rollup.objects.all().delete()
        return
    stale = stale_days(edits)
    for plan_id, days in stale.items():
        RollupDay.objects.filter(plan_id=plan_id, date__in=days).delete()
        Rollup.objects.filter(plan_id=plan_id, date__in=days).delete()


# The enterprise fields a roll-up reads: who a plan counts (`selection.plan_covers`: region,
# tags, tier, scale, USCC, active dates), in which rows (`reference.status_of`: region, tags,
# tier, industry) and with which baseline and weight. A contact's phone changes none of them.
COUNTED_FIELDS = frozenset(
    {
        "region",
        "sectors",
        "tier",
        "above_scale",
        "uscc",
        "industry",
        "active_from",
        "active_to",
        "baseline_headcount",
        "baseline_capacity",
    }
)
ACTIVE_DATES = frozenset({"active_from", "active_to"})


def stale_days(edits: Sequence[RegistryEdit]) -> dict[int, set[datetime.date]]:
    """The built (plan, day)s an edit can change: where the plan counts the enterprise before or
    after it — or, when only its active dates moved, where it counts on one side and not the
    other (the days between the old and new dates)."""
    counted = [(edit, edit.fields & COUNTED_FIELDS) for edit in edits]
    counted = [(edit, fields) for edit, fields in counted if fields]
    if not counted:
        return {}
    states = {id(edit): [e for e in (edit.before, edit.after) if e is not None] for edit, _ in counted}
    ancestors = {code for both in states.values() for e in both for code in e.region.path.split("/") if code}
    plans = {p.pk: p for p in Plan.objects.filter(owner_region_id__in=ancestors).select_related("owner_region")}
    built: dict[int, list[datetime.date]] = defaultdict(list)
    for plan_id, day in RollupDay.objects.filter(plan_id__in=plans).values_list("plan_id", "date"):
        built[plan_id].append(day)
    stale: dict[int, set[datetime.date]] = defaultdict(set)
    for edit, fields in counted:
        only_dates = fields <= ACTIVE_DATES
        for plan_id, days in built.items():
            for day in days:
                covered = {plan_covers(plans[plan_id], e, day) for e in states[id(edit)]}
                if (covered == {True, False}) if only_dates else True in covered:
                    stale[plan_id].add(day)
    return stale
