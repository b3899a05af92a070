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
