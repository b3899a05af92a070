"""A dispatcher's 提醒 on 今日调度: one reminder per enterprise per half hour, one message per
person per click, "已提醒 HH:MM" on the board, and every reminder (manual or scheduled) marked
已报送 and taken off the badge when the enterprise reports — by the form or by a sheet import."""

from __future__ import annotations

import datetime
from collections import Counter
from typing import Any

import pytest
from django.utils import timezone

from fugong.accounts.models import Membership, User
from fugong.core.access import Role
from fugong.dispatch.models import Plan
from fugong.dispatch.plans.reminders import run_reminders
from fugong.dispatch.reports.submit import check_submit_report
from fugong.dispatch.sheets.reading import check_import_reports
from fugong.notify.actions import Overdue, do_remind_manually
from fugong.notify.delivery import deliver_one
from fugong.notify.models import Channel, Delivery, Notification, Topic
from tests.conftest import World
from tests.support import sheets
from tests.support.sheets import REPORT_HEADER, report_row

FIGURES = {
    "resumed": True,
    "baseline_headcount": 480,
    "reported_back": 300,
    "isolated": 0,
    "on_duty": 260,
    "capacity_pct": 50,
}


@pytest.fixture
def today_plan(plan: Plan) -> Plan:
    plan.start_date = timezone.localdate() - datetime.timedelta(days=10)
    plan.report_on_rest_days = True
    plan.reminder_times = []
    plan.save()
    return plan


@pytest.fixture
def two_for_the_liaison(world: World) -> None:
    """The liaison looks after 南关 too (besides 朝阳食品), whose reporter is "reporter"."""
    Membership.objects.create(
        user=world.user("liaison"), role=Role.LIAISON, enterprise=world.enterprise("nanguan")
    )


def click(world: World, plan: Plan, *enterprises: str) -> str:
    body: dict[str, Any] = {"plan": plan.pk, "region": "220100", "date": str(timezone.localdate())}
    if enterprises:
        body["enterprise"] = [world.enterprise(k).uscc for k in enterprises]
    response = world.client("changchun").post("/dispatch/board/remind/", body, follow=True)
    assert response.status_code == 200
    return str(response.content.decode())


def manual_messages() -> Counter[str]:
    return Counter(Notification.objects.filter(topic=Topic.MANUAL).values_list("user__username", flat=True))


def unread(world: World, persona: str) -> int:
    return Notification.objects.filter(user=world.user(persona), read_at__isnull=True).count()


def report_nanguan(world: World) -> None:
    check_submit_report(
        world.user("reporter"), world.enterprise("nanguan"), timezone.localdate(), FIGURES, channel="web"
    )


def test_three_clicks_send_each_person_one_message(
    world: World, today_plan: Plan, two_for_the_liaison: None
) -> None:
    first = click(world, today_plan)  # 一键提醒全部未报企业
    click(world, today_plan, "nanguan")  # then the row's 提醒
    third = click(world, today_plan)
    assert manual_messages() == Counter({"reporter": 1, "liaison": 1})
    liaison = Notification.objects.get(user__username="liaison", topic=Topic.MANUAL)
    assert liaison.title.startswith("2户企业尚未报送")
    assert "长春南关汽车零部件有限公司" in liaison.body and "长春朝阳食品有限公司" in liaison.body
    assert "发送消息2条（每人一条）" in first
    assert "30分钟内已提醒过" in third and "未重复提醒" in third


def test_the_board_shows_when_each_enterprise_was_reminded(world: World, today_plan: Plan) -> None:
    board_url = f"/dispatch/board/?plan={today_plan.pk}&date={timezone.localdate()}&region=220100"
    assert "已提醒" not in world.client("changchun").get(board_url).content.decode()
    click(world, today_plan, "chaoyang")
    sent = timezone.localtime(Notification.objects.get(user__username="liaison").created_at)
    board = world.client("changchun").get(board_url).content.decode()
    chaoyang_row = board.split("长春朝阳食品有限公司</a>")[1].split("</tr>")[0]
    assert f"已提醒 {sent:%H:%M}" in chaoyang_row
    nanguan_row = board.split("长春南关汽车零部件有限公司</a>")[1].split("</tr>")[0]
    assert "已提醒" not in nanguan_row  # not reminded: no mark


def test_after_half_an_hour_a_still_missing_enterprise_may_be_reminded_again(
    world: World, today_plan: Plan
) -> None:
    nanguan = world.enterprise("nanguan")
    day = timezone.localdate()
    start = timezone.make_aware(datetime.datetime.combine(day, datetime.time(14, 5)))

    def remind(now: datetime.datetime) -> list[int]:
        return do_remind_manually(
            world.user("changchun"),
            [Overdue(nanguan.pk, nanguan.name, "/")],
            plan_id=today_plan.pk,
            plan_title=today_plan.title,
            period=(day, day),
            day=day,
            deadline=start,
            channel="web",
            now=now,
        ).reminded

    assert remind(start) == [nanguan.pk]
    assert remind(start + datetime.timedelta(minutes=29)) == []
    assert remind(start + datetime.timedelta(minutes=31)) == [nanguan.pk]
    assert manual_messages() == Counter({"reporter": 2})


def test_a_report_marks_its_reminders_done_and_clears_them_from_the_badge(
    world: World, today_plan: Plan, two_for_the_liaison: None
) -> None:
    click(world, today_plan)
    assert unread(world, "reporter") == 1 and unread(world, "liaison") == 1
    report_nanguan(world)
    assert unread(world, "reporter") == 0
    inbox = world.client("reporter").get("/notifications/").content.decode()
    assert "已报送" in inbox and "去处理" not in inbox
    assert unread(world, "liaison") == 1  # 朝阳食品 has still not reported
    check_submit_report(
        world.user("liaison"),
        world.enterprise("chaoyang"),
        timezone.localdate(),
        {**FIGURES, "baseline_headcount": 120, "reported_back": 10, "on_duty": 10},
        channel="web",
    )
    assert unread(world, "liaison") == 0
    assert Notification.objects.get(user__username="liaison", topic=Topic.MANUAL).done_at is not None


def test_the_scheduled_rounds_reminder_is_done_when_the_report_arrives(
    world: World, today_plan: Plan
) -> None:
    today_plan.reminder_times = ["14:00"]
    today_plan.save()
    at_1400 = timezone.make_aware(datetime.datetime.combine(timezone.localdate(), datetime.time(14)))
    assert run_reminders(at_1400) == 1
    reminder = Notification.objects.get(user__username="reporter", topic=Topic.REMINDER)
    assert reminder.read_at is None and "尚未报送" in reminder.body
    report_nanguan(world)
    reminder.refresh_from_db()
    assert reminder.read_at is not None and reminder.done_at is not None


def test_a_sheet_import_marks_the_reminders_of_its_enterprises_done(world: World, today_plan: Plan) -> None:
    click(world, today_plan, "nanguan")
    data = sheets.xlsx(
        ("调度表", [REPORT_HEADER, report_row(world, "nanguan", "是", 480, 300, 10, 280, "65%")])
    )
    result = check_import_reports(
        world.user("province"),
        data,
        "调度表.xlsx",
        plan=today_plan,
        day=timezone.localdate(),
        now=timezone.now(),
    )
    assert result.written
    assert unread(world, "reporter") == 0
    assert Notification.objects.get(user__username="reporter").done_at is not None


def test_a_reminders_sms_not_yet_sent_is_dropped_when_the_report_arrives(
    world: World, today_plan: Plan
) -> None:
    Channel.objects.create(kind=Channel.Kind.SMS, name="短信网关", url="http://127.0.0.1:9/sms")
    User.objects.filter(username="reporter").update(phone="13900000002")
    click(world, today_plan, "nanguan")
    sms = Delivery.objects.get(address="13900000002")
    assert sms.status == Delivery.Status.PENDING  # the worker has not come round yet
    report_nanguan(world)
    sms.refresh_from_db()
    assert sms.status == Delivery.Status.CANCELLED and sms.last_error == "企业已报送，不再发送"
    assert deliver_one(timezone.now() + datetime.timedelta(minutes=1)) is False  # nothing left to send


def test_an_enterprise_nobody_can_be_told_about_is_named_for_a_phone_call(
    world: World, today_plan: Plan
) -> None:
    Membership.objects.filter(enterprise=world.enterprise("nanguan")).update(active=False)  # its clerk left
    page = click(world, today_plan, "nanguan")
    assert "1户企业没有填报员或联络员账号，无法发送消息，请电话联系" in page
    assert "已提醒" not in page and Notification.objects.count() == 0


def test_an_enterprise_nobody_can_be_told_about_is_not_counted_as_reminded_on_the_next_click(
    world: World, today_plan: Plan
) -> None:
    Membership.objects.filter(enterprise=world.enterprise("nanguan")).update(active=False)  # its clerk left
    click(world, today_plan, "nanguan", "chaoyang")
    again = click(world, today_plan, "nanguan", "chaoyang")
    assert "1户在30分钟内已提醒过" in again  # 朝阳 only: 南关 got nothing and still needs the phone call
    assert "1户企业没有填报员或联络员账号，无法发送消息，请电话联系" in again
