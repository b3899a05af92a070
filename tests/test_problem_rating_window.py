"""A dispatcher may close an order for want of a rating (办结（企业逾期未评价）) only when the
enterprise's rating window has passed — the same window the automatic close waits for — on the
page, in the API and in the action."""

from __future__ import annotations

import datetime
import json
import re

import pytest
from django.test import override_settings
from django.utils import timezone

from fugong.core.errors import Conflict
from fugong.problems.autoclose import close_unrated
from fugong.problems.models import Problem, Status
from tests.conftest import World
from tests.support.problems import at, handling, move, move_ids

CLOSE = {"action": "close", "note": "企业逾期未评价"}


def reviewed(world: World, when: datetime.datetime) -> Problem:
    """Answered the day before `when` and reviewed at `when`."""
    p = handling(world, when - datetime.timedelta(days=3))
    move(world, "handler", p, "reply", when - datetime.timedelta(days=1), note="已协调交警放行")
    return move(world, "changchun", p, "review", when)


def test_it_refuses_a_manual_close_within_the_rating_window_and_says_until_when(world: World) -> None:
    p = reviewed(world, at(2020, 2, 20, 10))  # a Thursday: three working days end Tue 25th 10:00
    with pytest.raises(Conflict) as error:
        move(world, "changchun", p, "close", at(2020, 2, 20, 10, 5), note="企业逾期未评价")
    assert error.value.message == "企业评价期至2月25日10:00，期满未评价方可办结"
    assert "close" not in error.value.details["allowed"]
    with pytest.raises(Conflict, match="企业评价期至2月25日10:00"):
        move(world, "changchun", p, "close", at(2020, 2, 25, 9, 59))
    p.refresh_from_db()
    assert p.status == Status.RATING and p.events.filter(action="close").count() == 0

    closed = move(world, "changchun", p, "close", at(2020, 2, 25, 10), note="企业逾期未评价")
    assert closed.status == Status.CLOSED


@override_settings(FUGONG_RATING_WORKDAYS=1)
def test_the_manual_and_the_automatic_close_follow_the_same_setting(world: World) -> None:
    p = reviewed(world, at(2020, 2, 21, 10))  # a Friday: one working day ends Monday 10:00
    with pytest.raises(Conflict, match="企业评价期至2月24日10:00"):
        move(world, "changchun", p, "close", at(2020, 2, 24, 9))
    assert close_unrated(at(2020, 2, 24, 9)) == 0
    assert close_unrated(at(2020, 2, 24, 10)) == 1


def recent_review(world: World) -> Problem:
    """Reviewed a minute ago: the enterprise still has days to rate it."""
    return reviewed(world, timezone.now() - datetime.timedelta(minutes=1))


def old_review(world: World) -> Problem:
    """Reviewed twelve days ago (at least three working days, whatever the holidays)."""
    return reviewed(world, timezone.now() - datetime.timedelta(days=12))


def test_the_page_does_not_offer_the_close_before_the_window_ends_and_says_why(world: World) -> None:
    p = recent_review(world)
    html = world.client("changchun").get(f"/problems/{p.pk}/").content.decode()
    assert "close" not in move_ids(html)
    assert re.search(r"企业评价期至\d+月\d+日\d\d:\d\d，期满未评价方可办结", html)
    assert "企业评价" in html  # the window's end in the time-limits table

    response = world.client("changchun").post(f"/problems/{p.pk}/act/", CLOSE)
    assert response.status_code == 409
    assert "期满未评价方可办结" in response.content.decode()
    p.refresh_from_db()
    assert p.status == Status.RATING


def test_the_page_offers_the_close_once_the_window_has_passed(world: World) -> None:
    p = old_review(world)
    html = world.client("changchun").get(f"/problems/{p.pk}/").content.decode()
    assert "close" in move_ids(html) and "期满未评价方可办结" not in html
    response = world.client("changchun").post(f"/problems/{p.pk}/act/", CLOSE)
    assert response.status_code == 302
    p.refresh_from_db()
    assert p.status == Status.CLOSED


def test_the_api_refuses_the_early_close_and_its_allowed_list_agrees(world: World) -> None:
    p = recent_review(world)
    client = world.client("changchun")
    assert "close" not in client.get(f"/api/v1/problems/{p.pk}").json()["allowed"]
    response = client.post(
        f"/api/v1/problems/{p.pk}/transitions", json.dumps(CLOSE), content_type="application/json"
    )
    assert response.status_code == 409
    body = response.json()
    assert body["message"].endswith("期满未评价方可办结") and "close" not in body["details"]["allowed"]

    later = old_review(world)
    assert "close" in client.get(f"/api/v1/problems/{later.pk}").json()["allowed"]
    response = client.post(
        f"/api/v1/problems/{later.pk}/transitions", json.dumps(CLOSE), content_type="application/json"
    )
    assert response.status_code == 200 and response.json()["status"] == "closed"
