"""The leaders' figures (DESIGN.md §3), computed exactly from each enterprise's status on a day.

Status on day D: the enterprise's latest report dated on or before D and on or after the plan's
start (carried forward), with its age in days. An enterprise in scope with no report yet counts
as not resumed, with its registry headcount as baseline. A report's baseline is its accepted
one: its own 在册员工, or while that awaits the county's acceptance the one counted before
(`Report.counted_baseline`, see baselines.py). Rates are exact Decimals; pages round.
This module computes from the reports directly; it is the reference the incremental roll-ups
are checked against.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import F, Window
from django.db.models.functions import RowNumber

from fugong.dispatch.models import Plan, Report
from fugong.dispatch.plans.selection import plan_enterprises
from fugong.enterprises.models import Enterprise, Tier
from fugong.regions.models import Region

HUNDRED = Decimal(100)


@dataclass(frozen=True)
class Status:
    """One enterprise's carried-forward status on a day."""

    enterprise_id: int
    region_path: str
    sectors: tuple[str, ...]
    tier: str
    industry_section: str
    resumed: bool
    baseline_headcount: int
    reported_back: int
    isolated: int
    on_duty: int
    capacity_pct: Decimal | None
    weight: Decimal  # baseline capacity, or baseline headcount where capacity is unknown
    report_date: datetime.date | None

    def stale_days(self, day: datetime.date) -> int | None:
        return None if self.report_date is None else (day - self.report_date).days


@dataclass
class Figures:
    key: str = ""
    name: str = ""
    enterprises: int = 0
    resumed: int = 0
    baseline_headcount: int = 0
    baseline_headcount_resumed: int = 0
    reported_back: int = 0
    isolated: int = 0
    on_duty: int = 0
    on_duty_resumed: int = 0
    capacity_weighted: Decimal = Decimal(0)  # Σ capacity% × weight over resumed with a capacity
    capacity_weight: Decimal = Decimal(0)
    stale: int = 0  # in scope, reported before, but not on this day

    def add(self, s: Status, day: datetime.date) -> None:
        self.enterprises += 1
        self.baseline_headcount += s.baseline_headcount
        self.reported_back += s.reported_back
        self.isolated += s.isolated
        self.on_duty += s.on_duty
        if s.report_date is not None and s.report_date < day:
            self.stale += 1
        if s.resumed:
            self.resumed += 1
            self.baseline_headcount_resumed += s.baseline_headcount
            self.on_duty_resumed += s.on_duty
            if s.capacity_pct is not None and s.weight > 0:
                self.capacity_weighted += s.capacity_pct * s.weight
                self.capacity_weight += s.weight

    @staticmethod
    def ratio(part: int | Decimal, whole: int | Decimal) -> Decimal | None:
        return None if not whole else Decimal(part) / Decimal(whole)

    @property
    def resumption_rate(self) -> Decimal | None:
        return self.ratio(self.resumed, self.enterprises)

    @property
    def attendance_rate(self) -> Decimal | None:
        """到岗率 over resumed enterprises: on duty ÷ their baseline headcount."""
        return self.ratio(self.on_duty_resumed, self.baseline_headcount_resumed)

    @property
    def attendance_rate_all(self) -> Decimal | None:
        """到岗率 over every enterprise in scope (Beijing's definition)."""
        return self.ratio(self.on_duty, self.baseline_headcount)

    @property
    def capacity_recovery_rate(self) -> Decimal | None:
        if not self.capacity_weight:
            return None
        return self.capacity_weighted / self.capacity_weight / HUNDRED

    def as_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "name": self.name,
            "enterprises": self.enterprises,
            "resumed": self.resumed,
            "resumption_rate": self.resumption_rate,
            "baseline_headcount": self.baseline_headcount,
            "baseline_headcount_resumed": self.baseline_headcount_resumed,
            "reported_back": self.reported_back,
            "isolated": self.isolated,
            "on_duty": self.on_duty,
            "on_duty_resumed": self.on_duty_resumed,
            "attendance_rate": self.attendance_rate,
            "attendance_rate_all": self.attendance_rate_all,
            "capacity_recovery_rate": self.capacity_recovery_rate,
            "stale": self.stale,
        }


def statuses(plan: Plan, day: datetime.date, region: Region, user: Any = None) -> list[Status]:
    """Every in-scope enterprise's status on `day` (two queries and one for sector tags)."""
    enterprises = plan_enterprises(plan, day).in_region(region.path)
    if user is not None:
        enterprises = enterprises.visible_to(user)
    people = {
        e.pk: e
        for e in enterprises.select_related("region", "industry").only(
            "pk",
            "tier",
            "baseline_headcount",
            "baseline_capacity",
            "region__path",
            "industry__code",
            "industry__level",
            "industry__parent_id",
        )
    }
    latest = (
        Report.objects.filter(
            enterprise_id__in=enterprises.values("pk"), date__lte=day, date__gte=plan.start_date
        )
        .annotate(rank=Window(RowNumber(), partition_by=[F("enterprise_id")], order_by=F("date").desc()))
        .filter(rank=1)
        .values(
            "enterprise_id",
            "date",
            "resumed",
            "baseline_headcount",
            "reported_back",
            "isolated",
            "on_duty",
            "capacity_pct",
            "counted_baseline",
        )
    )
    reports = {r["enterprise_id"]: r for r in latest}
    tags: dict[int, list[str]] = defaultdict(list)
    through = Enterprise.sectors.through.objects.filter(enterprise_id__in=enterprises.values("pk"))
    for enterprise_id, name in through.values_list("enterprise_id", "sectortag__name"):
        tags[enterprise_id].append(name)
    return [status_of(e, reports.get(pk), tuple(sorted(tags[pk]))) for pk, e in people.items()]


def status_of(e: Enterprise, report: dict[str, Any] | None, sectors: tuple[str, ...]) -> Status:
    section = ""
    if e.industry_id is not None and e.industry is not None:
        section = e.industry.code if e.industry.level == "section" else (e.industry.parent_id or "")
    baseline = e.baseline_headcount if report is None else accepted_baseline(report)
    weight = e.baseline_capacity if e.baseline_capacity else Decimal(baseline)
    return Status(
        enterprise_id=e.pk,
        region_path=e.region.path,
        sectors=sectors,
        tier=e.tier,
        industry_section=section,
        resumed=bool(report and report["resumed"]),
        baseline_headcount=baseline,
        reported_back=report["reported_back"] if report else 0,
        isolated=report["isolated"] if report else 0,
        on_duty=report["on_duty"] if report else 0,
        capacity_pct=report["capacity_pct"] if report else None,
        weight=Decimal(weight),
        report_date=report["date"] if report else None,
    )


def accepted_baseline(report: dict[str, Any]) -> int:
    """The baseline the figures count for a report: its own unless it awaits the county."""
    counted = report.get("counted_baseline")
    return int(report["baseline_headcount"] if counted is None else counted)


Grouping = Callable[[Status], Iterable[str]]


def by_child_region(region: Region) -> Grouping:
    def keys(s: Status) -> list[str]:
        rest = s.region_path[len(region.path) :].split("/")[0]
        return [rest or region.code]

    return keys


# The breakdowns that do not depend on the node read: an enterprise's group keys in each.
MEMBERSHIPS: dict[str, Grouping] = {
    "sector": lambda s: list(s.sectors) or ["（无标签）"],
    "tier": lambda s: [s.tier or "none"],
    "industry": lambda s: [s.industry_section or "（未填）"],
}


def same_at_every_node(keys: Grouping) -> Callable[[Region], Grouping]:
    return lambda region: keys


GROUPINGS: dict[str, Callable[[Region], Grouping]] = {
    "region": by_child_region,
    **{name: same_at_every_node(keys) for name, keys in MEMBERSHIPS.items()},
}


@dataclass
class Breakdown:
    total: Figures
    rows: list[Figures] = field(default_factory=list)


def aggregate(
    items: list[Status],
    day: datetime.date,
    grouping: Grouping,
    names: dict[str, str],
    *,
    always: Iterable[str] = (),
) -> Breakdown:
    """Totals and one row per group key; keys in `always` get a row even when empty."""
    total = Figures(key="total", name="合计")
    groups: dict[str, Figures] = {key: Figures(key=key, name=names.get(key, key)) for key in always}
    for s in items:
        total.add(s, day)
        for key in grouping(s):
            groups.setdefault(key, Figures(key=key, name=names.get(key, key))).add(s, day)
    return Breakdown(total, [groups[k] for k in sorted(groups)])


def group_names(by: str, region: Region) -> dict[str, str]:
    if by == "region":
        names = dict(Region.objects.filter(parent=region).values_list("code", "name"))
        names[region.code] = f"{region.name}（本级）"
        return names
    if by == "tier":
        return {str(t.value) or "none": str(t.label) for t in Tier}
    if by == "industry":
        from fugong.enterprises.models import Industry

        return dict(Industry.objects.filter(level="section").values_list("code", "name"))
    return {}


def computed(plan: Plan, day: datetime.date, region: Region, by: str = "region", user: Any = None) -> Breakdown:
    """The figures computed from the reports within the user's scope: the reference every
    roll-up must equal (the pages read them through `reads`)."""
    items = statuses(plan, day, region, user)
    always = (
        Region.objects.visible_to(user).filter(parent=region).values_list("code", flat=True)
        if by == "region"
        else ()
    )
    return aggregate(items, day, GROUPINGS[by](region), group_names(by, region), always=always)
