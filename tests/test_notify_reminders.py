"""Reminders at the plan's times, progress to dispatchers, and the missing list after the deadline.

The province's foreign-trade plan covers the five enterprises of the test world; on the Monday
below only 南关 reports (at 10:00, through the web form), so the other four are missing.
"""

from __future__ import annotations

import datetime
import io
from typing import Any

from django.core.management import call_command

from fugong.accounts.models import Membership, User
from fugong.core.access import Role
from fugong.dispatch.plans.reminders import run_reminders
from fugong.dispatch.reports.submit import check_submit_report
from fugong.notify.models import Channel, Delivery, Notification, Topic
from tests.conftest import World
from tests.support.reports import SHANGHAI

MONDAY = datetime.date(2020, 2, 17)


def at(hh: int, mm: int = 0, day: datetime.date = MONDAY) -> datetime.datetime:
    return datetime.datetime(day.year, day.month, day.day, hh, mm, tzinfo=SHANGHAI)


def report(world: World, who: str, key: str, when: datetime.datetime) -> None:
    figures = {
        "resumed": True,
        "baseline_headcount": 480,
        "reported_back": 300,
        "isolated": 0,
        "on_duty": 260,
        "capacity_pct": 50,
    }
    if key != "nanguan":
        figures["baseline_headcount"] = world.enterprise(key).baseline_headcount
        figures.update(reported_back=10, on_duty=10)
    check_submit_report(world.user(who), world.enterprise(key), when.date(), figures, channel="web", now=when)


def reporter_for(world: World, key: str, name: str, phone: str = "") -> User:
    user = User.objects.create_user(name, password="x-pass-2020", phone=phone)
    Membership.objects.create(user=user, role=Role.REPORTER, enterprise=world.enterprise(key))
    return user


def inbox(name: str) -> list[Notification]:
    return list(Notification.objects.filter(user__username=name).order_by("id"))


def run(now: datetime.datetime) -> None:
    call_command("run_jobs", "--once", "--now", now.isoformat(), stdout=io.StringIO())


def test_nothing_is_sent_before_the_first_reminder_time(world: World, plan: Any) -> None:
    reporter_for(world, "chaoyang", "chaoyang_clerk")
    run(at(13, 59))
    assert Notification.objects.count() == 0


def test_at_1400_only_enterprises_that_have_not_reported_are_reminded(world: World, plan: Any) -> None:
    report(world, "reporter", "nanguan", at(10))
    reporter_for(world, "chaoyang", "chaoyang_clerk")
    run(at(14, 0))

    assert inbox("reporter") == []  # 南关 has reported
    [clerk] = inbox("chaoyang_clerk")
    assert clerk.topic == Topic.REMINDER
    assert clerk.title == "请于02月17日16:00前报送02月17日复工情况"
    assert "长春朝阳食品有限公司尚未报送" in clerk.body
    assert clerk.url == f"/dispatch/e/{world.enterprise('chaoyang').uscc}/report/?date=2020-02-17"
    [liaison] = inbox("liaison")
    assert liaison.title == "1户企业尚未报送"
    assert "长春朝阳食品有限公司" in liaison.body and "请提醒或代为填报" in liaison.body


def test_dispatchers_get_the_progress_of_their_own_region(world: World, plan: Any) -> None:
    report(world, "reporter", "nanguan", at(10))
    run(at(14, 0))
    # 长春市 dispatches 南关 and 朝阳 (长春新区's 高新 and 省直管 公主岭 report to the province directly)
    [city] = inbox("changchun")
    assert city.topic == Topic.SUMMARY
    assert city.title == "“全省外贸企业开复工情况日调度”02月17日填报进度（截至14:00）"
    assert city.body == "长春市：已报1/2，未报1户"
    assert city.url.endswith("&region=220100") and "date=2020-02-17" in city.url
    assert [n.body for n in inbox("province")] == ["吉林省：已报1/5，未报4户"]
    assert [n.body for n in inbox("jilin")] == ["吉林市：已报0/1，未报1户"]
    assert inbox("leader") == [] and inbox("handler") == []


def test_each_round_is_sent_once_however_often_the_runner_looks(world: World, plan: Any) -> None:
    reporter_for(world, "chaoyang", "chaoyang_clerk")
    for minute in (0, 1, 30, 59):
        run(at(14, minute))
    assert len(inbox("chaoyang_clerk")) == 1
    assert len(inbox("changchun")) == 1
    run(at(15, 30))
    assert len(inbox("chaoyang_clerk")) == 2
    assert inbox("changchun")[-1].title.endswith("（截至15:30）")


def test_a_report_between_the_rounds_stops_the_second_reminder(world: World, plan: Any) -> None:
    reporter_for(world, "chaoyang", "chaoyang_clerk")
    run(at(14, 0))
    report(world, "liaison", "chaoyang", at(14, 20))
    run(at(15, 30))
    assert len(inbox("chaoyang_clerk")) == 1
    assert inbox("changchun")[-1].body == "长春市：已报1/2，未报1户"


def test_a_runner_that_was_down_sends_only_the_latest_round(world: World, plan: Any) -> None:
    reporter_for(world, "chaoyang", "chaoyang_clerk")
    run(at(15, 45))
    [only] = inbox("chaoyang_clerk")
    assert only.key.endswith(":15:30:" + str(world.enterprise("chaoyang").pk))


def test_after_the_deadline_liaisons_get_the_missing_list_once(world: World, plan: Any) -> None:
    report(world, "reporter", "nanguan", at(10))
    report(world, "liaison", "chaoyang", at(16, 5))  # late: after the deadline, still missing at 16:00
    run(at(16, 10))
    run(at(17, 0))
    [missing] = inbox("liaison")
    assert missing.topic == Topic.MISSING
    assert missing.title == "截止未报：1户"
    assert "已于16:00截止" in missing.body and "长春朝阳食品有限公司" in missing.body
    [final] = inbox("changchun")
    assert final.title.endswith("（16:00截止）") and final.body == "长春市：已报1/2，未报1户"


def test_nothing_is_sent_about_a_day_that_is_over_or_a_rest_day(world: World, plan: Any) -> None:
    run(at(8, 0, MONDAY + datetime.timedelta(days=1)))  # Tuesday morning: Monday's list is stale
    run(at(14, 0, datetime.date(2020, 2, 22)))  # a Saturday: the plan reports on working days only
    assert Notification.objects.count() == 0


def test_a_plan_without_reminder_times_reminds_nobody_but_still_lists_the_missing(
    world: World, plan: Any
) -> None:
    plan.reminder_times = []
    plan.save()
    run(at(15, 0))
    assert Notification.objects.count() == 0
    run(at(16, 1))
    assert inbox("liaison")[0].topic == Topic.MISSING


def test_a_weekly_plan_reminds_on_its_deadline_day_only(world: World, plan: Any) -> None:
    plan.cadence = "weekly"
    plan.deadline_weekday = 4  # Friday
    plan.save()
    run(at(14, 0))  # Monday
    assert inbox("liaison") == []
    run(at(14, 0, datetime.date(2020, 2, 21)))
    assert inbox("liaison")[0].title == "1户企业尚未报送"


def test_reminders_also_go_by_sms_and_the_region_robot_through_the_outbox(world: World, plan: Any) -> None:
    sms = Channel.objects.create(kind=Channel.Kind.SMS, name="短信网关", url="http://127.0.0.1:9/sms")
    robot = Channel.objects.create(
        kind=Channel.Kind.WECOM,
        name="长春调度群",
        url="http://127.0.0.1:9/wecom",
        region_id="220100",
        topics=[Topic.SUMMARY],
    )
    reporter_for(world, "chaoyang", "chaoyang_clerk", phone="13900000001")
    from fugong.dispatch.plans.reminders import run_reminders as rounds

    assert rounds(at(14, 0)) == 1
    texts = {(d.channel_id, d.address): d for d in Delivery.objects.all()}
    assert set(texts) == {(sms.pk, "13900000001"), (robot.pk, "")}
    assert texts[robot.pk, ""].body == "长春市：已报0/2，未报2户"
    assert rounds(at(14, 5)) == 0 and Delivery.objects.count() == 2


def test_the_runner_returns_how_many_rounds_it_sent(world: World, plan: Any) -> None:
    assert run_reminders(at(14, 0)) == 1
    assert run_reminders(at(14, 0)) == 0


def test_reminder_times_typed_without_a_leading_zero_still_count(world: World, plan: Any) -> None:
    plan.reminder_times = ["9:30", "差一刻四点"]
    plan.save()
    run(at(10, 0))
    assert inbox("liaison")[0].key.endswith(":09:30:liaison")


def test_the_board_says_what_the_runners_have_sent(world: World, plan: Any) -> None:
    page = world.client("changchun").get(f"/dispatch/board/?plan={plan.pk}&date=2020-02-17").content.decode()
    assert "未报企业将在 14:00、15:30 自动收到提醒" in page
    run(at(14, 0))
    run(at(16, 1))
    page = world.client("changchun").get(f"/dispatch/board/?plan={plan.pk}&date=2020-02-17").content.decode()
    assert "14:00 已自动提醒未报企业5户；16:00 截止，已把未报名单（5户）发给联络员" in page
