"""Which enterprises a plan covers: its selector, in SQL for lists and counts, in Python for one.

A selector is {regions: [codes], sectors: [names], tiers: [..], above_scale: bool|null,
enterprises: [uscc]}; every non-empty criterion must hold (an empty one means "any"), and the
enterprise must lie in the plan's owner region and be active on the day.

Apps above dispatch add criteria of their own with `register_criterion` (lists: `lists: [id]`,
enterprises on any of those key-enterprise lists as of the day), so dispatch imports none of them.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db.models import Exists, OuterRef, Q, prefetch_related_objects

from fugong.core.errors import ErrorItem, ValidationFailed
from fugong.core.uscc import normalize_uscc, uscc_problem
from fugong.dispatch.models import Plan
from fugong.enterprises.models import Enterprise, EnterpriseQuerySet, SectorTag, Tier
from fugong.regions.models import Region

SELECTOR_KEYS = ("regions", "sectors", "tiers", "above_scale", "enterprises")


@dataclass(frozen=True)
class Criterion:
    """A selector key served by an app above dispatch. `members` and `q` must agree: the ids of
    the enterprises the values select on a day (None: as things stand now), and the same as a
    filter on Enterprise for plan_enterprises."""

    label: str  # as the plan form names it
    clean: Callable[[Any], tuple[list[Any], list[str]]]  # → (values, Chinese problems)
    q: Callable[[list[Any], datetime.date | None], Q]
    members: Callable[[list[Any], datetime.date], set[int]]


CRITERIA: dict[str, Criterion] = {}


def register_criterion(key: str, criterion: Criterion) -> None:
    """Called once from an app's ready(): plans may then select by `key`."""
    CRITERIA[key] = criterion


def selector_keys() -> tuple[str, ...]:
    return SELECTOR_KEYS + tuple(CRITERIA)


def region_paths(codes: list[str]) -> list[str]:
    return list(Region.objects.filter(code__in=codes).values_list("path", flat=True))


def plan_enterprises(plan: Plan, day: datetime.date | None = None) -> EnterpriseQuerySet:
    selector = plan.selector or {}
    qs = Enterprise.objects.in_region(plan.owner_region.path)
    if selector.get("regions"):
        q = Q(pk__in=[])
        for path in region_paths(selector["regions"]):
            q |= Q(region__path__startswith=path)
        qs = qs.filter(q)
    if selector.get("sectors"):
        tagged = Enterprise.sectors.through.objects.filter(
            enterprise_id=OuterRef("pk"), sectortag__name__in=selector["sectors"]
        )
        qs = qs.filter(Exists(tagged))
    if selector.get("tiers"):
        qs = qs.filter(tier__in=selector["tiers"])
    if selector.get("above_scale") is not None:
        qs = qs.filter(above_scale=selector["above_scale"])
    if selector.get("enterprises"):
        qs = qs.filter(uscc__in=selector["enterprises"])
    for key, criterion in CRITERIA.items():
        if selector.get(key):
            qs = qs.filter(criterion.q(selector[key], day))
    return qs.active_on(day) if day else qs


def selector_paths(plan: Plan) -> list[str]:
    """The selector's region paths, read once per plan object (an import asks per row)."""
    codes = tuple((plan.selector or {}).get("regions") or [])
    cached: tuple[tuple[str, ...], list[str]] | None = getattr(plan, "_selector_paths", None)
    if cached is None or cached[0] != codes:  # a selector edited on the same object is read anew
        cached = (codes, region_paths(list(codes)))
        plan._selector_paths = cached  # type: ignore[attr-defined]
    return cached[1]


def plan_covers(plan: Plan, enterprise: Enterprise, day: datetime.date) -> bool:
    """The same rule as plan_enterprises, for one enterprise already in memory."""
    selector = plan.selector or {}
    path = enterprise.region.path
    if (
        not plan.runs_on(day)
        or not enterprise.is_active_on(day)
        or not path.startswith(plan.owner_region.path)
    ):
        return False
    if selector.get("regions") and not any(path.startswith(p) for p in selector_paths(plan)):
        return False
    if selector.get("sectors") and not set(enterprise.sector_names()) & set(selector["sectors"]):
        return False
    if selector.get("tiers") and enterprise.tier not in selector["tiers"]:
        return False
    if selector.get("above_scale") is not None and enterprise.above_scale != selector["above_scale"]:
        return False
    if selector.get("enterprises") and enterprise.uscc not in selector["enterprises"]:
        return False
    return all(enterprise.pk in criterion_members(plan, key, day) for key in CRITERIA if selector.get(key))


def criterion_members(plan: Plan, key: str, day: datetime.date) -> set[int]:
    """The enterprises an app's criterion selects on the day, read once per plan object and day
    (an import asks plan_covers per row)."""
    values = (plan.selector or {}).get(key) or []
    cache: dict[tuple[str, str, datetime.date], set[int]] = plan.__dict__.setdefault("_criterion_members", {})
    marker = (key, repr(values), day)
    if marker not in cache:
        cache[marker] = CRITERIA[key].members(list(values), day)
    return cache[marker]


def plans_covering(enterprise: Enterprise, day: datetime.date) -> list[Plan]:
    prefetch_related_objects([enterprise], "sectors")  # one query for every plan's sector test
    ancestors = [c for c in enterprise.region.path.split("/") if c]
    candidates = Plan.objects.filter(active=True, owner_region_id__in=ancestors).select_related(
        "owner_region"
    )
    return [plan for plan in candidates if plan_covers(plan, enterprise, day)]


def selector_error(message: str) -> ErrorItem:
    return ErrorItem(message, field="selector", label="纳入范围")


def clean_selector(raw: Any) -> dict[str, Any]:
    """A selector with every code, tag and tier checked, or ValidationFailed naming the bad ones."""
    if raw in (None, ""):
        raw = {}
    if not isinstance(raw, dict) or set(raw) - set(selector_keys()):
        raise ValidationFailed.of([selector_error(f"纳入范围格式有误：只能包含 {'、'.join(selector_keys())}")])
    for key in ("regions", "sectors", "tiers", "enterprises"):
        value = raw.get(key) or []
        if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
            raise ValidationFailed.of([selector_error(f'纳入范围的 {key} 应为文字列表，如 ["220100"]')])
    selector: dict[str, Any] = {
        key: list(raw.get(key) or []) for key in ("regions", "sectors", "tiers", "enterprises")
    }
    selector["above_scale"] = raw.get("above_scale")
    problems = []
    unknown = set(selector["regions"]) - set(
        Region.objects.filter(code__in=selector["regions"]).values_list("code", flat=True)
    )
    if unknown:
        problems.append(f"区划代码不存在：{'、'.join(sorted(unknown))}")
    unknown = set(selector["sectors"]) - set(
        SectorTag.objects.filter(name__in=selector["sectors"]).values_list("name", flat=True)
    )
    if unknown:
        problems.append(f"行业标签不存在：{'、'.join(sorted(unknown))}")
    bad_tiers = set(selector["tiers"]) - {t.value for t in Tier if t.value}
    if bad_tiers:
        problems.append(f"重点层级只能是 province、city、county，不能是：{'、'.join(sorted(bad_tiers))}")
    selector["enterprises"] = [normalize_uscc(c) for c in selector["enterprises"]]
    bad_codes = [c for c in selector["enterprises"] if uscc_problem(c)]
    if bad_codes:
        problems.append(f"统一社会信用代码有误：{'、'.join(bad_codes[:5])}")
    if selector["above_scale"] not in (None, True, False):
        problems.append("above_scale 只能是 true、false 或 null")
    for key, criterion in CRITERIA.items():
        if raw.get(key) not in (None, "", []):  # kept out of the selector when unused
            selector[key], found = criterion.clean(raw[key])
            problems += found
    if problems:
        raise ValidationFailed.of([selector_error(problem) for problem in problems])
    return selector
