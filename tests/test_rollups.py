"""The incremental roll-ups always equal a full recomputation from the reports."""

from __future__ import annotations

import datetime
from typing import Any

from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fugong.dispatch.figures import reference, rollups
from fugong.dispatch.models import BaselineChange, Plan, Rollup, RollupDay
from fugong.dispatch.reports.baselines import check_accept_baseline
from fugong.dispatch.reports.submit import check_submit_report
from fugong.regions.models import Region
from tests.conftest import ENTERPRISES, World
from tests.support.reports import SHANGHAI

START = datetime.date(2020, 2, 10)
DAYS = [START + datetime.timedelta(days=i) for i in range(6)]
NODES = ["220000", "220100", "220200", "220100Z01"]

submission = st.fixed_dictionaries(
    {
        "enterprise": st.sampled_from(sorted(ENTERPRISES)),
        "day": st.sampled_from(DAYS),
        "resumed": st.booleans(),
        "back": st.integers(0, 60),
        "isolated": st.integers(0, 5),
        "on_duty": st.integers(0, 55),
        "capacity": st.integers(0, 120),
        # 在册员工: near the registry's, or far from it (flagged, counted only once accepted)
        "baseline": st.sampled_from([60, 65, 100, 1_000_000]),
        "decision": st.sampled_from([None, None, "accept", "reject"]),  # the county, after the step
    }
)


def raw(s: dict[str, Any]) -> dict[str, Any]:
    back = max(s["back"], s["isolated"] + s["on_duty"])
    resumed = s["resumed"]
    return {
        "resumed": resumed,
        "baseline_headcount": s.get("baseline", 60),
        "reported_back": back,
        "isolated": s["isolated"],
        "on_duty": s["on_duty"] if resumed else 0,
        "capacity_pct": s["capacity"] if resumed else 0,
    }


def same(a: reference.Figures, b: reference.Figures) -> bool:
    return a.as_dict() | {"key": "", "name": ""} == b.as_dict() | {"key": "", "name": ""}


def vary_the_registry(world: World) -> None:
    """Tiers, industries and a second sector tag, so that each breakdown has several groups
    (queryset updates: this runs before anything is built, inside the test's transaction)."""
    from fugong.enterprises.models import Enterprise, Industry, SectorTag

    catering = SectorTag.objects.create(name="测试餐饮")
    for key, tier, industry in [
        ("nanguan", "province", "36"),
        ("chaoyang", "city", "C"),
        ("changyi", "province", None),
        ("gaoxin", "", "65"),
    ]:
        Enterprise.objects.filter(pk=world.enterprise(key).pk).update(
            tier=tier, industry=Industry.objects.get(code=industry) if industry else None
        )
    world.enterprise("chaoyang").sectors.add(catering)
    world.enterprise("gongzhuling").sectors.add(catering)


CONFIRM = [
    "over_baseline",
    "duty_plus_isolated",
    "jump_reported_back",
    "jump_on_duty",
    "jump_capacity_pct",
    "unchanged_7_days",
    "baseline_change",
]


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(submission, min_size=1, max_size=12), st.sets(st.sampled_from(DAYS), min_size=1))
def test_incremental_rollups_equal_a_full_recomputation(
    world: World, plan: Plan, steps: list[dict[str, Any]], built: set[datetime.date]
) -> None:
    plan.start_date = START
    plan.save()
    province = world.user("province")
    with transaction.atomic():
        vary_the_registry(world)
        for day in built:  # some days are read (built) before the submissions, some only after
            rollups.read(plan, day, Region.objects.get(code="220000"))
        for step in steps:
            enterprise = world.enterprise(step["enterprise"])
            now = datetime.datetime.combine(step["day"], datetime.time(10), tzinfo=SHANGHAI)
            check_submit_report(
                province, enterprise, step["day"], raw(step), channel="api", confirm=CONFIRM, now=now
            )
            change = BaselineChange.objects.filter(enterprise=enterprise, state="pending").first()
            if change is not None and step["decision"]:
                reason = "" if step["decision"] == "accept" else "请更正在册人数"
                check_accept_baseline(province, change, accept=step["decision"] == "accept", reason=reason)
        for day in DAYS:
            for code in NODES:
                node = Region.objects.get(code=code)
                fast = rollups.read(plan, day, node)
                full = reference.computed(plan, day, node, "region", province)
                assert same(fast.total, full.total), (day, code)
                assert {r.key: r.as_dict() for r in fast.rows if r.enterprises} == {
                    r.key: r.as_dict() for r in full.rows if r.enterprises
                }, (day, code)
                for by in ("sector", "tier", "industry"):
                    fast = rollups.read_members(plan, day, node, by)
                    full = reference.computed(plan, day, node, by, province)
                    assert same(fast.total, full.total), (day, code, by)
                    assert {r.key: r.as_dict() for r in fast.rows if r.enterprises} == {
                        r.key: r.as_dict() for r in full.rows if r.enterprises
                    }, (day, code, by)
        transaction.set_rollback(True)


def test_a_registry_change_drops_what_was_built(world: World, plan: Plan) -> None:
    rollups.read(plan, DAYS[0], Region.objects.get(code="220000"))
    assert RollupDay.objects.exists() and Rollup.objects.exists()
    response = world.client("province").patch(
        f"/api/v1/enterprises/{world.enterprise('nanguan').uscc}",
        '{"baseline_headcount": 999}',
        content_type="application/json",
    )
    assert response.status_code == 200
    assert not RollupDay.objects.exists() and not Rollup.objects.exists()
    assert (
        rollups.read(plan, DAYS[0], Region.objects.get(code="220100")).total.baseline_headcount == 999 + 120
    )


def test_reading_a_province_costs_a_few_queries_once_built(
    world: World, plan: Plan, django_assert_max_num_queries: Any
) -> None:
    province = Region.objects.get(code="220000")
    rollups.read(plan, DAYS[0], province)
    with django_assert_max_num_queries(4):
        rollups.read(plan, DAYS[0], province)


def test_reloading_regions_drops_what_was_built(world: World, plan: Plan) -> None:
    from fugong.regions.loader import load_regions

    rollups.read(plan, DAYS[0], Region.objects.get(code="220000"))
    load_regions(["22"])
    assert not RollupDay.objects.exists()


def test_a_sector_breakdown_is_read_from_the_rollups_in_two_queries(
    world: World, plan: Plan, django_assert_max_num_queries: Any
) -> None:
    province = Region.objects.get(code="220000")
    rollups.read(plan, DAYS[0], province)  # builds the day, breakdowns included
    with django_assert_max_num_queries(2):
        by_sector = rollups.read_members(plan, DAYS[0], province, "sector")
    assert [(r.key, r.enterprises) for r in by_sector.rows] == [("外贸", len(ENTERPRISES))]
    assert by_sector.total.enterprises == len(ENTERPRISES)
