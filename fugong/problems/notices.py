"""Who hears of a work order's move: whoever must act next, in the same transaction as the move.

A handler learns of a new dispatch, a supervision or a redo; the dispatchers of the level that
holds the order learn of a return, an extension request or a reply to review; the enterprise
learns that it must supply something, that it can rate the answer, and that its order is closed.
The one who made the move is not told of it.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.urls import reverse
from django.utils import timezone

from fugong.core.access import Role
from fugong.notify.actions import Notice, do_notify
from fugong.notify.models import Topic
from fugong.notify.people import enterprise_people, handlers_of, nearest
from fugong.problems.models import Problem, Status

HANDLER_NEWS = {
    "approve_extension": "延期申请已同意",
    "refuse_extension": "延期申请未同意",
    "provide_info": "企业已补充材料",
    "reject_reply": "答复被退回重办",
    "supervise": "督办",
    "urge": "催办",
}
DISPATCHER_NEWS = {
    "return": "工单被退回",
    "request_extension": "承办单位申请延期",
    "reply": "已答复，待回访审核",
    "escalate": "工单提级",
}
ENTERPRISE_NEWS = {
    "request_info": "请补充材料",
    "review": "诉求已答复，请评价",
    "close": "诉求已办结",
}


def tell_next(
    user: Any, problem: Problem, action: str, before: str, note: str, now: datetime.datetime
) -> None:
    who, what = recipients(problem, action, before)
    who -= {getattr(user, "pk", None)}
    if not who:
        return
    body = f"{problem.enterprise.name}：{problem.title}" + (f"。说明：{note}" if note else "")
    notice = Notice(
        Topic.PROBLEM,
        f"{what}：工单{problem.pk}"[:100],
        body[:2000],
        reverse("problem_detail", args=[problem.pk]),
        f"problem:{problem.pk}:{action}:{now.isoformat()}",
    )
    do_notify(user, [(uid, notice) for uid in sorted(who)], now=now)


def recipients(problem: Problem, action: str, before: str) -> tuple[set[int], str]:
    if problem.status == Status.DISPATCHED and before != Status.DISPATCHED:  # dispatched, or sent to redo
        due = f"{timezone.localtime(problem.sign_due_at):%m月%d日%H:%M}" if problem.sign_due_at else ""
        return handlers_of(problem.lead_department_id), f"新工单待签收（{due}前）" if due else "新工单待签收"
    if action in HANDLER_NEWS:
        handlers = handlers_of(problem.lead_department_id)
        if handlers or action not in ("supervise", "urge"):
            return handlers, HANDLER_NEWS[action]
        return nearest(Role.DISPATCHER, problem.level_region.path), HANDLER_NEWS[action]
    if action == "rate" and problem.status == Status.HANDLING:
        return handlers_of(problem.lead_department_id), "企业不满意，请重办"
    if action == "rate" and problem.status == Status.PENDING:
        return nearest(Role.DISPATCHER, problem.level_region.path), "企业多次不满意，工单已提级"
    if action in DISPATCHER_NEWS:
        return nearest(Role.DISPATCHER, problem.level_region.path), DISPATCHER_NEWS[action]
    if action in ENTERPRISE_NEWS:
        return enterprise_people(problem.enterprise_id), ENTERPRISE_NEWS[action]
    return set(), ""
