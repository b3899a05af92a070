"""The working-day calendar (holidays, 调休, overrides for 2027) and plan periods and selectors."""

from __future__ import annotations

import datetime
import json
from typing import Any

import pytest

from fugong.core.calendar import is_working_day, working_days
from fugong.core.models import CalendarOverride
from fugong.dispatch.models import Plan
from fugong.dispatch.plans.periods import is_reporting_day, lock_date, period_of
from fugong.dispatch.plans.selection import plan_covers, plan_enterprises
from fugong.enterprises.models import Enterprise
from tests.conftest import World

D = datetime.date


@pytest.mark.parametrize(
    ("day", "working"),
    [
        (D(2020, 1, 27), False),  # 春节 holiday, a Monday
        (D(2020, 1, 19), True),  # 调休: a Sunday made a working day before the Spring Festival
        (D(2026, 10, 1), False),  # 国庆
        (D(2026, 2, 14), True),  # 2026 调休 Saturday
        (D(2026, 11, 27), True),  # an ordinary Friday
    ],
)
def test_statutory_holidays_and_make_up_days_are_known(db: Any, day: datetime.date, working: bool) -> None:
    assert is_working_day(day) is working


def test_2027_works_from_weekdays_and_the_admins_overrides(db: Any) -> None:
    assert is_working_day(D(2027, 1, 1))  # a Friday: the package does not know 2027, so a weekday
    assert not is_working_day(D(2027, 1, 2))
    CalendarOverride.objects.create(date=D(2027, 1, 1), is_working_day=False, note="元旦")
    CalendarOverride.objects.create(date=D(2027, 2, 6), is_working_day=True, note="春节调休")
    assert not is_working_day(D(2027, 1, 1))
    assert is_working_day(D(2027, 2, 6))  # a Saturday made a working day
    assert working_days(D(2026, 12, 31), D(2027, 1, 4)) == {D(2026, 12, 31), D(2027, 1, 4)}


def test_a_working_day_plan_expects_nothing_on_a_holiday_but_an_every_day_plan_does(plan: Plan) -> None:
    holiday = D(2020, 4, 6)  # 清明 (Monday)
    assert not is_reporting_day(plan, holiday)
    assert is_reporting_day(plan, D(2020, 4, 7))
    plan.report_on_rest_days = True
    assert is_reporting_day(plan, holiday)
    assert not is_reporting_day(plan, D(2020, 1, 31))  # before the plan starts


def test_a_weekly_plan_has_a_friday_deadline_and_a_week_long_period(plan: Plan) -> None:
    plan.cadence, plan.deadline_weekday, plan.deadline_time = "weekly", 4, datetime.time(17, 0)
    period = period_of(plan, D(2020, 2, 19))  # a Wednesday
    assert (period.start, period.end, period.deadline_day) == (D(2020, 2, 17), D(2020, 2, 23), D(2020, 2, 21))
    assert period.deadline.isoformat() == "2020-02-21T17:00:00+08:00"
    assert lock_date(plan, D(2020, 2, 19)) == D(2020, 2, 27)


def test_sql_and_python_selectors_agree(world: World, plan: Plan) -> None:
    selectors = [
        {},
        {"regions": ["220100"]},
        {"regions": ["220184", "220200"]},
        {"sectors": ["外贸"]},
        {"sectors": ["零售"]},
        {"tiers": ["province"]},
        {"above_scale": True},
        {"enterprises": [world.enterprise("gaoxin").uscc]},
    ]
    Enterprise.objects.filter(name__startswith="吉林").update(tier="province", above_scale=True)
    day = D(2020, 2, 17)
    for selector in selectors:
        plan.selector = selector
        in_sql = set(plan_enterprises(plan, day).values_list("pk", flat=True))
        in_python = {e.pk for e in Enterprise.objects.select_related("region") if plan_covers(plan, e, day)}
        assert in_sql == in_python, selector


def test_a_plan_with_a_bad_selector_is_refused_with_every_problem_named(world: World) -> None:
    payload = {
        "title": "测试",
        "owner_region": "220100",
        "start_date": "2020-02-17",
        "selector": {"regions": ["999999"], "sectors": ["外星"], "tiers": ["national"]},
    }
    response = world.client("changchun").post(
        "/api/v1/plans", json.dumps(payload), content_type="application/json"
    )
    assert response.status_code == 422
    message = response.json()["message"]
    assert "区划代码不存在：999999" in message and "行业标签不存在：外星" in message and "national" in message


def test_a_city_dispatcher_creates_plans_only_for_their_city(world: World) -> None:
    client = world.client("changchun")
    ok = {
        "title": "长春市规上工业日调度",
        "owner_region": "220100",
        "start_date": "2020-02-17",
        "deadline": "15:30",
        "selector": {"above_scale": True},
    }
    created = client.post("/api/v1/plans", json.dumps(ok), content_type="application/json")
    assert created.status_code == 201 and created.json()["deadline"] == "15:30"
    province = client.post(
        "/api/v1/plans", json.dumps({**ok, "owner_region": "220000"}), content_type="application/json"
    )
    assert province.status_code == 422 and "不在您的管辖范围内" in province.json()["message"]
    leader = world.client("leader").post("/api/v1/plans", json.dumps(ok), content_type="application/json")
    assert leader.status_code == 403


def test_a_plan_with_several_extra_fields_is_saved_and_its_history_kept(world: World) -> None:
    extra = [
        {"key": "investment", "label": "完成投资", "type": "decimal", "unit": "万元"},
        {"key": "orders", "label": "在手订单", "type": "int", "unit": "份"},
    ]
    plan = {
        "title": "长春市重点项目周调度",
        "owner_region": "220100",
        "start_date": "2020-02-17",
        "cadence": "weekly",
        "extra_fields": extra,
    }
    client = world.client("changchun")
    created = client.post("/api/v1/plans", json.dumps(plan), content_type="application/json")
    assert created.status_code == 201, created.content.decode()
    saved = Plan.objects.get(pk=created.json()["id"])
    assert [f["key"] for f in saved.extra_fields] == ["investment", "orders"]


def test_the_province_plan_is_visible_below_but_only_changeable_at_its_level(
    world: World, plan: Plan
) -> None:
    assert world.client("changchun").get(f"/api/v1/plans/{plan.pk}").status_code == 200
    assert world.client("reporter").get(f"/api/v1/plans/{plan.pk}").status_code == 200
    assert world.client("outsider").get(f"/api/v1/plans/{plan.pk}").status_code == 404
    assert world.client("changchun").get(f"/dispatch/plans/{plan.pk}/edit/").status_code == 403
    assert world.client("province").get(f"/dispatch/plans/{plan.pk}/edit/").status_code == 200
