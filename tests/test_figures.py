"""The three rates on hand-computed examples (DESIGN.md §3), and seed 003's published line."""

from __future__ import annotations

import datetime
import json
from decimal import Decimal

from fugong.core.templatetags.fugong import percent
from fugong.dispatch.figures.reads import resumption
from fugong.dispatch.figures.reference import Status, aggregate
from fugong.dispatch.models import Plan
from fugong.regions.models import Region
from tests.conftest import World
from tests.support.reports import DAY
from tests.support.scenarios import scenario


def test_the_province_total_follows_the_definitions(world: World, plan: Plan) -> None:
    scenario(world)
    total = resumption(plan, DAY, Region.objects.get(code="220000"), "region", world.user("province")).total
    assert (total.enterprises, total.resumed, total.resumption_rate) == (4, 2, Decimal("0.5"))
    assert (total.baseline_headcount, total.on_duty, total.reported_back, total.isolated) == (
        960,
        350,
        410,
        20,
    )
    assert total.attendance_rate == Decimal(350) / Decimal(600)  # over resumed enterprises
    assert total.attendance_rate_all == Decimal(350) / Decimal(960)  # over all in scope
    assert total.capacity_recovery_rate == Decimal(55 * 480 + 80 * 50) / Decimal(530) / 100  # weighted
    assert total.stale == 1  # 朝阳's figures are two days old


def test_children_sum_to_their_parent_and_empty_children_are_listed(world: World, plan: Plan) -> None:
    scenario(world)
    result = resumption(plan, DAY, Region.objects.get(code="220000"), "region", world.user("province"))
    rows = {r.name: r for r in result.rows}
    assert (rows["长春市"].enterprises, rows["长春市"].resumed) == (2, 2)
    assert (rows["吉林市"].enterprises, rows["长春新区"].enterprises, rows["公主岭市"].enterprises) == (
        1,
        1,
        0,
    )
    for attribute in ("enterprises", "resumed", "baseline_headcount", "on_duty", "reported_back", "isolated"):
        assert sum(getattr(r, attribute) for r in result.rows) == getattr(result.total, attribute)


def test_the_day_before_counts_the_closed_enterprise_and_carries_forward(world: World, plan: Plan) -> None:
    scenario(world)
    total = resumption(
        plan,
        DAY - datetime.timedelta(days=1),
        Region.objects.get(code="220000"),
        "region",
        world.user("province"),
    ).total
    assert (total.enterprises, total.resumed, total.on_duty) == (5, 1, 90)


def test_a_city_dispatcher_sees_their_city_only(world: World, plan: Plan) -> None:
    scenario(world)
    body = (
        world.client("changchun")
        .get(f"/api/v1/stats/resumption?plan={plan.pk}&date={DAY}&region=220100")
        .json()
    )
    assert (body["total"]["enterprises"], body["total"]["on_duty"]) == (2, 350)
    assert (body["previous_total"]["enterprises"], body["previous_total"]["on_duty"]) == (
        2,
        90,
    )  # day over day
    assert (
        world.client("changchun")
        .get(f"/api/v1/stats/resumption?plan={plan.pk}&date={DAY}&region=220200")
        .status_code
        == 404
    )


def test_the_api_gives_exact_values_and_breakdowns_by_sector_tier_and_industry(
    world: World, plan: Plan
) -> None:
    scenario(world)
    client = world.client("province")
    body = client.get(f"/api/v1/stats/resumption?plan={plan.pk}&date={DAY}").json()
    assert Decimal(json.dumps(body["total"]["attendance_rate_all"]).strip('"')) == Decimal(350) / Decimal(960)
    sectors = client.get(f"/api/v1/stats/resumption?plan={plan.pk}&date={DAY}&by=sector").json()
    assert [(r["key"], r["enterprises"]) for r in sectors["rows"]] == [("外贸", 4)]
    tiers = client.get(f"/api/v1/stats/resumption?plan={plan.pk}&date={DAY}&by=tier").json()
    assert [(r["name"], r["enterprises"]) for r in tiers["rows"]] == [("非重点", 4)]
    bad = client.get(f"/api/v1/stats/resumption?plan={plan.pk}&date={DAY}&by=colour")
    assert bad.status_code == 400 and "by 只能是" in bad.json()["message"]


def status(i: int, *, resumed: bool, baseline: int, on_duty: int) -> Status:
    return Status(
        i,
        "/220000/",
        (),
        "",
        "C",
        resumed,
        baseline,
        on_duty,
        0,
        on_duty,
        Decimal(50) if resumed else None,
        Decimal(baseline),
        DAY,
    )


def test_seed_003s_published_line_comes_out_as_published() -> None:
    """1,792 of 2,757 above-scale enterprises resumed (65.0%); 687,000 of 1,065,116 on duty (64.5%)."""
    resumed = [status(i, resumed=True, baseline=500, on_duty=383) for i in range(1792)]  # 686,336 on duty
    resumed[0] = status(0, resumed=True, baseline=500, on_duty=383 + 664)  # …and 664 more: 687,000
    others = [status(2000 + i, resumed=False, baseline=0, on_duty=0) for i in range(965)]
    others[0] = status(2000, resumed=False, baseline=1_065_116 - 1792 * 500, on_duty=0)
    total = aggregate(resumed + others, DAY, lambda s: ["all"], {}).total
    assert (total.enterprises, total.resumed, total.on_duty, total.baseline_headcount) == (
        2757,
        1792,
        687_000,
        1_065_116,
    )
    assert percent(total.resumption_rate) == "65.0%"
    assert percent(total.attendance_rate_all) == "64.5%"
