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
from django.db import models
from django.utils import timezone

from fugong.core import access
from fugong.problems import clocks
from fugong.problems.models import OPEN_STATUSES, Problem, Status, Urgency

MAX_REDOS = 2  # a third dissatisfied rating escalates instead of going back to the same unit


class WorkOrderRole(models.TextChoices):
    """What a user is to one work order (not an account role: see core.access.Role). The label
    is how a refusal names who may make a move."""

    DISPATCHER = "dispatcher", "受理层级的调度员"
    SUPERVISOR = "supervisor", "领导"
    HANDLER = "handler", "主办单位"
    ASSIST = "assist", "协办单位"
    ENTERPRISE = "enterprise", "提出诉求的企业"


D, S, H, A, E = (
    WorkOrderRole.DISPATCHER,
    WorkOrderRole.SUPERVISOR,
    WorkOrderRole.HANDLER,
    WorkOrderRole.ASSIST,
    WorkOrderRole.ENTERPRISE,
)


@dataclass(frozen=True)
class Move:
    label: str
    sources: tuple[str, ...]
    actors: tuple[WorkOrderRole, ...]
    note_required: bool = False


MOVES: dict[str, Move] = {
    "dispatch": Move("派单", (Status.PENDING,), (D,)),
    "sign": Move("签收", (Status.DISPATCHED,), (H,)),
    "return": Move("退单", (Status.DISPATCHED,), (H,), note_required=True),
    "contact": Move("首次响应", (Status.HANDLING,), (H,)),
    "request_info": Move("请企业补充材料", (Status.HANDLING,), (H,), note_required=True),
    "provide_info": Move("企业补充材料", (Status.HANDLING,), (E,), note_required=True),
    "request_extension": Move("申请延期", (Status.HANDLING,), (H,), note_required=True),
    "approve_extension": Move("同意延期", (Status.HANDLING,), (D,)),
    "refuse_extension": Move("不同意延期", (Status.HANDLING,), (D,), note_required=True),
    "assist_answer": Move("协办答复", (Status.DISPATCHED, Status.HANDLING), (A,), note_required=True),
    "reply": Move("答复", (Status.HANDLING,), (H,), note_required=True),
    "review": Move("回访审核通过", (Status.REPLIED,), (D,)),
    "reject_reply": Move("答复退回重办", (Status.REPLIED,), (D,), note_required=True),
    "rate": Move("评价", (Status.RATING,), (E,)),
    "close": Move("办结（企业逾期未评价）", (Status.RATING,), (D,)),
    "escalate": Move("提级", OPEN_STATUSES, (D,), note_required=True),
    "supervise": Move("督办", OPEN_STATUSES, (D, S), note_required=True),
    "urge": Move("催办", OPEN_STATUSES, (D, S)),
    "merge": Move("并单", (Status.PENDING, Status.DISPATCHED, Status.HANDLING), (D,)),
}


def roles_of(user: Any, problem: Problem) -> set[WorkOrderRole]:
    """What the user is to this problem.

    Dispatchers act at the level that holds it, or above it (after 提级 the higher level does, and
    the lower one no longer). 督办/催办 run down the hierarchy, never up: a supervisor reads the
    region of the level that holds the order through a region role (a leader there or above);
    a dispatcher there or above supervises as a dispatcher. A lower level that escalated the
    order still reads it, to follow it, but does not supervise the level above; nor does a
    handler, whose department shows them its region's enterprises but no one else's work.
    """
    level_path = problem.level_region.path
    roles = set()
    if access.may_dispatch_at(user, level_path):
        roles.add(D)
    elif access.supervises(user, level_path):
        roles.add(S)
    if access.handles_for(user, problem.lead_department_id):
        roles.add(H)
    if any(access.handles_for(user, a.department_id) for a in problem.assists.all()):
        roles.add(A)
    if access.reports_for(user, problem.enterprise_id):
        roles.add(E)
    if access.sees_everything(user):
        roles |= {D, S, H, E}
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




def refusal(user: Any, problem: Problem, action: str, now: datetime.datetime) -> str:
    """Why a move is refused, in the words its user needs: a wrong status, a wrong person, or a
    rule of the moment — each has a different remedy, so one message must not stand for all."""
    move = MOVES.get(action)
    if move is None:
        return f"没有“{action}”这项操作"
    if problem.status not in move.sources:
        return f"当前状态“{problem.get_status_display()}”下不能“{move.label}”"
    if not roles_of(user, problem) & set(move.actors):
        who = "或".join(a.label for a in move.actors)
        return f"“{move.label}”只能由{who}操作"
    return blocked(problem, action, now) or f"现在不能“{move.label}”"
