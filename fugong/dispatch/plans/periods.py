"""Reporting periods, deadlines and locks of a plan, in the server's local time zone."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.utils import timezone

from fugong.core.calendar import is_working_day
from fugong.dispatch.models import Cadence, Plan


@dataclass(frozen=True)
class Period:
    start: datetime.date
    end: datetime.date
    deadline: datetime.datetime  # aware; on time means received strictly before it

    @property
    def deadline_day(self) -> datetime.date:
        return timezone.localtime(self.deadline).date()


def period_of(plan: Plan, day: datetime.date) -> Period:
    if plan.cadence == Cadence.WEEKLY:
        start = day - datetime.timedelta(days=day.weekday())
        end = start + datetime.timedelta(days=6)
        due_day = start + datetime.timedelta(days=plan.deadline_weekday)
    else:
        start = end = due_day = day
    deadline = timezone.make_aware(datetime.datetime.combine(due_day, plan.deadline_time))
    return Period(start, end, deadline)


def is_reporting_day(plan: Plan, day: datetime.date) -> bool:
    """Whether the plan expects reports for this day (daily) or this day's week (weekly)."""
    if plan.cadence == Cadence.WEEKLY:
        return plan.runs_on(period_of(plan, day).deadline_day)
    if not plan.runs_on(day):
        return False
    return plan.report_on_rest_days or is_working_day(day)


def lock_date(plan: Plan, day: datetime.date) -> datetime.date | None:
    """The first day on which the period containing `day` is locked, or None if never."""
    if plan.lock_after_days is None:
        return None
    return period_of(plan, day).end + datetime.timedelta(days=plan.lock_after_days + 1)
