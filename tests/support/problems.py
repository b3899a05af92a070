"""Work orders as the tests raise and move them: nanguan's reporter raises one, 长春's dispatcher
sends it to 长春市商务局, its handler signs; moments on Shanghai's clock."""

from __future__ import annotations

import datetime
from typing import Any

from fugong.accounts.models import Department
from fugong.problems.actions import check_create_problem, do_transition
from fugong.problems.models import Problem
from tests.conftest import World
from tests.support.reports import SHANGHAI

H = datetime.timedelta(hours=1)
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\n%%EOF\n"


def at(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime.datetime:
    return datetime.datetime(year, month, day, hour, minute, tzinfo=SHANGHAI)


def department() -> Department:
    return Department.objects.get(name="长春市商务局")


def raised(
    world: World,
    now: datetime.datetime | None = None,
    *,
    persona: str = "reporter",
    key: str = "nanguan",
    **raw: Any,
) -> Problem:
    """A problem raised at `now` (else the real now) by `persona` for enterprise `key`."""
    values: dict[str, Any] = {
        "category": "物流运输不畅",
        "title": "原材料运不进来",
        "description": "高速卡口不放行货车",
    }
    values.update(raw)
    values.setdefault("confirm", ["duplicate"])  # several problems of one enterprise in some tests
    return check_create_problem(world.user(persona), world.enterprise(key), values, now=now)


def move(
    world: World, persona: str, problem: Problem, action: str, when: datetime.datetime | None, **params: Any
) -> Problem:
    return do_transition(world.user(persona), problem.pk, action, params, now=when)


def dispatched(
    world: World, received: datetime.datetime | None = None, sent: datetime.datetime | None = None, **raw: Any
) -> Problem:
    """Raised at `received` and dispatched to 长春市商务局 at `sent` (each the real now if not given)."""
    return move(
        world, "changchun", raised(world, received, **raw), "dispatch", sent, department=department().pk
    )


def handling(world: World, received: datetime.datetime, **raw: Any) -> Problem:
    """Received, dispatched half an hour later and signed an hour after receipt."""
    p = dispatched(world, received, received + H / 2, **raw)
    return move(world, "handler", p, "sign", received + H)


def move_ids(html: str) -> set[str]:
    """The move forms a page offers, by their ids (move-dispatch, move-sign, …)."""
    return {part.split('"')[0] for part in html.split('id="move-')[1:]}
