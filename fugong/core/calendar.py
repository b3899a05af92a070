"""The government working-day calendar: statutory holidays, 调休 and admin overrides.

chinese-calendar (the package) knows the State Council's schedules for 2004–2026. For a date
it does not know, weekends are rest days and weekdays working days unless CalendarOverride
says otherwise; an override always wins, so a later year is made right by entering its
schedule in the admin.
"""

from __future__ import annotations

import datetime

import chinese_calendar

from fugong.core.models import CalendarOverride


def is_working_day(day: datetime.date) -> bool:
    override = CalendarOverride.objects.filter(date=day).values_list("is_working_day", flat=True).first()
    if override is not None:
        return bool(override)
    return package_says_working(day)


def package_says_working(day: datetime.date) -> bool:
    try:
        return bool(chinese_calendar.is_workday(day))
    except NotImplementedError:  # a year the package does not know yet
        return day.weekday() < 5


def working_days(start: datetime.date, end: datetime.date) -> set[datetime.date]:
    """Working days in [start, end], with one query for the overrides of the whole range."""
    overrides = dict(
        CalendarOverride.objects.filter(date__range=(start, end)).values_list("date", "is_working_day")
    )
    days = set()
    day = start
    while day <= end:
        working = overrides[day] if day in overrides else package_says_working(day)
        if working:
            days.add(day)
        day += datetime.timedelta(days=1)
    return days


# Work-order clocks count working time: every hour of a working day counts, rest days do not.
# So "1 working day" from Friday 10:00 ends on Monday 10:00, and from Saturday 10:00 it ends at
# the end of Monday (the clock starts when the next working day does). Times are local.
DAY = datetime.timedelta(days=1)
MAX_SPAN_DAYS = 400  # a limit far beyond any real one; guards against a calendar with no working days


def add_working_time(start: datetime.datetime, duration: datetime.timedelta) -> datetime.datetime:
    """The moment `duration` of working time after `start` (an aware datetime)."""
    zone = start.tzinfo
    assert zone is not None, "work-order clocks need aware datetimes"
    working = working_days(start.date(), start.date() + datetime.timedelta(days=MAX_SPAN_DAYS))
    left, moment = duration, start
    while left > datetime.timedelta(0):
        day_end = datetime.datetime.combine(moment.date() + DAY, datetime.time(0), tzinfo=zone)
        if moment.date() in working:
            if moment + left <= day_end:
                return moment + left
            left -= day_end - moment
        moment = day_end
        if moment.date() > start.date() + datetime.timedelta(days=MAX_SPAN_DAYS):
            raise ValueError("工作日历中找不到足够的工作日，请检查日历调整表")
    return moment


def working_time_between(start: datetime.datetime, end: datetime.datetime) -> datetime.timedelta:
    """The working time in [start, end) (zero when end is not after start)."""
    if end <= start:
        return datetime.timedelta(0)
    zone = start.tzinfo
    working = working_days(start.date(), end.date())
    total, moment = datetime.timedelta(0), start
    while moment < end:
        day_end = min(datetime.datetime.combine(moment.date() + DAY, datetime.time(0), tzinfo=zone), end)
        if moment.date() in working:
            total += day_end - moment
        moment = day_end
    return total
