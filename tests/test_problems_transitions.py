"""Every move of a work order, from every status, by every kind of person — and the exceptions
(return, insist, redo, escalate, merge, assist) as their users meet them.

Problems are brought into each status through the public actions, the way people would. Who
sees what and who holds which role are written out here by hand (SEES, HOLDS, ADMIN_ALLOWED),
so that the tests check the code against the rules rather than against itself.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

import pytest

from fugong.accounts.models import Department, Membership, User
from fugong.core.access import Role
from fugong.core.errors import Conflict, NotFound, ValidationFailed
from fugong.problems import clocks, flow
from fugong.problems.actions import check_create_problem, do_transition
from fugong.problems.models import Assist, Event, Problem, Status
from tests.conftest import World
from tests.support.problems import at
from tests.support.reports import SHANGHAI

T0 = datetime.datetime(2020, 2, 17, 9, 0, tzinfo=SHANGHAI)  # a Monday
STEP = datetime.timedelta(minutes=10)
NOW = T0 + datetime.timedelta(hours=1)  # every built problem is still within its sign limit


@dataclass
class Cast:
    """The departments beyond conftest's 长春市商务局, each with a handler of its own."""

    lead: Department  # 长春市商务局, handler "handler"
    helper: Department  # 长春市交通运输局, handler "helper": assists on every dispatch below
    stranger: Department  # 吉林市商务局, handler "stranger": never involved
    task_force: Department  # 长春市复工复产工作专班, handler "taskforce"


def add_user(name: str, role: str, **anchor: Any) -> User:
    # No password: these people never sign in here, and hashing one costs a quarter second
    user = User.objects.create(username=name, display_name=name)
    Membership.objects.create(user=user, role=role, **anchor)
    return user


@pytest.fixture
def cast(world: World) -> Cast:
    helper = Department.objects.create(name="长春市交通运输局", region_id="220100")
    stranger = Department.objects.create(name="吉林市商务局", region_id="220200")
    task_force = Department.objects.create(name="长春市复工复产工作专班", region_id="220100")
    add_user("helper", Role.HANDLER, department=helper)
    add_user("stranger", Role.HANDLER, department=stranger)
    add_user("taskforce", Role.HANDLER, department=task_force)
    add_user("nanguan_dispatcher", Role.DISPATCHER, region_id="220102")  # 南关区, below 长春市
    return Cast(Department.objects.get(name="长春市商务局"), helper, stranger, task_force)


def intake(
    world: World, when: datetime.datetime = T0, *, persona: str = "reporter", enterprise: str = "nanguan"
) -> Problem:
    raw = {
        "category": "物流运输不畅",
        "title": "原材料运不进来",
        "description": "高速卡口不放行货车",
        "confirm": ["duplicate"],
    }
    return check_create_problem(world.user(persona), world.enterprise(enterprise), raw, now=when)


def master_problem(world: World) -> Problem:
    """An open problem of another enterprise (朝阳食品, raised by its liaison) to merge into."""
    return intake(world, persona="liaison", enterprise="chaoyang")


def move(
    world: World, persona: str, problem: Problem, action: str, when: datetime.datetime = NOW, **params: Any
) -> Problem:
    return do_transition(world.user(persona), problem.pk, action, params, now=when)


def build(world: World, cast: Cast, status: str) -> Problem:
    """A problem of 南关汽车零部件 brought into `status` by the people who would do it."""
    p = intake(world)
    if status == Status.PENDING:
        return p
    p = move(world, "changchun", p, "dispatch", T0 + STEP, department=cast.lead.pk, assists=[cast.helper.pk])
    if status == Status.DISPATCHED:
        return p
    p = move(world, "handler", p, "sign", T0 + 2 * STEP)
    if status == Status.HANDLING:
        return p
    if status == Status.MERGED:
        return move(world, "changchun", p, "merge", T0 + 3 * STEP, master=master_problem(world).pk)
    p = move(world, "handler", p, "reply", T0 + 3 * STEP, note="已协调交警放行")
    if status == Status.REPLIED:
        return p
    p = move(world, "changchun", p, "review", T0 + 4 * STEP)
    if status == Status.RATING:
        return p
    assert status == Status.CLOSED
    return move(world, "reporter", p, "rate", T0 + 5 * STEP, rating="satisfied")


# What must be true before a move can be made, beyond the status.
PREPARE: dict[str, tuple[str, str, dict[str, Any]]] = {
    "provide_info": ("handler", "request_info", {"note": "请补充通行证申请表"}),
    "approve_extension": ("handler", "request_extension", {"note": "需协调省交通厅", "days": "2"}),
    "refuse_extension": ("handler", "request_extension", {"note": "需协调省交通厅", "days": "2"}),
}


def prepared(world: World, cast: Cast, status: str, action: str) -> Problem:
    p = build(world, cast, status)
    if action in PREPARE and status == Status.HANDLING:
        persona, first, params = PREPARE[action]
        p = move(world, persona, p, first, NOW - STEP, **params)
    return p


def params_for(world: World, cast: Cast, action: str) -> dict[str, Any]:
    if action == "dispatch":
        return {"department": cast.lead.pk}
    if action == "merge":
        return {"master": master_problem(world).pk}
    if action == "rate":
        return {"rating": "satisfied"}
    if action == "request_extension":
        return {"note": "需协调省交通厅", "days": "2"}
    return {"note": f"{flow.MOVES[action].label}：说明"}


# Who may make each move (one persona per role the table names).
ACTORS: dict[str, tuple[str, ...]] = {
    "dispatch": ("changchun",),
    "sign": ("handler",),
    "return": ("handler",),
    "contact": ("handler",),
    "request_info": ("handler",),
    "provide_info": ("reporter",),
    "request_extension": ("handler",),
    "approve_extension": ("changchun",),
    "refuse_extension": ("changchun",),
    "assist_answer": ("helper",),
    "reply": ("handler",),
    "review": ("changchun",),
    "reject_reply": ("changchun",),
    "rate": ("reporter",),
    "close": ("changchun",),
    "escalate": ("changchun",),
    "supervise": ("changchun", "leader"),
    "urge": ("changchun", "leader"),
    "merge": ("changchun",),
}

# The roles each persona holds towards a 南关 problem dispatched to 商务局 with 交通运输局 assisting.
HOLDS: dict[str, set[str]] = {
    "changchun": {"dispatcher"},  # a dispatcher of a higher level supervises as a dispatcher
    "province": {"dispatcher"},
    "nanguan_dispatcher": {"dispatcher"},
    "leader": {"supervisor"},
    "handler": {"handler"},
    "helper": {"assist"},
    "reporter": {"enterprise"},
    "admin": {"dispatcher", "supervisor", "handler", "enterprise"},
    "liaison": set(),  # 朝阳食品's liaison
    "jilin": set(),
    "stranger": set(),
    "taskforce": set(),
    "outsider": set(),
}


def sees(persona: str, status: str) -> bool:
    """Whether the persona can even find a built problem (else: 404, not 409)."""
    if persona in ("changchun", "province", "nanguan_dispatcher", "leader", "reporter", "admin"):
        return True
    if persona in ("handler", "helper"):
        return status != Status.PENDING  # once dispatched to (or assisted by) their department
    return False


# What the administrator (who holds every role but 协办) may do in each built status.
ADMIN_ALLOWED: dict[str, list[str]] = {
    Status.PENDING: ["dispatch", "escalate", "supervise", "urge", "merge"],
    Status.DISPATCHED: ["sign", "return", "escalate", "supervise", "urge", "merge"],
    Status.HANDLING: [
        "contact",
        "request_info",
        "request_extension",
        "reply",
        "escalate",
        "supervise",
        "urge",
        "merge",
    ],
    Status.REPLIED: ["review", "reject_reply", "escalate", "supervise", "urge"],
    # "close" (企业逾期未评价) waits for the rating window (tests/test_problem_rating_window.py)
    Status.RATING: ["rate", "escalate", "supervise", "urge"],
    Status.CLOSED: [],
    Status.MERGED: [],
}

AFTER: dict[str, str] = {
    "dispatch": Status.DISPATCHED,
    "sign": Status.HANDLING,
    "return": Status.PENDING,
    "reply": Status.REPLIED,
    "review": Status.RATING,
    "reject_reply": Status.HANDLING,
    "rate": Status.CLOSED,
    "close": Status.CLOSED,
    "escalate": Status.PENDING,
    "merge": Status.MERGED,
}  # every other move keeps the status


def snapshot(p: Problem) -> tuple[Any, ...]:
    p = Problem.objects.get(pk=p.pk)
    return (p.status, p.level_region_id, p.lead_department_id, p.due_at, p.paused_at, p.events.count())


def test_the_tables_cover_every_move_and_status() -> None:
    assert set(ACTORS) == set(flow.MOVES) and set(ADMIN_ALLOWED) == set(Status.values)
    for name, personas in ACTORS.items():
        for persona in personas:
            assert HOLDS[persona] & set(flow.MOVES[name].actors), (name, persona)


# Moves that wait for a moment: the close for want of a rating, after the three working days
# from the review (Monday 09:40) have passed.
WHEN: dict[str, datetime.datetime] = {"close": at(2020, 2, 20, 9, 40)}

ALLOWED_CASES = [
    (name, source, persona)
    for name, m in flow.MOVES.items()
    for source in m.sources
    for persona in ACTORS[name]
]


@pytest.mark.parametrize(("name", "source", "persona"), ALLOWED_CASES)
def test_each_move_is_allowed_from_its_sources_for_its_actor(
    world: World, cast: Cast, name: str, source: str, persona: str
) -> None:
    p = prepared(world, cast, source, name)
    user = world.user(persona)
    when = WHEN.get(name, NOW)
    assert name in flow.allowed(user, p, when)
    params = params_for(world, cast, name)
    events = p.events.count()
    done = do_transition(user, p.pk, name, params, now=when)
    saved = Problem.objects.get(pk=p.pk)
    expected = AFTER.get(name, source)
    assert done.status == saved.status == expected
    assert p.events.count() == events + 1
    event = p.events.order_by("pk").last()
    assert event is not None
    assert (event.action, event.from_status, event.to_status) == (name, source, expected)
    assert event.actor == user and event.at == when and event.note == params.get("note", "")
    if name == "escalate":
        assert saved.level_region_id == "220100" and saved.lead_department_id is None
    if name == "merge":
        assert saved.master_id == params["master"]


OTHER_STATUS_CASES = [
    (name, status) for name, m in flow.MOVES.items() for status in Status.values if status not in m.sources
]


@pytest.mark.parametrize(("name", "status"), OTHER_STATUS_CASES)
def test_each_move_is_refused_from_every_other_status(
    world: World, cast: Cast, name: str, status: str
) -> None:
    p = build(world, cast, status)
    before = snapshot(p)
    for persona in (*ACTORS[name], "admin"):
        user = world.user(persona)
        if not sees(persona, status):
            with pytest.raises(NotFound):
                do_transition(user, p.pk, name, params_for(world, cast, name), now=NOW)
            continue
        with pytest.raises(Conflict) as error:
            do_transition(user, p.pk, name, params_for(world, cast, name), now=NOW)
        allowed = flow.allowed(user, Problem.objects.get(pk=p.pk), NOW)
        assert error.value.details == {"allowed": allowed, "status": status}
        assert name not in allowed
        assert error.value.message.startswith("当前状态“")
        if persona == "admin":
            assert allowed == ADMIN_ALLOWED[status]
    assert snapshot(p) == before


@pytest.mark.parametrize("name", list(flow.MOVES))
def test_each_move_is_refused_to_everyone_else(world: World, cast: Cast, name: str) -> None:
    source = flow.MOVES[name].sources[0]
    p = prepared(world, cast, source, name)
    before = snapshot(p)
    wrong = [persona for persona, roles in HOLDS.items() if not roles & set(flow.MOVES[name].actors)]
    assert wrong
    for persona in wrong:
        user = world.user(persona)
        if not sees(persona, source):
            with pytest.raises(NotFound):
                do_transition(user, p.pk, name, params_for(world, cast, name), now=NOW)
            continue
        with pytest.raises(Conflict, match="只能由") as error:
            do_transition(user, p.pk, name, params_for(world, cast, name), now=NOW)
        assert name not in error.value.details["allowed"], persona
    assert snapshot(p) == before


@pytest.mark.parametrize("name", [n for n, m in flow.MOVES.items() if m.note_required])
def test_a_move_that_needs_a_reason_is_refused_without_one(world: World, cast: Cast, name: str) -> None:
    p = prepared(world, cast, flow.MOVES[name].sources[0], name)
    before = snapshot(p)
    params = {**params_for(world, cast, name), "note": "  "}
    with pytest.raises(ValidationFailed, match="需要填写说明"):
        move(world, ACTORS[name][0], p, name, **params)
    assert snapshot(p) == before


def test_an_unknown_move_is_a_conflict_listing_the_allowed_ones(world: World, cast: Cast) -> None:
    p = intake(world)
    with pytest.raises(Conflict, match="没有“fly”这项操作") as error:
        move(world, "changchun", p, "fly")
    assert error.value.details["allowed"] == ["dispatch", "escalate", "supervise", "urge", "merge"]


def test_a_refusal_says_whether_the_status_the_person_or_a_rule_is_in_the_way(
    world: World, cast: Cast
) -> None:
    p = build(world, cast, Status.HANDLING)
    with pytest.raises(Conflict, match="当前状态“办理中”下不能“签收”"):
        move(world, "handler", p, "sign")
    with pytest.raises(Conflict, match="“答复”只能由主办单位操作"):
        move(world, "changchun", p, "reply", note="已办")
    with pytest.raises(Conflict, match="没有待审批的延期申请"):
        move(world, "changchun", p, "approve_extension")


# --- 退单 and 坚持派单 ------------------------------------------------------------------------------


def test_a_return_is_refused_once_the_sign_time_limit_has_passed(world: World, cast: Cast) -> None:
    late = move(world, "changchun", intake(world), "dispatch", T0, department=cast.lead.pk)
    assert late.sign_due_at == at(2020, 2, 18, 9)
    with pytest.raises(Conflict, match="已超过签收时限") as error:
        move(world, "handler", late, "return", at(2020, 2, 18, 9, 1), note="不属于本单位职责")
    assert error.value.details["allowed"] == ["sign"]
    late.refresh_from_db()
    assert late.status == Status.DISPATCHED and late.returns == 0

    in_time = move(world, "changchun", intake(world), "dispatch", T0, department=cast.lead.pk)
    in_time = move(world, "handler", in_time, "return", at(2020, 2, 18, 9), note="不属于本单位职责")
    assert in_time.status == Status.PENDING and in_time.returns == 1
    assert in_time.lead_department is None and in_time.sign_due_at is None
    event = in_time.events.last()
    assert event is not None and event.data == {"department": cast.lead.pk}
    with pytest.raises(NotFound):  # no longer theirs
        move(world, "handler", in_time, "sign")


def test_the_dispatcher_may_insist_after_a_return_and_then_the_unit_must_sign(
    world: World, cast: Cast
) -> None:
    p = move(world, "changchun", intake(world), "dispatch", T0, department=cast.lead.pk, insist=True)
    assert not p.insisted  # nothing to insist on before a return
    p = move(world, "handler", p, "return", T0 + STEP, note="不属于本单位职责")
    p = move(world, "changchun", p, "dispatch", T0 + 2 * STEP, department=cast.lead.pk)
    p = move(world, "handler", p, "return", T0 + 3 * STEP, note="仍不属于本单位职责")
    assert p.returns == 2  # without insisting, a unit may return it again
    p = move(world, "changchun", p, "dispatch", T0 + 4 * STEP, department=cast.lead.pk, insist=True)
    assert p.insisted and p.sign_due_at == at(2020, 2, 18, 9, 40)
    assert flow.allowed(world.user("handler"), p, NOW) == ["sign"]
    with pytest.raises(Conflict, match="坚持派单"):
        move(world, "handler", p, "return", note="还是不归我们")
    p = move(world, "handler", p, "sign")
    assert p.status == Status.HANDLING


# --- 重办 and 提级 ---------------------------------------------------------------------------------


def answer_and_rate(
    world: World, p: Problem, when: datetime.datetime, rating: str, *, reviewer: str = "changchun"
) -> Problem:
    p = move(world, "handler", p, "reply", when, note="已处理")
    p = move(world, reviewer, p, "review", when + STEP)
    return move(world, "reporter", p, "rate", when + 2 * STEP, rating=rating, note="问题没有解决")


def test_dissatisfaction_sends_it_back_until_the_cap_then_up_to_the_parent_region(
    world: World, cast: Cast
) -> None:
    lower = world.user("nanguan_dispatcher")
    p = intake(world)
    assert p.level_region_id == "220102" and "dispatch" in flow.allowed(lower, p, NOW)
    p = move(world, "changchun", p, "dispatch", T0, department=cast.lead.pk)
    p = move(world, "handler", p, "sign", T0 + STEP)
    day = at(2020, 2, 18, 10)
    for redo in range(1, flow.MAX_REDOS + 1):
        p = answer_and_rate(world, p, day, "unsatisfied")
        assert p.status == Status.HANDLING and p.redos == redo and p.replied_at is None
        assert p.lead_department_id == cast.lead.pk  # back to the same unit
        day += datetime.timedelta(days=1)
    assert p.due_at == at(2020, 2, 26, 10, 20)  # five working days from the last rating

    p = answer_and_rate(world, p, day, "unsatisfied")  # one more than the cap: 提级
    assert p.status == Status.PENDING and p.level_region_id == "220100"
    assert p.redos == 0 and p.escalations == 1
    assert p.lead_department is None and p.rating == "unsatisfied"
    event = p.events.last()
    assert event is not None and event.data == {
        "rating": "unsatisfied",
        "redo": flow.MAX_REDOS + 1,
        "escalated_to": "220100",
    }
    with pytest.raises(NotFound):
        move(world, "handler", p, "sign")
    with pytest.raises(Conflict) as error:
        move(world, "nanguan_dispatcher", p, "dispatch", department=cast.lead.pk)
    assert error.value.details["allowed"] == []  # still reads it, but 督办/催办 run down, not up
    p = move(world, "changchun", p, "dispatch", department=cast.task_force.pk)
    assert p.status == Status.DISPATCHED and p.lead_department_id == cast.task_force.pk


def test_an_escalation_goes_up_one_level_at_a_time_and_stops_at_the_top(world: World, cast: Cast) -> None:
    p = move(world, "changchun", intake(world), "dispatch", T0, department=cast.lead.pk)
    p = move(world, "changchun", p, "escalate", NOW, note="区级无法协调")
    assert (p.status, p.level_region_id, p.escalations) == (Status.PENDING, "220100", 1)
    assert p.due_at == at(2020, 2, 24, 10)  # a fresh close limit from the escalation
    assert "dispatch" in flow.allowed(world.user("changchun"), p, NOW)
    assert "dispatch" not in flow.allowed(world.user("nanguan_dispatcher"), p, NOW)

    p = move(world, "changchun", p, "escalate", NOW, note="市级无法协调")
    assert (p.level_region_id, p.escalations) == ("220000", 2)
    with pytest.raises(Conflict) as error:
        move(world, "changchun", p, "dispatch", department=cast.lead.pk)
    assert error.value.details["allowed"] == []  # the city follows it, but does not supervise upward
    assert "dispatch" in flow.allowed(world.user("province"), p, NOW)

    before = snapshot(p)
    with pytest.raises(ValidationFailed, match="已是最高层级"):
        move(world, "province", p, "escalate", note="再提级")
    assert snapshot(p) == before
    p = move(world, "province", p, "dispatch", department=cast.lead.pk)
    assert p.status == Status.DISPATCHED


def test_dissatisfaction_beyond_the_cap_at_the_top_goes_back_to_its_dispatchers(
    world: World, cast: Cast
) -> None:
    p = move(world, "changchun", intake(world), "escalate", T0, note="区级无法协调")
    p = move(world, "changchun", p, "escalate", T0, note="市级无法协调")
    p = move(world, "province", p, "dispatch", T0, department=cast.lead.pk)
    p = move(world, "handler", p, "sign", T0 + STEP)
    day = at(2020, 2, 18, 10)
    for _ in range(flow.MAX_REDOS + 1):
        p = answer_and_rate(world, p, day, "unsatisfied", reviewer="province")  # held at 吉林省 now
        day += datetime.timedelta(days=1)
    # The enterprise's rating is kept; the province decides what next (a 工作专班, say)
    assert p.rating == "unsatisfied" and p.redos == 0
    assert (p.status, p.level_region_id, p.escalations) == (Status.PENDING, "220000", 2)
    assert p.lead_department is None
    assert "dispatch" in flow.allowed(world.user("province"), p, day)


def test_escalating_to_a_task_force_dispatches_it_there(world: World, cast: Cast) -> None:
    p = build(world, cast, Status.HANDLING)
    p = move(world, "changchun", p, "escalate", NOW, note="需多部门协调", department=cast.task_force.pk)
    assert (p.status, p.lead_department_id, p.level_region_id) == (
        Status.DISPATCHED,
        cast.task_force.pk,
        "220102",
    )
    assert p.escalations == 1 and p.sign_due_at == at(2020, 2, 18, 10)
    with pytest.raises(NotFound):
        move(world, "handler", p, "reply", note="已处理")
    p = move(world, "taskforce", p, "sign")
    assert p.status == Status.HANDLING

    elsewhere = Department.objects.create(name="吉林市复工复产工作专班", region_id="220200")
    q = build(world, cast, Status.PENDING)
    with pytest.raises(ValidationFailed, match="工作专班不存在或不在您的管辖范围内"):
        move(world, "changchun", q, "escalate", note="需多部门协调", department=elsewhere.pk)


def test_escalating_to_a_task_force_ends_a_pending_extension_and_credits_its_wait(
    world: World, cast: Cast
) -> None:
    p = build(world, cast, Status.HANDLING)
    assert p.due_at == at(2020, 2, 24, 9)
    p = move(world, "handler", p, "request_extension", NOW, note="需协调", days="3")
    p = move(
        world,
        "changchun",
        p,
        "escalate",
        NOW + 2 * datetime.timedelta(hours=1),
        note="转专班",
        department=cast.task_force.pk,
    )
    assert p.paused_at is None and p.pause_reason == ""
    assert p.due_at == at(2020, 2, 24, 12)  # the task force's own five working days from Monday 12:00
    assert clocks.light(p, NOW + datetime.timedelta(hours=3)) == "green"


# --- 并单 -----------------------------------------------------------------------------------------


def test_a_merged_problem_gets_the_masters_reply_and_its_enterprise_rates_it_alone(
    world: World, cast: Cast
) -> None:
    master = master_problem(world)
    child = move(world, "changchun", intake(world), "merge", T0 + STEP, master=master.pk)
    assert child.status == Status.MERGED and child.master_id == master.pk
    assert clocks.light(child, NOW) == ""
    with pytest.raises(NotFound):  # each enterprise sees only its own
        move(world, "reporter", master, "urge")

    master = move(world, "changchun", master, "dispatch", T0 + 2 * STEP, department=cast.lead.pk)
    master = move(world, "handler", master, "sign", T0 + 3 * STEP)
    master = move(world, "handler", master, "reply", NOW, note="已协调交警放行")
    child.refresh_from_db()
    assert (child.status, child.reply, child.replied_at) == (Status.REPLIED, "已协调交警放行", NOW)
    event = child.events.last()
    assert event is not None and (event.action, event.from_status, event.to_status) == (
        "reply",
        Status.MERGED,
        Status.REPLIED,
    )
    assert event.data == {"from_master": master.pk} and event.actor == world.user("handler")

    later = NOW + datetime.timedelta(hours=1)
    for p in (master, child):
        move(world, "changchun", p, "review", later)
    master = move(world, "liaison", master, "rate", later + STEP, rating="satisfied")
    child = move(world, "reporter", child, "rate", later + STEP, rating="basic", note="基本解决")
    assert (master.status, master.rating) == (Status.CLOSED, "satisfied")
    assert (child.status, child.rating, child.rating_note) == (Status.CLOSED, "basic", "基本解决")


def test_a_merge_needs_an_unreplied_master_within_reach(world: World, cast: Cast) -> None:
    p = intake(world)
    before = snapshot(p)
    with pytest.raises(ValidationFailed, match="主单编号"):
        move(world, "changchun", p, "merge", master=p.pk)
    with pytest.raises(ValidationFailed, match="主单编号"):
        move(world, "changchun", p, "merge", master="第三号")
    foreign = intake(world, persona="jilin", enterprise="changyi")  # 吉林市's, beyond 长春市
    with pytest.raises(ValidationFailed, match="主单编号"):
        move(world, "changchun", p, "merge", master=foreign.pk)
    replied = build(world, cast, Status.REPLIED)  # its answer is given: a merged one would wait for ever
    with pytest.raises(ValidationFailed, match="尚未答复"):
        move(world, "changchun", p, "merge", master=replied.pk)
    assert snapshot(p) == before


def test_a_master_with_merged_problems_cannot_itself_be_merged(world: World, cast: Cast) -> None:
    master = master_problem(world)
    child = move(world, "changchun", intake(world), "merge", master=master.pk)
    other = intake(world)
    with pytest.raises(ValidationFailed, match="已有诉求并入本单"):
        move(world, "changchun", master, "merge", master=other.pk)
    master.refresh_from_db()
    child.refresh_from_db()
    assert master.status == Status.PENDING and master.master_id is None
    assert child.status == Status.MERGED and child.master_id == master.pk


# --- 协办 -----------------------------------------------------------------------------------------


def test_an_assisting_department_answers_for_its_part(world: World, cast: Cast) -> None:
    p = intake(world)
    p = move(
        world, "changchun", p, "dispatch", T0, department=cast.lead.pk, assists=[cast.helper.pk, cast.lead.pk]
    )
    assists = list(Assist.objects.filter(problem=p))
    assert [a.department_id for a in assists] == [cast.helper.pk]  # the lead unit does not assist itself
    assert assists[0].due_at == p.due_at == at(2020, 2, 24, 9)
    helper = world.user("helper")
    assert Problem.objects.visible_to(helper).filter(pk=p.pk).exists()
    assert flow.allowed(helper, p, NOW) == ["assist_answer"]
    with pytest.raises(Conflict, match="只能由协办单位操作"):
        move(world, "handler", p, "assist_answer", note="主办不是协办")
    with pytest.raises(NotFound):
        move(world, "stranger", p, "assist_answer", note="与我无关")

    p = move(world, "helper", p, "assist_answer", NOW, note="已安排绿色通道")
    assert p.status == Status.DISPATCHED  # an assist does not move the work order
    assist = Assist.objects.get(problem=p)
    assert (assist.answer, assist.answered_at) == ("已安排绿色通道", NOW)
    event = p.events.last()
    assert event is not None and event.data == {"departments": [cast.helper.pk]}

    p = move(world, "handler", p, "sign")
    p = move(world, "handler", p, "reply", note="已协调放行")
    with pytest.raises(Conflict, match="当前状态“已答复”"):
        move(world, "helper", p, "assist_answer", note="补充")


# --- records and who sees what -------------------------------------------------------------------


def test_events_cannot_be_changed(world: World, cast: Cast) -> None:
    p = build(world, cast, Status.DISPATCHED)
    event = Event.objects.filter(problem=p, action="dispatch").get()
    event.note = "改写记录"
    with pytest.raises(ValueError, match="不可修改"):
        event.save()
    assert Event.objects.get(pk=event.pk).note == ""


def test_each_person_sees_only_their_problems(world: World, cast: Cast) -> None:
    to_commerce = move(world, "changchun", intake(world), "dispatch", department=cast.lead.pk)
    to_transport = move(world, "changchun", intake(world), "dispatch", department=cast.helper.pk)
    chaoyang_pending = master_problem(world)
    chaoyang_returned = move(world, "changchun", master_problem(world), "dispatch", department=cast.lead.pk)
    chaoyang_returned = move(world, "handler", chaoyang_returned, "return", note="不属于本单位职责")
    everything = {to_commerce.pk, to_transport.pk, chaoyang_pending.pk, chaoyang_returned.pk}
    expected = {
        "handler": {to_commerce.pk},  # not 商务局's region, not what it returned
        "helper": {to_transport.pk},
        "reporter": {to_commerce.pk, to_transport.pk},
        "liaison": {chaoyang_pending.pk, chaoyang_returned.pk},
        "changchun": everything,
        "province": everything,
        "leader": everything,
        "nanguan_dispatcher": {to_commerce.pk, to_transport.pk},
        "jilin": set(),
        "stranger": set(),
        "outsider": set(),
    }
    for persona, pks in expected.items():
        visible = Problem.objects.visible_to(world.user(persona)).values_list("pk", flat=True)
        assert sorted(visible) == sorted(pks), persona  # each once, whatever the assists


def test_a_problem_assisted_twice_is_listed_once(world: World, cast: Cast) -> None:
    user = add_user("both", Role.HANDLER, department=cast.helper)
    Membership.objects.create(user=user, role=Role.HANDLER, department=cast.task_force)
    p = intake(world)
    move(
        world,
        "changchun",
        p,
        "dispatch",
        department=cast.lead.pk,
        assists=[cast.helper.pk, cast.task_force.pk],
    )
    assert list(Problem.objects.visible_to(user).values_list("pk", flat=True)) == [p.pk]
    assert move(world, "both", p, "assist_answer", note="两个部门一起答复").status == Status.DISPATCHED
    assert Assist.objects.filter(problem=p, answer="两个部门一起答复").count() == 2


def test_a_leader_reads_and_supervises_but_does_not_dispatch(world: World, cast: Cast) -> None:
    p = intake(world)
    assert Problem.objects.visible_to(world.user("leader")).filter(pk=p.pk).exists()
    with pytest.raises(Conflict, match="只能由受理层级的调度员操作") as error:
        move(world, "leader", p, "dispatch", department=cast.lead.pk)
    assert error.value.details["allowed"] == ["supervise", "urge"]
    p = move(world, "leader", p, "supervise", note="请三日内解决")
    p = move(world, "leader", p, "urge")
    assert p.status == Status.PENDING
    assert list(p.events.values_list("action", "actor__username")) == [
        ("create", "reporter"),
        ("supervise", "leader"),
        ("urge", "leader"),
    ]


def test_a_level_that_escalated_an_order_follows_it_but_does_not_supervise_the_level_above(
    world: World, cast: Cast
) -> None:
    p = move(world, "changchun", intake(world), "escalate", NOW, note="区级无法协调")
    p = move(world, "changchun", p, "escalate", NOW, note="市级无法协调")
    assert p.level_region_id == "220000"
    page = world.client("changchun").get(f"/problems/{p.pk}/")
    assert page.status_code == 200 and "原材料运不进来" in page.content.decode()
    assert b"move-supervise" not in page.content and b"move-urge" not in page.content
    with pytest.raises(Conflict, match="“督办”只能由受理层级的调度员或领导操作"):
        move(world, "changchun", p, "supervise", note="请省里抓紧")
    assert b"move-supervise" in world.client("leader").get(f"/problems/{p.pk}/").content
    assert "supervise" in flow.allowed(world.user("province"), p, NOW)


def test_a_handler_handles_but_does_not_supervise(world: World, cast: Cast) -> None:
    p = build(world, cast, Status.HANDLING)
    handler = world.user("handler")
    assert flow.roles_of(handler, p) == {"handler"}
    assert flow.allowed(handler, p, NOW) == ["contact", "request_info", "request_extension", "reply"]
    with pytest.raises(Conflict, match="只能由受理层级的调度员或领导操作"):
        move(world, "handler", p, "supervise", note="自己督办自己")
