"""The demo province: real reporting units, valid codes, and the demo users of API.md."""

from __future__ import annotations

import datetime
import re
from pathlib import Path
from typing import Any

from django.core.management import call_command
from django.utils import timezone

from fugong.accounts.models import Department, User
from fugong.core.uscc import uscc_problem
from fugong.demo.history import DAILY_TITLE
from fugong.demo.seeding import seed_demo
from fugong.dispatch.figures.completeness import completeness
from fugong.dispatch.models import Plan, Report
from fugong.enterprises.models import Enterprise
from fugong.notify.models import Notification
from fugong.problems import clocks
from fugong.problems.models import Event, Problem
from fugong.regions.models import Region
from tests.conftest import World


def test_seed_demo_builds_a_province_that_each_demo_user_sees_their_part_of(
    world: World, capsys: Any
) -> None:
    call_command("seed_demo", "--password", "demo-pass-2020", "--enterprises", "400")
    out = capsys.readouterr().out
    assert "新增企业400户" in out and "demo-changchun" in out
    demo = Enterprise.objects.exclude(
        name__in=[e.name for e in Enterprise.objects.filter(uscc__startswith="91")[:0]]
    )
    assert all(uscc_problem(code) is None for code in demo.values_list("uscc", flat=True))
    assert Department.objects.filter(name="吉林省商务厅对外贸易发展处", region_id="220000").exists()
    assert Department.objects.filter(name="长春市商务局").count() == 1
    client = world.client(None)
    assert client.login(username="demo-changchun", password="demo-pass-2020")
    cities = {item["region"][:4] for item in client.get("/api/v1/enterprises?page=1").json()["items"]}
    assert cities == {"2201"}
    assert client.login(username="demo-enterprise", password="demo-pass-2020")
    assert client.get("/api/v1/enterprises").json()["count"] == 1
    assert client.login(username="demo-liaison", password="demo-pass-2020")
    assert client.get("/api/v1/enterprises").json()["count"] == 60
    assert User.objects.get(username="demo-admin").is_superuser


def test_seed_demo_twice_adds_nothing_new(world: World, capsys: Any) -> None:
    call_command("seed_demo", "--password", "demo-pass-2020", "--enterprises", "100")
    count = Enterprise.objects.count()
    call_command("seed_demo", "--password", "demo-pass-2020", "--enterprises", "100")
    assert Enterprise.objects.count() == count
    assert "新增企业0户" in capsys.readouterr().out


def seeded_at(moment: datetime.datetime, enterprises: int = 300) -> dict[str, int]:
    return seed_demo(password="demo-pass-2020", enterprises=enterprises, days=5, now=moment)


def local(day: datetime.date, hour: int, minute: int = 0) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour, minute)))


def test_todays_demo_reports_stop_at_the_clock_so_nobody_is_late_before_the_deadline(world: World) -> None:
    today = datetime.date(2026, 11, 30)
    moment = local(today, 12, 30)
    seeded_at(moment)
    plan = Plan.objects.get(title=DAILY_TITLE)
    todays = Report.objects.filter(date=today)
    assert todays.exists() and not todays.filter(received_at__gt=moment).exists()
    board = world.client(None)
    assert board.login(username="demo-province", password="demo-pass-2020")
    node = board.get(f"/dispatch/board/?plan={plan.pk}&date={today}").context["node"]
    assert node.tally.submitted > 0 and node.tally.late == 0
    assert Report.objects.filter(date=today - datetime.timedelta(days=1), received_at__gte=local(
        today - datetime.timedelta(days=1), 16)).exists()  # earlier days do have late reports


def test_the_demo_has_work_orders_in_each_state_made_through_the_flow(world: World) -> None:
    moment = local(datetime.date(2026, 11, 30), 10)
    counts = seeded_at(moment)
    problems = Problem.objects.all()
    assert counts["work_orders"] == problems.count() == 8
    states = {p.status for p in problems}
    assert states == {"pending", "dispatched", "handling", "replied", "rating", "closed"}
    assert problems.filter(status="pending", returns=1).exists()  # returned by the unit
    closed = problems.get(status="closed")
    assert closed.rating == "satisfied"
    overdue = [p for p in problems.filter(status="handling") if clocks.light(p, moment) == "breached"]
    assert len(overdue) == 1
    # every move left its event, as the real flow does
    assert Event.objects.filter(problem=closed).count() >= 6
    client = world.client(None)
    assert client.login(username="demo-handler", password="demo-pass-2020")
    assert "用工缺口60人" in client.get("/problems/").content.decode()
    assert Notification.objects.filter(user__username="demo-handler").exists()  # told of dispatches


def test_the_demo_leaves_messages_in_the_inboxes(world: World) -> None:
    moment = local(datetime.date(2026, 11, 30), 14, 5)
    seeded_at(moment)
    progress = Notification.objects.get(user__username="demo-changchun", topic="summary")
    plan = Plan.objects.get(title=DAILY_TITLE)
    region = Region.objects.get(code="220100")
    tally = completeness(plan, moment.date(), region, User.objects.get(username="demo-changchun")).tally
    assert progress.body == f"长春市：已报{tally.submitted}/{tally.expected}，未报{tally.missing}户"
    client = world.client(None)
    assert client.login(username="demo-changchun", password="demo-pass-2020")
    assert "长春市今日填报进度" in client.get("/notifications/").content.decode()


def test_seeding_the_demo_again_makes_no_second_work_order_or_message(world: World) -> None:
    moment = local(datetime.date(2026, 11, 30), 15)
    seeded_at(moment, 100)
    problems, notices = Problem.objects.count(), Notification.objects.count()
    again = seeded_at(moment, 100)
    assert again["work_orders"] == 0 and again["notifications"] == 0
    assert (Problem.objects.count(), Notification.objects.count()) == (problems, notices)


def test_seed_demo_prints_the_logins_as_the_readme_names_them(world: World, capsys: Any) -> None:
    call_command("seed_demo", "--password", "demo-pass-2020", "--enterprises", "100", "--days", "1")
    out = capsys.readouterr().out
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text()
    table = re.findall(r"^\| (demo-[a-z]+) \| (.+?) \|$", readme, flags=re.M)
    assert len(table) == 8
    printed = re.findall(r"^  (demo-[a-z]+) +(.+)$", out, flags=re.M)
    assert printed == table
