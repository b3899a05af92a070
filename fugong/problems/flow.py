"""Which moves a work order allows, from which statuses, and who may make each.

The table is the whole state machine: `actions.do_transition` refuses anything not in it with
409 and the list of what is allowed, so pages, the API and jobs share one rule.

    待受理 ─派单→ 已派单(待签收) ─签收→ 办理中 ─答复→ 已答复 ─回访审核→ 待评价 ─评价→ 已办结
       ↑            │退单(理由)              │延期/补充材料(暂停计时)      │不满意: 重办 → 办理中
       └────────────┘                      ↓                            (超过次数则提级)
    提级: 上一级（或工作专班）重新受理；督办/催办: 记录并提醒；并单: 并入主单，随主单答复
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.utils import timezone

from fugong.core.access import Action, scope_for
from fugong.problems import clocks
from fugong.problems.models import OPEN_STATUSES, Problem, Status, Urgency

MAX_REDOS = 2  # a third dissatisfied rating escalates instead of going back to the same unit


@dataclass(frozen=True)
class Move:
    label: str
    sources: tuple[str, ...]
    actors: tuple[str, ...]  # dispatcher | leader | handler | assist | enterprise
    note_required: bool = False


MOVES: dict[str, Move] = {
    "dispatch": Move("派单", (Status.PENDING,), ("dispatcher",)),
    "sign": Move("签收", (Status.DISPATCHED,), ("handler",)),
    "return": Move("退单", (Status.DISPATCHED,), ("handler",), note_required=True),
    "contact": Move("首次响应", (Status.HANDLING,), ("handler",)),
    "request_info": Move("请企业补充材料", (Status.HANDLING,), ("handler",), note_required=True),
    "provide_info": Move("企业补充材料", (Status.HANDLING,), ("enterprise",), note_required=True),
    "request_extension": Move("申请延期", (Status.HANDLING,), ("handler",), note_required=True),
    "approve_extension": Move("同意延期", (Status.HANDLING,), ("dispatcher",)),
    "refuse_extension": Move("不同意延期", (Status.HANDLING,), ("dispatcher",), note_required=True),
    "assist_answer": Move("协办答复", (Status.DISPATCHED, Status.HANDLING), ("assist",), note_required=True),
    "reply": Move("答复", (Status.HANDLING,), ("handler",), note_required=True),
    "review": Move("回访审核通过", (Status.REPLIED,), ("dispatcher",)),
    "reject_reply": Move("答复退回重办", (Status.REPLIED,), ("dispatcher",), note_required=True),
    "rate": Move("评价", (Status.RATING,), ("enterprise",)),
    "close": Move("办结（企业逾期未评价）", (Status.RATING,), ("dispatcher",)),
    "escalate": Move("提级", OPEN_STATUSES, ("dispatcher",), note_required=True),
    "supervise": Move("督办", OPEN_STATUSES, ("dispatcher", "leader"), note_required=True),
    "urge": Move("催办", OPEN_STATUSES, ("dispatcher", "leader")),
    "merge": Move("并单", (Status.PENDING, Status.DISPATCHED, Status.HANDLING), ("dispatcher",)),
}


def roles_of(user: Any, problem: Problem) -> set[str]:
    """What the user is to this problem. Dispatchers act at the level that holds it (after 提级
    the higher level does); anyone who can read its region may supervise."""
    scope = scope_for(user)
    roles = set()
    if scope.covers_path(Action.CHANGE, problem.level_region.path):
        roles.add("dispatcher")
    # A handler's department also grants its region's paths (to see enterprises there), but
    # that is no licence to supervise: only paths held through another role count here.
    enterprise_path = problem.enterprise.region.path
    if any(
        enterprise_path.startswith(path)
        for path in scope.grant(Action.VIEW).paths
        if path not in scope.department_only_paths
    ):
        roles.add("leader")
    if problem.lead_department_id in scope.department_ids and scope.allows(Action.HANDLE):
        roles.add("handler")
    if scope.department_ids and scope.allows(Action.HANDLE):
        if any(a.department_id in scope.department_ids for a in problem.assists.all()):
            roles.add("assist")
    if problem.enterprise_id in scope.grant(Action.REPORT).enterprise_ids:
        roles.add("enterprise")
    if scope.everything:
        roles |= {"dispatcher", "leader", "handler", "enterprise"}
    return roles


def rating_window() -> datetime.timedelta:
    """How long an enterprise has to rate a reviewed answer: FUGONG_RATING_WORKDAYS working days."""
    days = Decimal(str(getattr(settings, "FUGONG_RATING_WORKDAYS", 3)))
    return datetime.timedelta(seconds=int(days * 86400))


def rating_due(problem: Problem) -> datetime.datetime | None:
    """When the rating window ends; before it, nobody may close the order for want of a rating
    (neither a dispatcher nor the automatic close), or a unit could skip its 满意率."""
    if problem.rating_since is None:
        return None
    # always working days, even for an urgent order: the enterprise's time to answer
    return clocks.due(problem.rating_since, Urgency.NORMAL, rating_window())


def blocked(problem: Problem, action: str, now: datetime.datetime) -> str | None:
    """Why a move the table allows cannot be made now (beyond status and actor), or None."""
    if action == "close":
        due = rating_due(problem)
        if due is not None and now < due:
            until = timezone.localtime(due)
            return f"企业评价期至{until.month}月{until.day}日{until:%H:%M}，期满未评价方可办结"
    paused = problem.paused_at is not None
    if action in ("request_info", "request_extension") and paused:
        return "计时已暂停（等待延期审批或企业补充材料），请先处理完再申请"
    if action == "provide_info" and problem.pause_reason != "enterprise":
        return "承办单位没有请企业补充材料"
    if action in ("approve_extension", "refuse_extension") and problem.pause_reason != "extension":
        return "没有待审批的延期申请"
    if action == "reply" and paused:
        return "计时暂停中，请先处理延期申请或等企业补充材料后再答复"
    if action == "return" and problem.insisted:
        return "调度员已坚持派单，不能再次退单，请签收办理"
    if action == "return" and problem.sign_due_at and now > problem.sign_due_at:
        return "已超过签收时限，不能再退单；请签收办理，确需他人办理的请在答复中说明或申请提级"
    return None


def allowed(user: Any, problem: Problem, now: datetime.datetime) -> list[str]:
    roles = roles_of(user, problem)
    return [
        name
        for name, move in MOVES.items()
        if problem.status in move.sources and roles & set(move.actors) and blocked(problem, name, now) is None
    ]


def close_waits(user: Any, problem: Problem, now: datetime.datetime) -> str | None:
    """Why a dispatcher who will be able to close this order for want of a rating cannot yet (the
    page says so instead of silently leaving the button out), or None."""
    move = MOVES["close"]
    if problem.status not in move.sources or not roles_of(user, problem) & set(move.actors):
        return None
    return blocked(problem, "close", now)


ACTOR_LABELS = {
    "dispatcher": "受理层级的调度员",
    "leader": "领导",
    "handler": "主办单位",
    "assist": "协办单位",
    "enterprise": "提出诉求的企业",
}


def refusal(user: Any, problem: Problem, action: str, now: datetime.datetime) -> str:
    """Why a move is refused, in the words its user needs: a wrong status, a wrong person, or a
    rule of the moment — each has a different remedy, so one message must not stand for all."""
    move = MOVES.get(action)
    if move is None:
        return f"没有“{action}”这项操作"
    if problem.status not in move.sources:
        return f"当前状态“{problem.get_status_display()}”下不能“{move.label}”"
    if not roles_of(user, problem) & set(move.actors):
        who = "或".join(ACTOR_LABELS[a] for a in move.actors)
        return f"“{move.label}”只能由{who}操作"
    return blocked(problem, action, now) or f"现在不能“{move.label}”"
