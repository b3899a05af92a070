"""An answered order the enterprise does not rate within three working days closes by itself."""

from __future__ import annotations

import io

from django.core.management import call_command

from fugong.notify.models import Notification, Topic
from fugong.problems.autoclose import close_unrated
from fugong.problems.models import Event, Problem, Status
from tests.conftest import World
from tests.support.problems import at, handling, move


def answered(world: World) -> Problem:
    """Reviewed on Thursday 20 February 2020 at 10:00: rating is due Tuesday 25th at 10:00."""
    p = handling(world, at(2020, 2, 17, 10))
    move(world, "handler", p, "reply", at(2020, 2, 19, 10), note="已协调交警放行")
    return move(world, "changchun", p, "review", at(2020, 2, 20, 10))


def test_silence_over_the_weekend_does_not_count(world: World) -> None:
    p = answered(world)
    assert close_unrated(at(2020, 2, 24, 10)) == 0  # Thu, Fri, Mon: two working days so far
    p.refresh_from_db()
    assert p.status == Status.RATING


def test_after_three_working_days_the_order_closes_and_the_enterprise_is_told(world: World) -> None:
    p = answered(world)
    call_command("run_jobs", "--once", "--now", at(2020, 2, 25, 10, 1).isoformat(), stdout=io.StringIO())
    p.refresh_from_db()
    assert (p.status, p.closed_at, p.rating) == (Status.CLOSED, at(2020, 2, 25, 10, 1), "")
    event = Event.objects.filter(problem=p).latest("id")
    assert (event.action, event.actor, event.note) == ("close", None, "企业在3个工作日内未评价，系统自动办结")
    told = Notification.objects.filter(user__username="reporter", topic=Topic.PROBLEM).latest("id")
    assert told.title == f"诉求已办结：工单{p.pk}"
    assert close_unrated(at(2020, 2, 26, 10)) == 0  # once


def test_a_rating_in_time_is_kept(world: World) -> None:
    p = answered(world)
    move(world, "reporter", p, "rate", at(2020, 2, 24, 9), rating="satisfied")
    assert close_unrated(at(2020, 3, 30)) == 0
    p.refresh_from_db()
    assert p.rating == "satisfied" and p.closed_at == at(2020, 2, 24, 9)
