"""The inbox in pages and API (unread badge, marking read), notice settings, and reminder times
on the plan form."""

from __future__ import annotations

import datetime
import json
from typing import Any

import pytest

from fugong.core.errors import ValidationFailed
from fugong.core.models import AuditEvent
from fugong.dispatch.plans.actions import check_save_plan
from fugong.notify.actions import Notice, do_notify
from fugong.notify.models import Notification, Preference, Topic
from tests.conftest import World


def two_for_the_reporter(world: World) -> None:
    user = world.user("reporter")
    do_notify(
        None, [(user.pk, Notice(Topic.REMINDER, "请报送02月17日复工情况", "南关尚未报送", "/dispatch/"))]
    )
    do_notify(None, [(user.pk, Notice(Topic.SLA, "【黄灯预警】工单1", ""))])


def test_the_badge_counts_unread_messages_until_they_are_marked_read(world: World) -> None:
    two_for_the_reporter(world)
    client = world.client("reporter")
    home = client.get("/dispatch/plans/").content.decode()
    assert '<span class="badge">2</span>' in home
    inbox = client.get("/notifications/").content.decode()
    assert "请报送02月17日复工情况" in inbox and "[填报提醒]" in inbox
    assert '<span class="badge">2</span>' in client.get("/dispatch/plans/").content.decode()  # a GET reads
    client.post("/notifications/read/")  # 全部标为已读 (tests/test_notify_inbox.py)
    assert '<span class="badge">' not in client.get("/dispatch/plans/").content.decode()


def test_the_api_lists_counts_and_marks_read_only_the_callers_own(world: World) -> None:
    two_for_the_reporter(world)
    do_notify(None, [(world.user("liaison").pk, Notice(Topic.MISSING, "截止未报：1户", ""))])
    client = world.client("reporter")
    assert client.get("/api/v1/notifications/unread").json() == {"unread": 2}
    items = client.get("/api/v1/notifications?topic=reminder").json()["items"]
    assert [(i["topic"], i["title"]) for i in items] == [("reminder", "请报送02月17日复工情况")]
    marked = client.post(
        "/api/v1/notifications/read", json.dumps({"ids": [items[0]["id"]]}), content_type="application/json"
    )
    assert marked.json() == {"marked": 1}
    assert client.get("/api/v1/notifications/unread").json() == {"unread": 1}
    everyone = Notification.objects.get(user__username="liaison")
    others = client.post(
        "/api/v1/notifications/read", json.dumps({"ids": [everyone.pk]}), content_type="application/json"
    )
    assert others.json() == {"marked": 0}  # someone else's message is not touched
    client.post("/api/v1/notifications/read", "{}", content_type="application/json")
    assert client.get("/api/v1/notifications/unread").json() == {"unread": 0}
    assert world.client(None).get("/api/v1/notifications/unread").status_code == 401


def test_a_user_chooses_sms_topics_and_quiet_hours(world: World) -> None:
    client = world.client("handler")
    page = client.get("/notifications/settings/").content.decode()
    assert "您还没有登记手机号" in page and "本系统尚未接入短信网关" in page
    response = client.post(
        "/notifications/settings/",
        {
            "sms_topics": ["sla"],
            "email_topics": ["sla", "summary"],
            "quiet_from": "22:00",
            "quiet_to": "7:00",
        },
    )
    assert response.status_code == 302
    saved = Preference.objects.get(user__username="handler")
    assert (saved.sms_topics, saved.email_topics) == (["sla"], ["summary", "sla"])
    assert (saved.quiet_from, saved.quiet_to) == (datetime.time(22), datetime.time(7))
    assert AuditEvent.objects.filter(action="notify.preference", actor__username="handler").exists()


def test_bad_settings_are_refused_in_chinese_and_nothing_is_saved(world: World) -> None:
    client = world.client("handler")
    half = client.post("/notifications/settings/", {"sms_topics": ["sla"], "quiet_from": "22:00"})
    assert half.status_code == 400
    assert "免打扰时段要同时填写开始和结束时间" in half.content.decode()
    wrong = client.post("/notifications/settings/", {"quiet_from": "25:00", "quiet_to": "07:00"})
    assert "免打扰开始时间“25:00”无效，请写成 22:00" in wrong.content.decode()
    made_up = client.post("/notifications/settings/", {"sms_topics": ["gossip"]})
    assert "短信接收的类别“gossip”不存在" in made_up.content.decode()
    assert not Preference.objects.exists()


def test_reminder_times_are_set_on_the_plan_and_must_come_before_the_deadline(
    world: World, plan: Any
) -> None:
    client = world.client("province")
    assert plan.reminder_times == ["14:00", "15:30"]
    form = client.get(f"/dispatch/plans/{plan.pk}/edit/").content.decode()
    assert 'value="14:00、15:30"' in form
    with pytest.raises(ValidationFailed, match="提醒时间16:30不早于截止时间16:00，请改到截止之前"):
        check_save_plan(world.user("province"), {"reminder_times": "15:00, 16:30"}, plan, channel="web")
    check_save_plan(world.user("province"), {"reminder_times": "15：45、9:30"}, plan, channel="web")
    listed = client.get(f"/api/v1/plans/{plan.pk}").json()
    assert listed["reminder_times"] == ["09:30", "15:45"]
    plan.refresh_from_db()
    assert plan.reminder_times == ["09:30", "15:45"]
    detail = client.get(f"/dispatch/plans/{plan.pk}/").content.decode()
    assert "09:30、15:45（只提醒尚未报送的企业）" in detail
