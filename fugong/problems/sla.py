"""SLA warnings: when a work order's running clock turns yellow, red or breaches its limit.

Each (problem, clock, due moment, light) is warned once: a pause or an approved extension moves
the due moment, so the new deadline gets its own warnings. Who is told:
- the handlers of the lead department (none while the order still waits to be dispatched), or
  for a supporting unit's own limit (协办时限) that unit's handlers;
- their supervisors: the dispatchers of the level that took the order in (they 督办), and at
  "breached" its leaders as well;
- that department's group robots that carry SLA warnings.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from fugong.core.access import Role
from fugong.core.jobs import periodic
from fugong.notify.actions import Notice, do_broadcast, do_claim, do_notify
from fugong.notify.models import Claim, Topic
from fugong.notify.people import handlers_of, nearest
from fugong.problems.clocks import LIGHT_LABELS, light, light_between, running_deadline
from fugong.problems.models import Assist, Problem, Status

WARNED_LIGHTS = ("yellow", "red", "breached")
CLOCK_NAMES = {"sign": "签收", "close": "办结", "assist": "协办"}
RUNNING = (Status.PENDING, Status.DISPATCHED, Status.HANDLING)


@dataclass(frozen=True)
class Clock:
    problem: Problem
    which: str  # sign | close | assist
    level: str
    due_at: datetime.datetime
    department_id: int | None  # whose handlers answer for it: the lead unit, or the supporting one

    @property
    def key(self) -> str:
        unit = f":{self.department_id}" if self.which == "assist" else ""
        return f"sla:{self.problem.pk}:{self.which}{unit}:{self.due_at:%Y%m%d%H%M}:{self.level}"


def run_sla_warnings(now: datetime.datetime) -> int:
    """Warns about every running clock that has reached a new light; returns how many warnings."""
    clocks = [c for c in running_clocks(now) if c.level in WARNED_LIGHTS]
    taken = set(Claim.objects.filter(key__in=[c.key for c in clocks]).values_list("key", flat=True))
    return sum(warn(clock, now) for clock in clocks if clock.key not in taken)


def running_clocks(now: datetime.datetime) -> list[Clock]:
    problems = Problem.objects.filter(status__in=RUNNING, paused_at__isnull=True)
    out = []
    for problem in problems.select_related("enterprise", "level_region"):
        which, _, due_at = running_deadline(problem)
        if which and due_at is not None:
            out.append(Clock(problem, which, light(problem, now), due_at, problem.lead_department_id))
    # supporting units answer within their own limit, counted from the dispatch
    assists = Assist.objects.filter(
        answered_at__isnull=True,
        problem__status__in=[Status.DISPATCHED, Status.HANDLING],
        problem__paused_at__isnull=True,
        problem__dispatched_at__isnull=False,
    ).select_related("problem__enterprise", "problem__level_region")
    for assist in assists:
        p = assist.problem
        assert p.dispatched_at is not None
        level = light_between(p.dispatched_at, assist.due_at, p.urgency, now)
        out.append(Clock(p, "assist", level, assist.due_at, assist.department_id))
    return out


@transaction.atomic
def warn(clock: Clock, now: datetime.datetime) -> int:
    problem, label = clock.problem, LIGHT_LABELS[clock.level]
    name = CLOCK_NAMES[clock.which]
    if not do_claim(clock.key, f"工单{problem.pk} {name}{label}"):
        return 0
    when = f"{timezone.localtime(clock.due_at):%m月%d日%H:%M}"
    state = f"已超过{name}时限（{when}）" if clock.level == "breached" else f"{name}时限{when}将到"
    notice = Notice(
        Topic.SLA,
        f"【{label}】工单{problem.pk}：{problem.title}"[:100],
        f"{problem.enterprise.name}的诉求“{problem.title}”{state}，请抓紧办理。",
        reverse("problem_detail", args=[problem.pk]),
        clock.key,
    )
    do_notify(None, [(user_id, notice) for user_id in recipients(clock)], now=now)
    if clock.department_id is not None:
        do_broadcast(notice, department_id=clock.department_id, now=now)
    return 1


def recipients(clock: Clock) -> list[int]:
    chosen = handlers_of(clock.department_id) if clock.problem.status != Status.PENDING else set()
    roles = [Role.DISPATCHER, Role.LEADER] if clock.level == "breached" else [Role.DISPATCHER]
    for role in roles:
        chosen |= nearest(role, clock.problem.level_region.path)
    return sorted(chosen)


periodic("sla_warnings")(run_sla_warnings)  # the name is the one `run_jobs` has always logged
