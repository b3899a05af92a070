"""Work-order clocks on the government calendar: holidays and 调休, 2027 through the override
table, urgent hours, pauses and extensions, and the warning lights at hand-computed moments.

Every expected moment below was counted by hand from the calendar, not by calling the code.
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

import chinese_calendar
import pytest

from fugong.core.calendar import add_working_time, working_time_between
from fugong.core.models import CalendarOverride
from fugong.problems import clocks
from fugong.problems.models import Category, Event
from tests.conftest import World
from tests.support.problems import H, at, dispatched, handling, move, raised

DAY = datetime.timedelta(days=1)


def rest_2027_spring_festival() -> None:
    """A made-up 2027 schedule, as an admin would enter it: Mon 8 – Fri 12 February off,
    Saturday 6 February worked instead."""
    for day in range(8, 13):
        CalendarOverride.objects.create(date=datetime.date(2027, 2, day), is_working_day=False, note="春节")
    CalendarOverride.objects.create(date=datetime.date(2027, 2, 6), is_working_day=True, note="春节调休")


# --- the calendar the tests rely on ------------------------------------------------------------


def test_the_package_knows_the_holidays_and_make_up_days_these_tests_rely_on() -> None:
    D = datetime.date
    spring_festival_2021 = [D(2021, 2, day) for day in range(11, 18)]
    national_day_2020 = [D(2020, 10, day) for day in range(1, 9)]
    for day in spring_festival_2021 + national_day_2020:
        assert chinese_calendar.is_holiday(day), day
    for make_up in (D(2021, 2, 7), D(2021, 2, 20), D(2020, 9, 27), D(2020, 10, 10)):
        assert make_up.weekday() >= 5 and chinese_calendar.is_workday(make_up), make_up
    assert D(2021, 2, 6).weekday() == 5 and chinese_calendar.is_holiday(D(2021, 2, 6))
    assert D(2021, 2, 21).weekday() == 6 and chinese_calendar.is_holiday(D(2021, 2, 21))
    assert D(2020, 10, 11).weekday() == 6 and chinese_calendar.is_holiday(D(2020, 10, 11))
    with pytest.raises(NotImplementedError):  # hence the override table for 2027
        chinese_calendar.is_workday(D(2027, 2, 8))


# --- pure functions ------------------------------------------------------------------------------


def test_a_working_day_started_on_the_eve_of_the_spring_festival_ends_after_it(db: Any) -> None:
    assert add_working_time(at(2021, 2, 10, 10), DAY) == at(2021, 2, 18, 10)
    # Wed 14h, Thu 18th, Fri 19th, Sat 20th (调休), Mon 22nd, then 10h of Tue 23rd
    assert add_working_time(at(2021, 2, 10, 10), 5 * DAY) == at(2021, 2, 23, 10)


def test_the_make_up_saturday_after_the_spring_festival_counts_and_the_sunday_does_not(db: Any) -> None:
    assert add_working_time(at(2021, 2, 19, 10), DAY) == at(2021, 2, 20, 10)
    assert add_working_time(at(2021, 2, 20, 10), DAY) == at(2021, 2, 22, 10)


def test_a_saturday_start_before_a_make_up_sunday_runs_from_sunday_morning(db: Any) -> None:
    assert add_working_time(at(2021, 2, 6, 10), DAY) == at(2021, 2, 8, 0)
    assert add_working_time(at(2021, 2, 6, 10), 2 * H) == at(2021, 2, 7, 2)


def test_working_time_across_the_spring_festival_counts_only_working_days(db: Any) -> None:
    # Fri 5th, Sun 7th (调休), Mon 8th – Wed 10th, Thu 18th – Sat 20th (调休): eight days
    assert working_time_between(at(2021, 2, 5), at(2021, 2, 22)) == 8 * DAY
    assert working_time_between(at(2021, 2, 10, 18), at(2021, 2, 18, 6)) == 12 * H
    assert working_time_between(at(2021, 2, 12), at(2021, 2, 17, 23)) == datetime.timedelta(0)


def test_national_day_2020_pushes_a_one_day_limit_to_the_friday_after_it(db: Any) -> None:
    assert add_working_time(at(2020, 9, 30, 15), DAY) == at(2020, 10, 9, 15)
    # Wed 9h, Fri 9th, Sat 10th (调休), Mon 12th, Tue 13th, then 15h of Wed 14th
    assert add_working_time(at(2020, 9, 30, 15), 5 * DAY) == at(2020, 10, 14, 15)


def test_the_make_up_sunday_before_national_day_counts(db: Any) -> None:
    assert add_working_time(at(2020, 9, 25, 15), DAY) == at(2020, 9, 27, 15)
    # Sun 27th – Wed 30th, Fri 9th, Sat 10th: six days between two Saturdays
    assert working_time_between(at(2020, 9, 26), at(2020, 10, 12)) == 6 * DAY


def test_an_ordinary_weekend_is_skipped(db: Any) -> None:
    assert add_working_time(at(2020, 2, 21, 15), DAY) == at(2020, 2, 24, 15)
    assert working_time_between(at(2020, 2, 21, 15), at(2020, 2, 24, 15)) == DAY


def test_no_time_and_a_backwards_span_are_nothing(db: Any) -> None:
    assert add_working_time(at(2020, 2, 22, 10), datetime.timedelta(0)) == at(2020, 2, 22, 10)
    assert working_time_between(at(2020, 2, 24), at(2020, 2, 21)) == datetime.timedelta(0)


def test_2027_without_overrides_counts_weekdays(db: Any) -> None:
    assert datetime.date(2027, 2, 5).weekday() == 4  # a Friday
    assert add_working_time(at(2027, 2, 5, 10), DAY) == at(2027, 2, 8, 10)
    assert add_working_time(at(2027, 2, 5, 10), 5 * DAY) == at(2027, 2, 12, 10)
    # Fri 5th, Mon 8th – Fri 12th, Mon 15th – Fri 19th
    assert working_time_between(at(2027, 2, 5), at(2027, 2, 20)) == 11 * DAY


def test_2027_overrides_move_the_due_moments(db: Any) -> None:
    rest_2027_spring_festival()
    assert add_working_time(at(2027, 2, 5, 10), DAY) == at(2027, 2, 6, 10)
    # Fri 14h, Sat 6th (调休), Mon 15th – Wed 17th, then 10h of Thu 18th
    assert add_working_time(at(2027, 2, 5, 10), 5 * DAY) == at(2027, 2, 18, 10)
    # Fri 5th, Sat 6th, Mon 15th – Fri 19th
    assert working_time_between(at(2027, 2, 5), at(2027, 2, 20)) == 7 * DAY


def test_an_override_wins_over_the_package_in_a_year_it_knows(db: Any) -> None:
    CalendarOverride.objects.create(date=datetime.date(2020, 2, 24), is_working_day=False, note="停工一天")
    assert add_working_time(at(2020, 2, 21, 15), DAY) == at(2020, 2, 25, 15)


# --- through intake and dispatch ----------------------------------------------------------------


def test_a_problem_raised_on_the_eve_of_the_spring_festival_is_due_after_it(world: World) -> None:
    p = dispatched(world, at(2021, 2, 10, 10), at(2021, 2, 10, 15))
    assert p.due_at == at(2021, 2, 23, 10)
    assert p.respond_due_at == at(2021, 2, 19, 10)  # Wed 14h, Thu 18th, then 10h of Fri 19th
    assert p.sign_due_at == at(2021, 2, 18, 15)


def test_a_problem_raised_the_day_before_national_day_is_due_after_it(world: World) -> None:
    p = dispatched(world, at(2020, 9, 30, 15), at(2020, 9, 30, 15))
    assert p.sign_due_at == at(2020, 10, 9, 15)
    assert p.respond_due_at == at(2020, 10, 10, 15)  # the 调休 Saturday
    assert p.due_at == at(2020, 10, 14, 15)


def test_a_friday_afternoon_dispatch_must_be_signed_by_monday_afternoon(world: World) -> None:
    p = dispatched(world, at(2020, 2, 21, 14), at(2020, 2, 21, 15))
    assert p.sign_due_at == at(2020, 2, 24, 15)
    p = move(world, "handler", p, "sign", at(2020, 2, 24, 14, 59))
    assert not p.sign_late
    q = dispatched(world, at(2020, 2, 21, 14), at(2020, 2, 21, 15))
    q = move(world, "handler", q, "sign", at(2020, 2, 24, 15, 1))
    assert q.sign_late


def test_a_saturday_intake_starts_its_clock_on_monday(world: World) -> None:
    p = raised(world, at(2020, 2, 22, 10))
    assert p.respond_due_at == at(2020, 2, 26, 0)  # the end of Tuesday
    assert p.due_at == at(2020, 2, 29, 0)  # the end of Friday


def test_2027_intake_and_dispatch_follow_the_override_table(world: World) -> None:
    plain = dispatched(world, at(2027, 2, 5, 10), at(2027, 2, 5, 10))
    assert plain.sign_due_at == at(2027, 2, 8, 10) and plain.due_at == at(2027, 2, 12, 10)
    rest_2027_spring_festival()
    overridden = dispatched(world, at(2027, 2, 5, 10), at(2027, 2, 5, 10))
    assert overridden.sign_due_at == at(2027, 2, 6, 10)
    assert overridden.due_at == at(2027, 2, 18, 10)
    plain.refresh_from_db()
    assert plain.due_at == at(2027, 2, 12, 10)  # a deadline once set stays: it was promised


def test_an_urgent_problem_counts_plain_hours_through_the_weekend(world: World) -> None:
    p = dispatched(world, at(2020, 2, 21, 20), at(2020, 2, 21, 21), urgency="urgent")
    assert p.respond_due_at == at(2020, 2, 22, 4)
    assert p.due_at == at(2020, 2, 22, 20)  # a Saturday
    assert p.sign_due_at == at(2020, 2, 21, 23)


def test_an_urgent_problem_counts_plain_hours_through_the_spring_festival(world: World) -> None:
    p = raised(world, at(2021, 2, 10, 20), urgency="urgent")
    assert p.due_at == at(2021, 2, 11, 20)


def test_a_categorys_own_limits_set_the_clocks(world: World) -> None:
    Category.objects.create(
        name="用工短缺",
        sign_workdays=Decimal("0.5"),
        respond_workdays=Decimal(1),
        close_workdays=Decimal(3),
        urgent_sign_hours=1,
        urgent_close_hours=12,
    )
    p = dispatched(world, at(2020, 2, 21, 10), at(2020, 2, 21, 10), category="用工短缺")
    assert p.sign_due_at == at(2020, 2, 21, 22)
    assert p.respond_due_at == at(2020, 2, 24, 10)
    assert p.due_at == at(2020, 2, 26, 10)
    urgent = dispatched(
        world, at(2020, 2, 21, 10), at(2020, 2, 21, 10), category="用工短缺", urgency="urgent"
    )
    assert urgent.sign_due_at == at(2020, 2, 21, 11) and urgent.due_at == at(2020, 2, 21, 22)


# --- pauses and extensions -----------------------------------------------------------------------

MONDAY = at(2020, 2, 17, 9)  # received then: respond by Wed 19th 09:00, close by Mon 24th 09:00


def test_waiting_for_the_enterprise_moves_the_deadline_by_the_working_time_waited(world: World) -> None:
    p = handling(world, MONDAY)
    assert p.due_at == at(2020, 2, 24, 9)
    p = move(world, "handler", p, "request_info", at(2020, 2, 20, 12), note="请补充通行证申请表")
    assert p.paused_at == at(2020, 2, 20, 12) and p.pause_reason == "enterprise"
    assert p.due_at == at(2020, 2, 24, 9)  # nothing moves until the wait is over
    p = move(world, "reporter", p, "provide_info", at(2020, 2, 24, 12), note="已上传")
    # Thu 12h + Fri 24h + Mon 12h = two working days waited; the weekend is not counted
    assert p.due_at == at(2020, 2, 26, 9)
    assert p.respond_due_at == at(2020, 2, 19, 9)  # asking for material was the first response
    assert p.paused_at is None and p.pause_reason == ""
    event = Event.objects.filter(problem=p).last()
    assert event is not None and event.data == {"paused_seconds": 2 * 86400}
    p = move(world, "handler", p, "reply", at(2020, 2, 25, 10), note="已协调放行")
    assert not p.close_late  # late by the old deadline, on time by the paused one


def test_waiting_for_the_enterprise_over_the_spring_festival_counts_only_working_days(world: World) -> None:
    p = handling(world, at(2021, 2, 10, 10))
    assert p.due_at == at(2021, 2, 23, 10)
    p = move(world, "handler", p, "request_info", at(2021, 2, 10, 12), note="请补充通行证申请表")
    p = move(world, "reporter", p, "provide_info", at(2021, 2, 18, 12), note="已上传")
    assert p.due_at == at(2021, 2, 24, 10)  # 12h + 12h paused


def test_an_extension_request_pauses_and_its_approval_adds_the_granted_working_days(world: World) -> None:
    p = dispatched(world, MONDAY, MONDAY)
    p = move(world, "handler", p, "sign", MONDAY)
    p = move(world, "handler", p, "request_extension", at(2020, 2, 18, 9), note="需协调省交通厅", days="3")
    assert clocks.light(p, at(2020, 2, 18, 12)) == "paused"
    p = move(world, "changchun", p, "approve_extension", at(2020, 2, 18, 15))
    # Mon 24th 09:00, plus the 6h waiting for approval, plus three working days
    assert p.due_at == at(2020, 2, 27, 15)
    assert p.respond_due_at == at(2020, 2, 19, 15)  # no first response yet: it waited too
    assert p.paused_at is None
    event = Event.objects.filter(problem=p).last()
    assert event is not None and event.action == "approve_extension"
    assert Decimal(event.data["days"]) == 3 and event.data["due_at"] == at(2020, 2, 27, 15).isoformat()


def test_a_refused_extension_gives_back_only_the_time_it_waited(world: World) -> None:
    p = handling(world, MONDAY)
    p = move(world, "handler", p, "request_extension", at(2020, 2, 18, 9), note="需协调", days="3")
    p = move(world, "changchun", p, "refuse_extension", at(2020, 2, 19, 9), note="请按期办结")
    assert p.due_at == at(2020, 2, 25, 9)
    assert p.extension_days is None and p.paused_at is None


def test_an_extension_waiting_over_a_weekend_counts_only_working_hours(world: World) -> None:
    p = handling(world, MONDAY)
    p = move(world, "handler", p, "request_extension", at(2020, 2, 21, 18), note="需协调", days="2")
    p = move(world, "changchun", p, "approve_extension", at(2020, 2, 24, 6))
    # Fri 18:00–24:00 and Mon 00:00–06:00 waited: 12h, then two working days
    assert p.due_at == at(2020, 2, 26, 21)


def test_an_urgent_problem_waits_in_plain_hours(world: World) -> None:
    p = handling(world, at(2020, 2, 21, 20), urgency="urgent")
    assert p.due_at == at(2020, 2, 22, 20)
    p = move(world, "handler", p, "request_info", at(2020, 2, 21, 22), note="请补充车辆信息")
    p = move(world, "reporter", p, "provide_info", at(2020, 2, 22, 4), note="已补充")
    assert p.due_at == at(2020, 2, 23, 2)  # six hours later, on a Sunday


def test_an_extension_of_an_urgent_problem_is_granted_in_working_days(world: World) -> None:
    p = handling(world, at(2020, 2, 21, 20), urgency="urgent")
    p = move(world, "handler", p, "request_extension", at(2020, 2, 21, 22), note="需协调", days="1")
    p = move(world, "changchun", p, "approve_extension", at(2020, 2, 22, 2))
    # Sat 20:00 + 4h waited = Sun 00:00; one working day from there is all of Monday
    assert p.due_at == at(2020, 2, 25, 0)


@pytest.mark.parametrize("days", ["0", "-1", "20.5", "三天", None, "NaN", "Infinity"])
def test_an_extension_needs_a_sensible_number_of_working_days(world: World, days: str | None) -> None:
    from fugong.core.errors import ValidationFailed

    p = handling(world, MONDAY)
    with pytest.raises(ValidationFailed, match="延期天数"):
        move(world, "handler", p, "request_extension", at(2020, 2, 18, 9), note="需协调", days=days)
    p.refresh_from_db()
    assert p.paused_at is None and p.extension_days is None


# --- the warning lights --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (MONDAY, "green"),
        (at(2020, 2, 21, 2, 59), "green"),  # 30h01m of 120h left
        (at(2020, 2, 21, 3), "yellow"),  # 21h of Friday + 9h of Monday = a quarter left
        (at(2020, 2, 21, 20, 59), "yellow"),
        (at(2020, 2, 21, 21), "red"),  # 3h + 9h = a tenth left
        (at(2020, 2, 22, 12), "red"),  # the weekend does not count: still 9h left
        (at(2020, 2, 24, 8, 59), "red"),
        (at(2020, 2, 24, 9), "breached"),
        (at(2020, 3, 2), "breached"),
    ],
)
def test_the_close_clocks_light(world: World, now: datetime.datetime, expected: str) -> None:
    p = raised(world, MONDAY)
    assert clocks.light(p, now) == expected


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (at(2020, 2, 21, 15), "green"),
        (at(2020, 2, 22, 12), "green"),  # 15h of 24h left all weekend
        (at(2020, 2, 24, 8, 59), "green"),  # 6h01m left
        (at(2020, 2, 24, 9), "yellow"),
        (at(2020, 2, 24, 12, 35), "yellow"),
        (at(2020, 2, 24, 12, 36), "red"),  # 2h24m = a tenth of a day
        (at(2020, 2, 24, 15), "breached"),
    ],
)
def test_the_sign_clocks_light_over_a_weekend(world: World, now: datetime.datetime, expected: str) -> None:
    p = dispatched(world, at(2020, 2, 21, 14), at(2020, 2, 21, 15))
    assert clocks.light(p, now) == expected


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (at(2020, 2, 22, 13, 59), "green"),
        (at(2020, 2, 22, 14), "yellow"),  # a Saturday, yet the clock runs: 6h of 24h left
        (at(2020, 2, 22, 17, 36), "red"),
        (at(2020, 2, 22, 20), "breached"),
    ],
)
def test_an_urgent_clocks_light_counts_plain_hours(
    world: World, now: datetime.datetime, expected: str
) -> None:
    p = raised(world, at(2020, 2, 21, 20), urgency="urgent")
    assert clocks.light(p, now) == expected


def test_a_paused_clock_shows_paused_and_a_replied_one_shows_nothing(world: World) -> None:
    p = handling(world, MONDAY)
    p = move(world, "handler", p, "request_info", at(2020, 2, 18, 9), note="请补充")
    assert clocks.light(p, at(2020, 3, 30)) == "paused"  # however long it waits
    p = move(world, "reporter", p, "provide_info", at(2020, 2, 19, 9), note="已补充")
    assert p.due_at == at(2020, 2, 25, 9)
    assert clocks.light(p, at(2020, 2, 24, 23)) == "red"  # 1h + 9h left of 144h
    p = move(world, "handler", p, "reply", at(2020, 2, 20, 9), note="已协调放行")
    assert clocks.light(p, at(2020, 3, 30)) == ""
    assert clocks.LIGHT_LABELS["paused"] == "暂停计时"
