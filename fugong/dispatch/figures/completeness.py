"""Completeness and timeliness (after DHIS2): expected, submitted, on time, late, missing.

For a plan, a day and a region node, one grouped query counts per enterprise region; the
counts are then summed up the dispatch tree in Python, so the cost grows with the number of
regions, not of enterprises, and children always add up to their parent.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Count, Exists, OuterRef, Q

from fugong.accounts.models import Membership
from fugong.core.access import Action, Role, anchor_paths, may_at
from fugong.core.errors import NotFound
from fugong.dispatch.models import Plan, Report
from fugong.dispatch.plans.periods import is_reporting_day, period_of
from fugong.dispatch.plans.selection import plan_enterprises
from fugong.enterprises.models import Enterprise, EnterpriseQuerySet
from fugong.regions.models import Region, access_node


@dataclass
class Tally:
    expected: int = 0
    submitted: int = 0
    on_time: int = 0

    @property
    def late(self) -> int:
        return self.submitted - self.on_time

    @property
    def missing(self) -> int:
        return self.expected - self.submitted

    def rate(self, part: int) -> Decimal | None:
        return None if not self.expected else Decimal(part) / Decimal(self.expected)

    @property
    def submitted_rate(self) -> Decimal | None:
        return self.rate(self.submitted)

    @property
    def on_time_rate(self) -> Decimal | None:
        return self.rate(self.on_time)

    def add(self, other: Tally) -> None:
        self.expected += other.expected
        self.submitted += other.submitted
        self.on_time += other.on_time

    def as_dict(self) -> dict[str, Any]:
        return {
            "expected": self.expected,
            "submitted": self.submitted,
            "on_time": self.on_time,
            "late": self.late,
            "missing": self.missing,
            "submitted_rate": self.submitted_rate,
            "on_time_rate": self.on_time_rate,
        }


@dataclass
class Node:
    region: Region
    tally: Tally = field(default_factory=Tally)
    children: list[Node] = field(default_factory=list)


def default_node(user: Any, plan: Plan) -> Region | None:
    """Where figures open: the user's own region inside the plan's, else the plan's region if the
    user covers it, else None (liaisons and reporters follow enterprises, not regions)."""
    for path in anchor_paths(user, Action.VIEW):
        if path.startswith(plan.owner_region.path):
            return Region.objects.get(code=path.strip("/").split("/")[-1])
    return plan.owner_region if may_at(user, Action.VIEW, plan.owner_region.path) else None


def breadcrumbs(user: Any, plan: Plan, region: Region) -> list[Region]:
    """The region's ancestors inside the plan that the user may open (a city dispatcher's trail
    starts at the city, not the province)."""
    return [
        a
        for a in region.ancestors()
        if a.path.startswith(plan.owner_region.path) and may_at(user, Action.VIEW, a.path)
    ]


def node_for(user: Any, plan: Plan, code: str | None) -> Region:
    """The requested node (its whole subtree in scope), or the default one; 404 otherwise."""
    if code:
        return access_node(user, code)
    node = default_node(user, plan)
    if node is None:
        raise NotFound("您负责的是具体企业，没有可汇总的区划；请查看各企业的填报情况")
    return node


def expected_enterprises(plan: Plan, day: datetime.date, region: Region, user: Any) -> EnterpriseQuerySet:
    if not is_reporting_day(plan, day):
        return Enterprise.objects.none()
    return plan_enterprises(plan, day).in_region(region.path).visible_to(user)


def completeness(plan: Plan, day: datetime.date, region: Region, user: Any) -> Node:
    period = period_of(plan, day)
    # EXISTS per enterprise rather than a join counted DISTINCT: half the time on a province
    reports = Report.objects.filter(enterprise=OuterRef("pk"), date__range=(period.start, period.end))
    rows = (
        expected_enterprises(plan, day, region, user)
        .annotate(sent=Exists(reports), in_time=Exists(reports.filter(received_at__lt=period.deadline)))
        .values("region_id")
        .annotate(
            expected=Count("pk"),
            submitted=Count("pk", filter=Q(sent=True)),
            on_time=Count("pk", filter=Q(in_time=True)),
        )
    )
    by_leaf = {r["region_id"]: Tally(r["expected"], r["submitted"], r["on_time"]) for r in rows}
    paths = dict(Region.objects.filter(code__in=by_leaf).values_list("code", "path"))
    children = list(Region.objects.visible_to(user).filter(parent=region).order_by("kind", "code"))
    nodes = {child.code: Node(child) for child in children}
    root = Node(region, children=list(nodes.values()))
    for code, tally in by_leaf.items():
        root.tally.add(tally)
        child_code = paths[code][len(region.path) :].split("/")[0]
        if child_code in nodes:
            nodes[child_code].tally.add(tally)
        elif child_code:  # a child the user cannot list (should not happen within scope)
            nodes[child_code] = Node(Region.objects.get(code=child_code), tally)
            root.children.append(nodes[child_code])
    direct = by_leaf.get(region.code)
    if direct and direct.expected:
        root.children.append(
            Node(Region(code=region.code, name=f"{region.name}（本级）", path=region.path), direct)
        )
    return root


LIST_LIMIT = 200  # rows shown on the board; drill down to a smaller region for the rest


@dataclass
class EnterpriseRow:
    enterprise: Enterprise
    report: Report | None
    liaisons: list[str]


def missing_enterprises(plan: Plan, day: datetime.date, region: Region, user: Any) -> EnterpriseQuerySet:
    return expected_enterprises(plan, day, region, user).filter(~Exists(reports_in_period(plan, day)))


def reports_in_period(plan: Plan, day: datetime.date, received_before: datetime.datetime | None = None) -> Any:
    """The outer enterprise's reports for the period of `day` (as a correlated sub-query)."""
    period = period_of(plan, day)
    reports = Report.objects.filter(enterprise=OuterRef("pk"), date__range=(period.start, period.end))
    return reports if received_before is None else reports.filter(received_at__lt=received_before)


def submitted_by_leaf(plan: Plan, day: datetime.date, as_of: datetime.datetime) -> dict[str, Tally]:
    """For the whole plan, whoever asks (the reminder jobs): expected and submitted as of a
    moment, per leaf region path."""
    if not is_reporting_day(plan, day):
        return {}
    rows = (
        plan_enterprises(plan, day)
        .annotate(sent=Exists(reports_in_period(plan, day, as_of)))
        .values("region__path")
        .annotate(expected=Count("pk"), submitted=Count("pk", filter=Q(sent=True)))
    )
    return {r["region__path"]: Tally(r["expected"], r["submitted"], r["submitted"]) for r in rows}


def missing_and_late(
    plan: Plan, day: datetime.date, region: Region, user: Any
) -> tuple[list[EnterpriseRow], list[EnterpriseRow]]:
    """Enterprises that have not reported for the period, and those that reported late."""
    period = period_of(plan, day)
    expected = expected_enterprises(plan, day, region, user).select_related("region")
    missing_qs = missing_enterprises(plan, day, region, user).select_related("region")
    missing = list(missing_qs.order_by("region__path", "name")[:LIST_LIMIT])
    late_reports = list(
        Report.objects.filter(enterprise__in=expected, date__range=(period.start, period.end))
        .exclude(
            enterprise__in=Report.objects.filter(
                date__range=(period.start, period.end), received_at__lt=period.deadline
            ).values("enterprise")
        )
        .select_related("enterprise__region")
        .order_by("received_at")[:LIST_LIMIT]
    )
    liaisons = liaison_names([e.pk for e in missing] + [r.enterprise_id for r in late_reports])
    return (
        [EnterpriseRow(e, None, liaisons.get(e.pk, [])) for e in missing],
        [EnterpriseRow(r.enterprise, r, liaisons.get(r.enterprise_id, [])) for r in late_reports],
    )


def liaison_names(enterprise_ids: list[int]) -> dict[int, list[str]]:
    names: dict[int, list[str]] = defaultdict(list)
    memberships = Membership.objects.filter(enterprise_id__in=enterprise_ids, role=Role.LIAISON, active=True)
    for m in memberships.select_related("user"):
        assert m.enterprise_id is not None
        label = str(m.user) + (f" {m.user.phone}" if m.user.phone else "")
        names[m.enterprise_id].append(label)
    return names
