"""A registry edit drops only the roll-up days it can change (issue 13 §2): a phone number none,
a baseline or region the days of the plans counting the enterprise, active dates the days between."""

from __future__ import annotations

import datetime
import json
from typing import Any

import pytest

from fugong.dispatch.figures import rollups
from fugong.dispatch.models import Plan, Rollup, RollupDay
from fugong.dispatch.plans.actions import check_save_plan
from fugong.regions.models import Region
from tests.conftest import World

DAYS = [datetime.date(2020, 2, 10) + datetime.timedelta(days=i) for i in range(5)]  # Mon–Fri


@pytest.fixture
def jilin_plan(world: World) -> Plan:
    """A plan of 吉林市: it does not count 长春's 南关 enterprise."""
    return Plan.objects.create(title="吉林市企业日调度", owner_region_id="220200", start_date=DAYS[0])


def build(*plans: Plan) -> None:
    for p in plans:
        rollups.read_days(p, DAYS, p.owner_region)


def rows(p: Plan) -> dict[datetime.date, set[int]]:
    built = set(RollupDay.objects.filter(plan=p).values_list("date", flat=True))
    keys: dict[datetime.date, set[int]] = {day: set() for day in built}
    for day, pk in Rollup.objects.filter(plan=p).values_list("date", "pk"):
        keys.setdefault(day, set()).add(pk)
    return keys


def edit(world: World, key: str, values: dict[str, Any]) -> None:
    response = world.client("province").patch(
        f"/api/v1/enterprises/{world.enterprise(key).uscc}",
        json.dumps(values),
        content_type="application/json",
    )
    assert response.status_code == 200, response.content.decode()


def totals(p: Plan, code: str) -> dict[datetime.date, dict[str, Any]]:
    node = Region.objects.get(code=code)
    return {day: b.total.as_dict() for day, b in rollups.read_days(p, DAYS, node).items()}


def rebuilt_totals(p: Plan, code: str) -> dict[datetime.date, dict[str, Any]]:
    rollups.invalidate()
    return totals(p, code)


def test_a_contact_phone_edit_keeps_every_built_day(world: World, plan: Plan, jilin_plan: Plan) -> None:
    build(plan, jilin_plan)
    before, figures = (rows(plan), rows(jilin_plan)), totals(plan, "220000")
    edit(world, "nanguan", {"contact_phone": "13904310000"})
    assert (rows(plan), rows(jilin_plan)) == before
    assert totals(plan, "220000") == figures


def test_a_baseline_edit_rebuilds_the_plans_counting_it_and_keeps_the_others(
    world: World, plan: Plan, jilin_plan: Plan
) -> None:
    build(plan, jilin_plan)
    kept = rows(jilin_plan)
    edit(world, "nanguan", {"baseline_headcount": 999})
    assert rows(plan) == {} and rows(jilin_plan) == kept
    assert all(t["baseline_headcount"] == 999 + 120 for t in totals(plan, "220100").values())


def test_moving_an_enterprise_rebuilds_the_plan_it_moves_into(
    world: World, plan: Plan, jilin_plan: Plan
) -> None:
    build(plan, jilin_plan)
    counted = totals(jilin_plan, "220200")[DAYS[0]]["enterprises"]
    edit(world, "nanguan", {"region": "220202"})
    assert rows(jilin_plan) == {}
    moved = totals(jilin_plan, "220200")
    assert moved[DAYS[0]]["enterprises"] == counted + 1
    assert moved == rebuilt_totals(jilin_plan, "220200")


def test_an_end_date_drops_only_the_days_after_it(world: World, plan: Plan, jilin_plan: Plan) -> None:
    build(plan, jilin_plan)
    before = rows(plan)
    edit(world, "nanguan", {"active_to": str(DAYS[2])})
    after = rows(plan)
    assert {day: after[day] for day in DAYS[:3]} == {day: before[day] for day in DAYS[:3]}
    assert not set(after) & set(DAYS[3:])
    assert totals(plan, "220000") == rebuilt_totals(plan, "220000")


def test_editing_a_plan_rebuilds_its_days_and_keeps_the_other_plans(
    world: World, plan: Plan, jilin_plan: Plan
) -> None:
    build(plan, jilin_plan)
    kept = rows(jilin_plan)
    counted = totals(plan, "220000")[DAYS[0]]["enterprises"]
    narrowed = {"sectors": ["外贸"], "regions": ["220100"]}  # 长春 only
    check_save_plan(world.user("province"), {"selector": narrowed}, plan, channel="web")
    assert rows(plan) == {} and rows(jilin_plan) == kept
    now = totals(plan, "220000")
    assert now[DAYS[0]]["enterprises"] < counted
    assert now == rebuilt_totals(plan, "220000")
