"""Orders the enterprise did not rate in time close by themselves (办结，企业逾期未评价).

The 12345 practice: after the answer is reviewed the enterprise has a few working days to rate
it; silence closes the order, recorded as the system's "close" with the reason, and the
enterprise is told. `run_jobs` calls this on every pass; each order is locked and re-checked,
so two runners close it once. The window is `flow.rating_due`, the same rule that keeps a
dispatcher's manual close (办结（企业逾期未评价）) waiting.
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.db import transaction

from fugong.core.jobs import periodic
from fugong.problems.actions import apply_close, record
from fugong.problems.flow import rating_due
from fugong.problems.models import Problem, Status
from fugong.problems.notices import tell_next

NOTE = "企业在{days}个工作日内未评价，系统自动办结"


@periodic("close_unrated")
def close_unrated(now: datetime.datetime) -> int:
    waiting = Problem.objects.filter(status=Status.RATING, rating_since__lt=now).only("pk", "rating_since")
    return sum(do_close_unrated(p.pk, now) for p in waiting if (rating_due(p) or now) <= now)


@transaction.atomic
def do_close_unrated(problem_id: int, now: datetime.datetime) -> int:
    problem = Problem.objects.select_for_update().select_related("enterprise").get(pk=problem_id)
    due = rating_due(problem)
    if problem.status != Status.RATING or due is None or due > now:
        return 0  # rated or closed meanwhile (or by another runner)
    days = getattr(settings, "FUGONG_RATING_WORKDAYS", 3)
    note = NOTE.format(days=days)
    apply_close(None, problem, {}, note, now)
    problem.save()
    record(problem, None, "close", Status.RATING, Status.CLOSED, now, note, {"auto": True})
    tell_next(None, problem, "close", Status.RATING, note, now)
    return 1
