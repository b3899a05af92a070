"""A work order's life as the people in it see it: intake, dispatch, sign, reply, rate."""

from __future__ import annotations

import datetime
from typing import Any

import pytest

from fugong.accounts.models import Department
from fugong.core.errors import Conflict, NotFound, ValidationFailed
from fugong.problems.actions import check_create_problem, do_transition
from fugong.problems.models import Event, Problem, Status
from tests.conftest import World
from tests.support.problems import department
from tests.support.reports import SHANGHAI

MONDAY = datetime.datetime(2020, 2, 17, 9, 0, tzinfo=SHANGHAI)


def intake(world: World, **overrides: Any) -> Problem:
    raw = {
        "category": "物流运输不畅",
        "title": "原材料运不进来",
        "description": "高速卡口不放行货车",
        **overrides,
    }
    return check_create_problem(world.user("reporter"), world.enterprise("nanguan"), raw, now=MONDAY)


def move(
    world: World, persona: str, problem: Problem, action: str, at: datetime.datetime, **params: Any
) -> Problem:
    return do_transition(world.user(persona), problem.pk, action, params, now=at)


def test_the_happy_path_ends_closed_with_every_move_recorded(world: World) -> None:
    p = intake(world)
    assert p.status == Status.PENDING and p.level_region_id == "220102"
    assert p.due_at == datetime.datetime(2020, 2, 24, 9, 0, tzinfo=SHANGHAI)  # 5 working days
    p = move(world, "changchun", p, "dispatch", MONDAY, department=department().pk)
    assert p.sign_due_at == datetime.datetime(2020, 2, 18, 9, 0, tzinfo=SHANGHAI)
    p = move(world, "handler", p, "sign", MONDAY + datetime.timedelta(hours=2))
    p = move(world, "handler", p, "reply", MONDAY + datetime.timedelta(days=1), note="已协调交警放行")
    p = move(world, "changchun", p, "review", MONDAY + datetime.timedelta(days=1, hours=1))
    p = move(
        world, "reporter", p, "rate", MONDAY + datetime.timedelta(days=2), rating="satisfied", resolved="是"
    )
    assert p.status == Status.CLOSED and p.resolved and not p.sign_late and not p.close_late
    actions = list(Event.objects.filter(problem=p).values_list("action", "from_status", "to_status"))
    assert actions == [
        ("create", "", "pending"),
        ("dispatch", "pending", "dispatched"),
        ("sign", "dispatched", "handling"),
        ("reply", "handling", "replied"),
        ("review", "replied", "rating"),
        ("rate", "rating", "closed"),
    ]


def test_an_illegal_move_is_a_conflict_listing_the_allowed_ones(world: World) -> None:
    p = intake(world)
    with pytest.raises(NotFound):
        move(world, "handler", p, "sign", MONDAY)  # not dispatched to them: they cannot even see it
    with pytest.raises(Conflict) as error:
        move(world, "changchun", p, "reply", MONDAY, note="x")
    assert "dispatch" in error.value.details["allowed"]


def test_a_return_needs_a_reason_and_an_insisting_dispatcher_prevents_a_second(world: World) -> None:
    p = move(world, "changchun", intake(world), "dispatch", MONDAY, department=department().pk)
    with pytest.raises(ValidationFailed):
        move(world, "handler", p, "return", MONDAY)
    p = move(world, "handler", p, "return", MONDAY, note="不属于本单位职责")
    assert p.status == Status.PENDING and p.returns == 1
    p = move(world, "changchun", p, "dispatch", MONDAY, department=department().pk, insist=True)
    with pytest.raises(Conflict, match="坚持派单"):
        move(world, "handler", p, "return", MONDAY, note="还是不归我们")


def test_a_similar_open_problem_warns_at_intake(world: World) -> None:
    intake(world)
    with pytest.raises(ValidationFailed, match="相似的未办结诉求"):
        intake(world, title="原材料运不进来", description="卡口不放行货车")
    assert intake(world, title="原材料运不进来", description="卡口不放行货车", confirm=["duplicate"]).pk
    assert intake(world, title="缺少焊工", description="焊接车间缺20人").pk  # another matter: no warning


def test_supporting_units_get_their_own_due_date(world: World) -> None:
    from fugong.problems.models import Assist

    other = Department.objects.create(name="长春市交通运输局", region_id="220100")
    p = move(
        world,
        "changchun",
        intake(world),
        "dispatch",
        MONDAY,
        department=department().pk,
        assists=[other.pk],
        assist_days="2",
    )
    assist = Assist.objects.get(problem=p)
    assert assist.due_at == datetime.datetime(2020, 2, 19, 9, 0, tzinfo=SHANGHAI)  # two working days
    assert p.due_at == datetime.datetime(2020, 2, 24, 9, 0, tzinfo=SHANGHAI)  # the lead keeps five
