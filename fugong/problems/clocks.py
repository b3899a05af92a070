"""Work-order clocks: due moments from a category's limits, pauses, and the warning lights.

A normal problem's limits are working days (the clock stops on rest days, 调休 weekends count,
see core.calendar); an urgent one's are plain hours. A pause (an extension awaiting approval,
or waiting for the enterprise to supply something) moves every running deadline on by the time
it lasted, counted the same way.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.utils import timezone

from fugong.core.calendar import add_working_time, working_time_between
from fugong.problems.models import Category, Problem, Status, Urgency

YELLOW_SHARE = Decimal("0.25")  # yellow when a quarter of the allowed time is left
RED_SHARE = Decimal("0.1")  # red when a tenth is left


def local(moment: datetime.datetime) -> datetime.datetime:
    return timezone.localtime(moment)


def limit(category: Category, urgency: str, which: str) -> datetime.timedelta:
    """`which` is sign, respond or close."""
    if urgency == Urgency.URGENT:
        return datetime.timedelta(hours=int(getattr(category, f"urgent_{which}_hours")))
    days = Decimal(getattr(category, f"{which}_workdays"))
    return datetime.timedelta(seconds=int(days * 86400))


def due(start: datetime.datetime, urgency: str, length: datetime.timedelta) -> datetime.datetime:
    if urgency == Urgency.URGENT:
        return start + length
    return add_working_time(local(start), length)


def elapsed(start: datetime.datetime, end: datetime.datetime, urgency: str) -> datetime.timedelta:
    if urgency == Urgency.URGENT:
        return max(end - start, datetime.timedelta(0))
    return working_time_between(local(start), local(end))


def shift(moment: datetime.datetime | None, urgency: str, by: datetime.timedelta) -> datetime.datetime | None:
    return None if moment is None else due(moment, urgency, by)


def running_deadline(problem: Problem) -> tuple[str, datetime.datetime | None, datetime.datetime | None]:
    """Which clock is running ("sign" or "close"), its start and its due moment."""
    if problem.status == Status.DISPATCHED:
        return "sign", problem.dispatched_at, problem.sign_due_at
    if problem.status == Status.HANDLING or problem.status == Status.PENDING:
        return "close", problem.close_clock_from or problem.received_at, problem.due_at
    return "", None, None


def light(problem: Problem, now: datetime.datetime | None = None) -> str:
    """green | yellow | red | breached | paused | "" (no clock running)."""
    now = now or timezone.now()
    which, start, due_at = running_deadline(problem)
    if not which or start is None or due_at is None:
        return ""
    if problem.paused_at is not None:
        return "paused"
    return light_between(start, due_at, problem.urgency, now)


def light_between(
    start: datetime.datetime, due_at: datetime.datetime, urgency: str, now: datetime.datetime
) -> str:
    """green | yellow | red | breached for a clock that runs from start to due_at."""
    if now >= due_at:
        return "breached"
    total = elapsed(start, due_at, urgency)
    left = elapsed(now, due_at, urgency)
    if not total:
        return "red"
    share = Decimal(left.total_seconds()) / Decimal(total.total_seconds())
    return "red" if share <= RED_SHARE else "yellow" if share <= YELLOW_SHARE else "green"


LIGHT_LABELS = {
    "green": "正常",
    "yellow": "黄灯预警",
    "red": "红灯预警",
    "breached": "已超时",
    "paused": "暂停计时",
}
