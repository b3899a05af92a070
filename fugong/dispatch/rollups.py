"""Incremental roll-ups of the figures: built once per plan-day, then adjusted per submission.

A plan-day's rows (one per region node that has enterprises in scope) are built from
`figures.statuses` the first time they are read. Each accepted submission then adds its delta
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
from decimal import Decimal
from typing import Any

from django.db import connection, transaction
from django.db.models import F

from fugong.dispatch import figures
from fugong.dispatch.models import Plan, Report, Rollup, RollupDay
from fugong.dispatch.selection import plan_covers
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


def contribution(s: figures.Status, day: datetime.date) -> Vector:
    """One enterprise's share of every sum, as `Figures.add` counts it."""
    f = figures.Figures()
    f.add(s, day)
    return {name: getattr(f, name) for name in FIELDS}


def nodes_of(path: str, owner_path: str) -> list[str]:
    """The codes from the plan's owner region down to the enterprise's own region."""
    owner_code = owner_path.strip("/").split("/")[-1]
    codes = [c for c in path.split("/") if c]
    return codes[codes.index(owner_code) :]


LOCK_SPACE = 4754  # the advisory-lock namespace of the roll-ups (any constant the project owns)


def lock(plan_id: int) -> None:
    """Serializes building a plan's days with applying deltas to them, until the transaction ends."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [LOCK_SPACE, plan_id])


def ensure_built(plan: Plan, day: datetime.date) -> None:
    if RollupDay.objects.filter(plan=plan, date=day).exists():
        return
    with transaction.atomic():
        lock(plan.pk)
        if RollupDay.objects.filter(plan=plan, date=day).exists():
            return  # built by someone else while we waited
        sums: dict[str, Vector] = defaultdict(lambda: dict.fromkeys(FIELDS, 0))
        for s in figures.statuses(plan, day, plan.owner_region):
            share = contribution(s, day)
            for code in nodes_of(s.region_path, plan.owner_region.path):
                row = sums[code]
                for name in FIELDS:
                    row[name] += share[name]
        Rollup.objects.bulk_create(
            [Rollup(plan=plan, date=day, region_id=code, **values) for code, values in sums.items()],
            batch_size=1000,
        )
        RollupDay.objects.create(plan=plan, date=day)


def read(plan: Plan, day: datetime.date, node: Region) -> figures.Breakdown:
    """The node's total and one row per dispatch child (plus 本级), from the roll-up rows."""
    return read_days(plan, [day], node)[day]


def read_days(plan: Plan, days: list[datetime.date], node: Region) -> dict[datetime.date, figures.Breakdown]:
    """Several days of one node in three queries once built (which days, the children, the rows)."""
    built = set(RollupDay.objects.filter(plan=plan, date__in=days).values_list("date", flat=True))
    for day in set(days) - built:
        ensure_built(plan, day)
    children = list(Region.objects.filter(parent=node).order_by("code").values_list("code", "name"))
    codes = [node.code, *(code for code, _ in children)]
    rows: dict[tuple[datetime.date, str], Rollup] = {
        (r.date, r.region_id): r for r in Rollup.objects.filter(plan=plan, date__in=days, region__in=codes)
    }
    names = dict(children) | {node.code: f"{node.name}（本级）"}
    return {
        day: breakdown(node, [code for code, _ in children], names, {c: rows.get((day, c)) for c in codes})
        for day in days
    }


def breakdown(
    node: Region, child_codes: list[str], names: dict[str, str], rows: dict[str, Rollup | None]
) -> figures.Breakdown:
    def as_figures(code: str, row: Rollup | None) -> figures.Figures:
        f = figures.Figures(key=code, name=names.get(code, code))
        for name in FIELDS:
            setattr(
                f, name, getattr(row, name) if row else (Decimal(0) if name.startswith("capacity") else 0)
            )
        return f

    total = as_figures("total", rows[node.code])
    total.name = "合计"
    children = [as_figures(code, rows[code]) for code in child_codes]
    direct = as_figures(node.code, rows[node.code])
    for name in FIELDS:
        setattr(direct, name, getattr(direct, name) - sum(getattr(c, name) for c in children))
    if direct.enterprises:
        children.append(direct)
    return figures.Breakdown(total, sorted(children, key=lambda f: f.key))


def status_from(
    enterprise: Enterprise, values: dict[str, Any] | None, report_date: datetime.date | None
) -> figures.Status:
    report = None if values is None else {**values, "date": report_date}
    sectors = tuple(sorted(s.name for s in enterprise.sectors.all()))
    return figures.status_of(enterprise, report, sectors)


def apply_submission(
    enterprise: Enterprise,
    day: datetime.date,
    before: dict[str, Any] | None,
    after: dict[str, Any],
    plans: list[Plan],
) -> None:
    """Adds a submission's delta to every built day it affects; call inside the writing transaction.

    `before` is the report's previous values when this is a revision, None for a first report.
    The new status holds from `day` until the enterprise's next report.
    """
    later = (
        Report.objects.filter(enterprise=enterprise, date__gt=day)
        .order_by("date")
        .values_list("date", flat=True)
        .first()
    )
    last = later - datetime.timedelta(days=1) if later else datetime.date.max
    for plan in plans:
        lock(plan.pk)
        built = list(
            RollupDay.objects.filter(plan=plan, date__gte=day, date__lte=last).values_list("date", flat=True)
        )
        if not built:
            continue
        previous, new = before_status(enterprise, day, before, plan), status_from(enterprise, after, day)
        for t in built:
            if plan_covers(plan, enterprise, t):
                add_delta(plan, t, enterprise, contribution(new, t), contribution(previous, t))


def before_status(
    enterprise: Enterprise, day: datetime.date, before: dict[str, Any] | None, plan: Plan
) -> figures.Status:
    if before is not None:
        return status_from(enterprise, before, day)
    earlier = (
        Report.objects.filter(enterprise=enterprise, date__lt=day, date__gte=plan.start_date)
        .order_by("-date")
        .values(
            "date", "resumed", "baseline_headcount", "reported_back", "isolated", "on_duty", "capacity_pct"
        )
        .first()
    )
    if earlier is None:
        return status_from(enterprise, None, None)
    return status_from(enterprise, dict(earlier), earlier["date"])


def add_delta(plan: Plan, day: datetime.date, enterprise: Enterprise, new: Vector, old: Vector) -> None:
    delta = {name: new[name] - old[name] for name in FIELDS if new[name] != old[name]}
    if not delta:
        return
    codes = nodes_of(enterprise.region.path, plan.owner_region.path)
    Rollup.objects.filter(plan=plan, date=day, region_id__in=codes).update(
        **{n: F(n) + v for n, v in delta.items()}
    )


def invalidate() -> None:
    """Drops every built day (after registry, plan or region changes); they rebuild when read."""
    RollupDay.objects.all().delete()
    Rollup.objects.all().delete()
