"""SLA warnings: when a work order's running clock turns yellow, red or breaches its limit.

Each (problem, clock, due moment, light) is warned once: a pause or an approved extension moves
the due moment, so the new deadline gets its own warnings. Who is told:
- the handlers of the lead department (none while the order still waits to be dispatched);
- their supervisors: the dispatchers of the level that took the order in (they 督办), and at
  "breached" its leaders as well;
- the lead department's group robots that carry SLA warnings.
"""

from __future__ import annotations

import datetime

from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from fugong.core.access import Role
from fugong.notify.actions import Notice, do_broadcast, do_claim, do_notify
from fugong.notify.models import Claim, Topic
from fugong.notify.people import handlers_of, nearest
from fugong.problems.clocks import LIGHT_LABELS, light, running_deadline
from fugong.problems.models import Problem, Status

WARNED_LIGHTS = ("yellow", "red", "breached")
CLOCK_NAMES = {"sign": "签收", "close": "办结"}


def run_sla_warnings(now: datetime.datetime) -> int:
    """Warns about every running clock that has reached a new light; returns how many warnings."""
    candidates = Problem.objects.filter(
        status__in=[Status.PENDING, Status.DISPATCHED, Status.HANDLING], paused_at__isnull=True
    ).select_related("enterprise", "level_region", "lead_department")
    due: list[tuple[str, Problem, str, str, datetime.datetime]] = []
    for problem in candidates:
        level = light(problem, now)
        which, _, due_at = running_deadline(problem)
        if level in WARNED_LIGHTS and due_at is not None:
            key = f"sla:{problem.pk}:{which}:{due_at:%Y%m%d%H%M}:{level}"
            due.append((key, problem, which, level, due_at))
    taken = set(Claim.objects.filter(key__in=[d[0] for d in due]).values_list("key", flat=True))
    warned = 0
    for key, problem, which, level, due_at in due:
        if key not in taken:
            warned += warn(key, problem, which, level, due_at, now)
    return warned


@transaction.atomic
def warn(
    key: str, problem: Problem, which: str, level: str, due_at: datetime.datetime, now: datetime.datetime
) -> int:
    if not do_claim(key, f"工单{problem.pk} {CLOCK_NAMES[which]}{LIGHT_LABELS[level]}"):
        return 0
    clock = CLOCK_NAMES[which]
    when = f"{timezone.localtime(due_at):%m月%d日%H:%M}"
    state = f"已超过{clock}时限（{when}）" if level == "breached" else f"{clock}时限{when}将到"
    notice = Notice(
        Topic.SLA,
        f"【{LIGHT_LABELS[level]}】工单{problem.pk}：{problem.title}"[:100],
        f"{problem.enterprise.name}的诉求“{problem.title}”{state}，请抓紧办理。",
        reverse("problem_detail", args=[problem.pk]),
        key,
    )
    do_notify(None, [(user_id, notice) for user_id in recipients(problem, level)], now=now)
    if problem.lead_department_id is not None:
        do_broadcast(notice, department_id=problem.lead_department_id, now=now)
    return 1


def recipients(problem: Problem, level: str) -> list[int]:
    chosen = handlers_of(problem.lead_department_id) if problem.status != Status.PENDING else set()
    roles = [Role.DISPATCHER, Role.LEADER] if level == "breached" else [Role.DISPATCHER]
    for role in roles:
        chosen |= nearest(role, problem.level_region.path)
    return sorted(chosen)
