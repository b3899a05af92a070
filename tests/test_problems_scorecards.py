"""诉求办理指标 on a week worked by hand: every rate of every card, the red and black lists,
open problems by category and the 共性问题 clusters (definitions: docs/metrics.md)."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
from django.test import override_settings

from fugong.accounts.models import Department, Membership, User
from fugong.core.access import Role
from fugong.enterprises.models import Enterprise
from fugong.problems import scorecards
from fugong.problems.actions import check_create_problem, do_transition
from fugong.problems.models import Problem
from fugong.regions.models import Region
from tests.conftest import World, uscc
from tests.support.reports import SHANGHAI

FEB = 2  # 2020-02-17 (Mon) … 02-21 (Fri) are working days; 02-15/16 and 02-22/23 a weekend


def at(day: int, hour: int, minute: int = 0) -> datetime.datetime:
    return datetime.datetime(2020, FEB, day, hour, minute, tzinfo=SHANGHAI)


def kuancheng() -> Enterprise:
    """A third enterprise inside 长春市 (宽城区), so that 长春 has three districts with problems."""
    return Enterprise.objects.get_or_create(
        uscc=uscc("220103", 90),
        defaults={
            "name": "长春宽城机械有限公司",
            "region_id": "220103",
            "baseline_headcount": 50,
            "active_from": datetime.date(2020, 1, 1),
        },
    )[0]


def unit(name: str) -> tuple[Department, User]:
    """A department of 长春市 with one handler."""
    department, _ = Department.objects.get_or_create(name=name, region_id="220100")
    user, created = User.objects.get_or_create(username=f"handler-{department.pk}")
    if created:
        Membership.objects.create(user=user, role=Role.HANDLER, department=department)
    return department, user


def intake(
    enterprise: Enterprise, when: datetime.datetime, category: str = "物流运输不畅", **raw: Any
) -> Problem:
    values = {
        "category": category,
        "title": "货车进不来",
        "description": "卡口不放行",
        "confirm": ["duplicate"],
    }
    return check_create_problem(
        User.objects.get(username="changchun"), enterprise, {**values, **raw}, now=when
    )


def move(user: User, problem: Problem, action: str, when: datetime.datetime, **params: Any) -> None:
    do_transition(user, problem.pk, action, params, now=when)


@dataclass
class Week:
    d1: Department
    d2: Department


@pytest.fixture
def week(world: World) -> Week:
    """The week of 17 February 2020 in 长春 (times in the comments are that week's, 09:00 = 9).

    P1 南关 → D1: signed on time, replied on time, 满意 + solved. Closed after 2.0 working days.
    P2 朝阳 → D1: signed late, replied, 不满意 (redo), replied again, 基本满意 + not solved: 4.0 days.
    P3 南关 → D1, returned by D1, → D2: signed on time, still being handled.
    P4 宽城 (urgent) → D2: signed on time, replied late, closed by the dispatcher unrated:
       Tue 09:00 → Fri 10:00 = 3 days 1 hour of working time.
    P5 朝阳 (用工难) → D1 on Thursday, not signed in the range (signed the Monday after).
    P6 南关, received and dispatched to D1 on Friday 14th (before the range), signed then, replied
       Monday 17th on time, 满意 + solved Tuesday: 48 working hours = 2.0 days.
    P7 宽城 → D2 on Wednesday, signed on time, still being handled.
    """
    d1, d2 = Department.objects.get(name="长春市商务局"), unit("长春市交通运输局")[0]
    h1, h2 = world.user("handler"), unit("长春市交通运输局")[1]
    dispatcher, reporter = world.user("changchun"), world.user("reporter")
    nanguan, chaoyang, kc = world.enterprise("nanguan"), world.enterprise("chaoyang"), kuancheng()
    liaison = world.user("liaison")  # rates for 朝阳

    p1 = intake(nanguan, at(17, 9))
    move(dispatcher, p1, "dispatch", at(17, 9), department=d1.pk)
    move(h1, p1, "sign", at(17, 11))
    move(h1, p1, "reply", at(18, 9), note="已协调")
    move(dispatcher, p1, "review", at(18, 10))
    move(reporter, p1, "rate", at(19, 9), rating="satisfied", resolved="是")

    p2 = intake(chaoyang, at(17, 9))
    move(dispatcher, p2, "dispatch", at(17, 9), department=d1.pk)
    move(h1, p2, "sign", at(18, 10))  # due Tue 09:00: late
    move(h1, p2, "reply", at(18, 12), note="已协调")
    move(dispatcher, p2, "review", at(18, 13))
    move(liaison, p2, "rate", at(19, 10), rating="unsatisfied")
    move(h1, p2, "reply", at(20, 9), note="再次协调")
    move(dispatcher, p2, "review", at(20, 10))
    move(liaison, p2, "rate", at(21, 9), rating="basic", resolved="否")

    p3 = intake(nanguan, at(17, 9))
    move(dispatcher, p3, "dispatch", at(17, 9), department=d1.pk)
    move(h1, p3, "return", at(17, 10), note="不属于本单位职责")
    move(dispatcher, p3, "dispatch", at(17, 11), department=d2.pk)
    move(h2, p3, "sign", at(17, 12))

    p4 = intake(kc, at(18, 9), urgency="urgent")  # urgent: sign in 2 hours, close in 24
    move(dispatcher, p4, "dispatch", at(18, 9), department=d2.pk)
    move(h2, p4, "sign", at(18, 10))
    move(h2, p4, "reply", at(19, 12), note="已处理")  # due Wed 09:00: late
    move(dispatcher, p4, "review", at(19, 13))
    with override_settings(FUGONG_RATING_WORKDAYS=1):  # a county that waits one working day for a rating
        move(dispatcher, p4, "close", at(21, 10))

    p5 = intake(chaoyang, at(20, 9), category="用工难", title="缺少熟练工人", description="招不到焊工")
    move(dispatcher, p5, "dispatch", at(20, 9), department=d1.pk)
    move(h1, p5, "sign", at(24, 9))  # after the range

    p6 = intake(nanguan, at(14, 9))
    move(dispatcher, p6, "dispatch", at(14, 9), department=d1.pk)
    move(h1, p6, "sign", at(14, 10))
    move(h1, p6, "reply", at(17, 14), note="已协调")
    move(dispatcher, p6, "review", at(17, 15))
    move(reporter, p6, "rate", at(18, 9), rating="satisfied", resolved="是")

    p7 = intake(kc, at(19, 9))
    move(dispatcher, p7, "dispatch", at(19, 9), department=d2.pk)
    move(h2, p7, "sign", at(19, 9, 30))
    return Week(d1, d2)


def cards(world: World, persona: str = "changchun") -> scorecards.Scorecards:
    node = Region.objects.get(code="220100")
    return scorecards.scorecards(
        world.user(persona), node, datetime.date(2020, 2, 17), datetime.date(2020, 2, 21)
    )


def days(*hours: int) -> Decimal:
    """The mean of working times given in hours, in working days."""
    return Decimal(sum(hours) * 3600) / Decimal(86400) / Decimal(len(hours))


def rates(card: scorecards.Card) -> dict[str, Any]:
    return {
        "sign_on_time_rate": card.sign_on_time_rate,
        "close_on_time_rate": card.close_on_time_rate,
        "return_rate": card.return_rate,
        "redo_rate": card.redo_rate,
        "satisfaction_closed": card.satisfaction_closed,
        "satisfaction_rated": card.satisfaction_rated,
        "resolved_rate": card.resolved_rate,
        "mean_close_days": card.mean_close_days,
    }


def q(part: int, whole: int) -> Decimal:
    return Decimal(part) / Decimal(whole)


def test_the_first_unit_is_scored_on_every_move_it_made_in_the_week(world: World, week: Week) -> None:
    d1 = next(c for c in cards(world).units if c.key == str(week.d1.pk))
    # dispatched P1 P2 P3 P5 (P6 was dispatched before the range); returned P3
    assert (d1.dispatched, d1.returned, d1.signed, d1.signed_on_time) == (4, 1, 2, 1)
    # replies: P1, P2 twice, P6 (its dispatch and sign were before the range: still D1's)
    assert (d1.replied, d1.replied_on_time, d1.rated, d1.closed) == (4, 4, 4, 3)
    assert rates(d1) == {
        "sign_on_time_rate": q(1, 2),
        "close_on_time_rate": q(4, 4),
        "return_rate": q(1, 4),
        "redo_rate": q(1, 3),  # P2 of the three problems answered (P1, P2, P6)
        "satisfaction_closed": q(3, 3),
        "satisfaction_rated": q(3, 4),  # P2's 不满意 counts here, not among closings
        "resolved_rate": q(2, 3),
        "mean_close_days": days(48, 96, 48),
    }
    assert d1.name == "长春市商务局" and d1.score == Decimal(80)  # 40×1 + 30×¾ + 20×½ + 10×¾


def test_the_second_unit_is_scored_on_what_was_dispatched_to_it_after_a_return(
    world: World, week: Week
) -> None:
    d2 = next(c for c in cards(world).units if c.key == str(week.d2.pk))
    assert (d2.dispatched, d2.returned, d2.signed, d2.signed_on_time, d2.replied, d2.closed) == (
        3,
        0,
        3,
        3,
        1,
        1,
    )
    assert rates(d2) == {
        "sign_on_time_rate": q(3, 3),
        "close_on_time_rate": q(0, 1),
        "return_rate": q(0, 3),
        "redo_rate": q(0, 1),
        "satisfaction_closed": q(0, 1),  # closed by the dispatcher without a rating
        "satisfaction_rated": None,  # nobody rated D2 in the week
        "resolved_rate": q(0, 1),
        "mean_close_days": days(73),
    }
    assert d2.score == Decimal(30) * 100 / 70  # (40×0 + 20×1 + 10×1) ÷ 70 — no rating, no weight


def test_each_district_is_scored_on_its_enterprises_and_they_add_up_to_the_city(
    world: World, week: Week
) -> None:
    result = cards(world)
    by_key = {c.key: c for c in result.regions}
    nanguan, chaoyang, kc = by_key["220102"], by_key["220104"], by_key["220103"]
    assert (nanguan.received, nanguan.dispatched, nanguan.returned, nanguan.signed) == (2, 3, 1, 2)
    assert rates(nanguan) == {
        "sign_on_time_rate": q(2, 2),
        "close_on_time_rate": q(2, 2),
        "return_rate": q(1, 3),
        "redo_rate": q(0, 2),
        "satisfaction_closed": q(2, 2),
        "satisfaction_rated": q(2, 2),
        "resolved_rate": q(2, 2),
        "mean_close_days": days(48, 48),
    }
    assert rates(chaoyang) == {
        "sign_on_time_rate": q(0, 1),
        "close_on_time_rate": q(2, 2),
        "return_rate": q(0, 2),
        "redo_rate": q(1, 1),
        "satisfaction_closed": q(1, 1),
        "satisfaction_rated": q(1, 2),
        "resolved_rate": q(0, 1),
        "mean_close_days": days(96),
    }
    assert (kc.received, kc.dispatched, kc.signed_on_time, kc.replied_on_time, kc.closed) == (2, 2, 2, 0, 1)
    total = result.total
    assert (total.received, total.dispatched, total.returned, total.signed, total.replied) == (6, 7, 1, 5, 5)
    assert rates(total) == {
        "sign_on_time_rate": q(4, 5),
        "close_on_time_rate": q(4, 5),
        "return_rate": q(1, 7),
        "redo_rate": q(1, 4),
        "satisfaction_closed": q(3, 4),
        "satisfaction_rated": q(3, 4),
        "resolved_rate": q(2, 4),
        "mean_close_days": days(48, 96, 48, 73),
    }
    for name in ("received", "dispatched", "returned", "signed", "replied", "rated", "closed"):
        assert getattr(total, name) == sum(getattr(c, name) for c in result.regions), name


def test_the_red_list_and_the_black_list_rank_units_with_enough_problems(world: World, week: Week) -> None:
    result = cards(world)
    assert [c.name for c in result.red_list] == ["长春市商务局"]
    assert [c.name for c in result.black_list] == ["长春市交通运输局"]
    third, handler = unit("长春市工信局")
    p = intake(kuancheng(), at(20, 9))
    move(world.user("changchun"), p, "dispatch", at(20, 9), department=third.pk)
    move(handler, p, "sign", at(20, 10))
    result = cards(world)  # one problem is too few to be ranked: the lists stay as they were
    assert [c.name for c in result.red_list] == ["长春市商务局"]
    assert [c.name for c in result.black_list] == ["长春市交通运输局"]


def test_a_narrower_range_counts_only_its_own_moves(world: World, week: Week) -> None:
    node = Region.objects.get(code="220100")
    monday = scorecards.scorecards(
        world.user("changchun"), node, datetime.date(2020, 2, 17), datetime.date(2020, 2, 17)
    )
    d1 = next(c for c in monday.units if c.key == str(week.d1.pk))
    # Monday: D1 got P1 P2 P3, returned P3, signed P1 on time, answered P6
    assert (d1.dispatched, d1.returned, d1.signed, d1.signed_on_time, d1.replied, d1.closed) == (
        3,
        1,
        1,
        1,
        1,
        0,
    )
    assert d1.mean_close_days is None and d1.satisfaction_rated is None


def test_a_dispatcher_elsewhere_sees_none_of_it(world: World, week: Week) -> None:
    node = Region.objects.get(code="220200")
    result = scorecards.scorecards(
        world.user("jilin"), node, datetime.date(2020, 2, 17), datetime.date(2020, 2, 21)
    )
    assert result.units == [] and result.total.dispatched == 0


def test_open_problems_are_counted_by_category_with_the_overdue_ones(world: World, week: Week) -> None:
    node = Region.objects.get(code="220100")
    rows = scorecards.open_by_category(world.user("changchun"), node, now=at(25, 9))
    # open on Tuesday 25th: P3 (received Mon 17th, due Mon 24th 09:00: overdue), P7 (due Wed 26th)
    # and P5 (due Thu 27th) being handled
    assert [(r.category, r.open, r.urgent, r.overdue) for r in rows] == [
        ("物流运输不畅", 2, 0, 1),
        ("用工难", 1, 0, 0),
    ]


def test_similar_open_problems_of_three_enterprises_make_a_common_problem(world: World) -> None:
    text = {"title": "原材料运不进来", "description": "高速卡口不放行运原材料的货车，生产线停工"}
    alike = {"title": "原材料运不进来", "description": "高速卡口不让运原材料的货车通行，生产线停了"}
    also = {"title": "原材料进不来", "description": "高速卡口不放行货车，原材料运不到厂"}
    other = {"title": "出口订单被取消", "description": "海外客户取消订单，要求赔偿"}
    first = intake(world.enterprise("nanguan"), at(17, 9), **text)
    intake(world.enterprise("chaoyang"), at(17, 10), **alike)
    intake(world.enterprise("chaoyang"), at(17, 11), **other)
    intake(world.enterprise("nanguan"), at(17, 11), category="用工难", **alike)  # another category
    node = Region.objects.get(code="220100")
    assert scorecards.common_problems(world.user("changchun"), node) == []  # two enterprises only
    intake(kuancheng(), at(18, 9), **also)
    clusters = scorecards.common_problems(world.user("changchun"), node)
    assert [(c.category, c.title, c.enterprises, len(c.problems)) for c in clusters] == [
        ("物流运输不畅", "原材料运不进来", 3, 3)
    ]
    assert clusters[0].problems[0] == first
    move(world.user("changchun"), first, "merge", at(18, 10), master=clusters[0].problems[1].pk)
    assert scorecards.common_problems(world.user("changchun"), node) == []  # merged: no longer open
