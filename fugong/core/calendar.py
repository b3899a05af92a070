"""The government working-day calendar: statutory holidays, 调休 and admin overrides.

chinese-calendar (the package) knows the State Council's schedules for 2004–2026. For a date
it does not know, weekends are rest days and weekdays working days unless CalendarOverride
says otherwise; an override always wins, so a later year is made right by entering its
schedule in the admin.
"""

from __future__ import annotations

import datetime
import time

import chinese_calendar

from fugong.core.models import CalendarOverride


def is_working_day(day: datetime.date) -> bool:
    override = overrides_between(day, day).get(day)
    if override is not None:
        return bool(override)
    return package_says_working(day)


def package_says_working(day: datetime.date) -> bool:
    try:
        return bool(chinese_calendar.is_workday(day))
    except NotImplementedError:  # a year the package does not know yet
        return day.weekday() < 5


OVERRIDES_FRESH_FOR = 60.0  # seconds: an admin's change reaches every worker within a minute
_overrides_cache: dict[tuple[datetime.date, datetime.date], tuple[float, dict[datetime.date, bool]]] = {}


def overrides_between(start: datetime.date, end: datetime.date) -> dict[datetime.date, bool]:
    """The override table for the years spanning [start, end], read at most once a minute per
    process: a list of fifty work orders asks for its clocks fifty times."""
    key = (datetime.date(start.year, 1, 1), datetime.date(end.year, 12, 31))
    now = time.monotonic()
    cached = _overrides_cache.get(key)
    if cached is None or now - cached[0] > OVERRIDES_FRESH_FOR:
        rows = CalendarOverride.objects.filter(date__range=key).values_list("date", "is_working_day")
        cached = (now, dict(rows))
        _overrides_cache[key] = cached
    return cached[1]


def forget_overrides() -> None:
    """Called when the table changes (in this process; others catch up within a minute)."""
    _overrides_cache.clear()


def working_days(start: datetime.date, end: datetime.date) -> set[datetime.date]:
    """Working days in [start, end]."""
    overrides = overrides_between(start, end)
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
