"""SLA warnings: yellow, red and breached, each once, to the handlers and their supervisors.

The order is 南关's, received and dispatched to 长春市商务局 on Monday 17 February 2020 at 10:00;
its category gives one working day to sign, so it is due on Tuesday at 10:00. Yellow when a
quarter of that day is left (Tuesday 04:00), red at a tenth (07:36).
"""

from __future__ import annotations

import datetime
import io
from typing import Any

from django.core.management import call_command

from fugong.accounts.models import Department, Membership, User
from fugong.core.access import Role
from fugong.notify.models import Channel, Delivery, Notification, Topic
from fugong.problems.models import Category, Problem
from fugong.problems.sla import run_sla_warnings
from tests.conftest import World
from tests.support.problems import at, department, dispatched, move, raised


def warned(name: str) -> list[str]:
    return list(
        Notification.objects.filter(user__username=name, topic=Topic.SLA)
        .order_by("id")
        .values_list("title", flat=True)
    )


def order(world: World) -> Problem:
    Category.objects.filter(name="物流运输不畅").update(sign_workdays=1)
    return dispatched(world, at(2020, 2, 17, 10), at(2020, 2, 17, 10))


def test_a_green_clock_warns_nobody(world: World) -> None:
    order(world)
    assert run_sla_warnings(at(2020, 2, 18, 3, 59)) == 0
    assert Notification.objects.filter(topic=Topic.SLA).count() == 0


def test_yellow_goes_to_the_handlers_and_the_dispatchers_above_them(world: World) -> None:
    p = order(world)
    assert run_sla_warnings(at(2020, 2, 18, 4, 1)) == 1
    title = f"【黄灯预警】工单{p.pk}：原材料运不进来"
    assert warned("handler") == [title]
    assert warned("changchun") == [title]  # 南关区 has no dispatcher account: its city supervises
    assert warned("province") == [] and warned("leader") == [] and warned("reporter") == []
    [n] = Notification.objects.filter(user__username="handler", topic=Topic.SLA)
    assert n.body == "长春南关汽车零部件有限公司的诉求“原材料运不进来”签收时限02月18日10:00将到，请抓紧办理。"
    assert n.url == f"/problems/{p.pk}/"


def test_each_light_is_warned_once_and_breached_reaches_the_leaders(world: World) -> None:
    p = order(world)
    for hour in (5, 6, 7):
        run_sla_warnings(at(2020, 2, 18, hour))
    run_sla_warnings(at(2020, 2, 18, 8))
    run_sla_warnings(at(2020, 2, 18, 9))
    run_sla_warnings(at(2020, 2, 18, 10, 30))
    run_sla_warnings(at(2020, 2, 18, 11))
    lights = [t.split("】")[0] + "】" for t in warned("handler")]
    assert lights == ["【黄灯预警】", "【红灯预警】", "【已超时】"]
    assert [t.split("】")[0] + "】" for t in warned("leader")] == ["【已超时】"]
    breached = Notification.objects.get(user__username="leader", topic=Topic.SLA)
    assert f"工单{p.pk}" in breached.title and "已超过签收时限（02月18日10:00）" in breached.body


def test_a_signed_order_starts_the_close_clock_with_its_own_warnings(world: World) -> None:
    p = order(world)
    run_sla_warnings(at(2020, 2, 18, 11))  # sign clock breached
    move(world, "handler", p, "sign", at(2020, 2, 18, 11, 30))
    run_sla_warnings(at(2020, 2, 18, 12))
    assert len(warned("handler")) == 1  # the close clock (5 working days) is still green


def test_a_paused_clock_is_not_warned(world: World) -> None:
    p = order(world)
    move(world, "handler", p, "sign", at(2020, 2, 17, 11))
    move(world, "handler", p, "request_info", at(2020, 2, 17, 12), note="请提供运输车辆清单")
    assert run_sla_warnings(at(2020, 3, 30)) == 0


def test_an_order_waiting_for_dispatch_warns_the_dispatchers_only(world: World) -> None:
    Category.objects.filter(name="物流运输不畅").update(close_workdays=1)
    raised(world, at(2020, 2, 17, 10))
    run_sla_warnings(at(2020, 2, 18, 11))
    assert len(warned("changchun")) == 1 and warned("handler") == []


def test_the_departments_robot_gets_the_warning_and_run_jobs_sends_it(world: World) -> None:
    Channel.objects.create(
        kind=Channel.Kind.WECOM,
        name="商务局群",
        url="http://127.0.0.1:9/send",
        department=department(),
        topics=[Topic.SLA],
    )
    order(world)
    call_command("run_jobs", "--once", "--now", at(2020, 2, 18, 10, 30).isoformat(), stdout=io.StringIO())
    robot = Delivery.objects.get(address="")
    assert robot.title.startswith("【已超时】") and robot.attempts == 1  # tried: port 9 is closed


def test_two_passes_at_the_same_moment_warn_once(world: World, django_assert_max_num_queries: Any) -> None:
    order(world)
    run_sla_warnings(at(2020, 2, 18, 5))
    with django_assert_max_num_queries(10):
        assert run_sla_warnings(at(2020, 2, 18, 5)) == 0
    assert len(warned("handler")) == 1


def test_the_warning_moment_is_counted_on_the_working_day_calendar(world: World) -> None:
    """Dispatched on Friday 21 February at 10:00: the weekend does not count, so the order is due
    on Monday at 10:00 and turns yellow on Monday at 04:00, not on Saturday."""
    Category.objects.filter(name="物流运输不畅").update(sign_workdays=1)
    dispatched(world, at(2020, 2, 21, 10), at(2020, 2, 21, 10))
    assert run_sla_warnings(at(2020, 2, 22, 12)) == 0
    assert run_sla_warnings(at(2020, 2, 24, 4, 1)) == 1
    assert datetime.date(2020, 2, 24).weekday() == 0


def test_a_supporting_units_own_limit_warns_that_units_handlers(world: World) -> None:
    transport = Department.objects.create(name="长春市交通运输局", region_id="220100")
    clerk = User.objects.create_user("transport_clerk", password="x-pass-2020")
    Membership.objects.create(user=clerk, role=Role.HANDLER, department=transport)
    Category.objects.filter(name="物流运输不畅").update(sign_workdays=3, close_workdays=5)
    p = raised(world, at(2020, 2, 17, 10))
    move(
        world,
        "changchun",
        p,
        "dispatch",
        at(2020, 2, 17, 10),
        department=department().pk,
        assists=[transport.pk],
        assist_days=1,
    )
    run_sla_warnings(at(2020, 2, 18, 10, 30))  # the supporting unit's one day is over
    assert [t.split("】")[0] + "】" for t in warned("transport_clerk")] == ["【已超时】"]
    body = Notification.objects.get(user=clerk, topic=Topic.SLA).body
    assert "已超过协办时限（02月18日10:00）" in body
    assert warned("handler") == []  # the lead unit still has three days to sign
    move(world, "transport_clerk", p, "assist_answer", at(2020, 2, 18, 11), note="已安排绿色通道")
    assert run_sla_warnings(at(2020, 2, 19, 9)) == 0
