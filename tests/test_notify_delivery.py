"""The outbox: each channel's format, and what happens when the other end is down, slow or failing."""

from __future__ import annotations

import base64
import datetime
import hashlib
import hmac
import io
from typing import Any

from django.core import mail
from django.core.management import call_command

from fugong.accounts.models import User
from fugong.notify.actions import Notice, do_broadcast, do_notify, do_retry_deliveries
from fugong.notify.delivery import MAX_ATTEMPTS, deliver_one
from fugong.notify.models import Channel, Delivery, Notification, Preference, Topic
from tests.conftest import World
from tests.support.fake_webhook import closed_port, fake_webhook
from tests.support.reports import SHANGHAI

T0 = datetime.datetime(2020, 2, 17, 14, 0, tzinfo=SHANGHAI)
S = datetime.timedelta(seconds=1)
SUMMARY = Notice(
    Topic.SUMMARY, "填报进度（截至14:00）", "长春市：已报412/450，未报38户", "/dispatch/board/?plan=1"
)


def robot(kind: str, url: str, **fields: Any) -> Channel:
    return Channel.objects.create(
        kind=kind, name="长春调度群", url=url, region_id="220100", topics=[Topic.SUMMARY], **fields
    )


def queued(notice: Notice = SUMMARY) -> Delivery:
    Delivery.objects.update(next_attempt_at=T0)  # (created with the real clock; the tests run at T0)
    do_broadcast(notice, region_code="220100")
    Delivery.objects.update(next_attempt_at=T0)
    return Delivery.objects.order_by("-id")[0]


def fresh(d: Delivery) -> Delivery:
    d.refresh_from_db()
    return d


def test_a_wecom_robot_gets_markdown_and_the_row_is_marked_sent(world: World, settings: Any) -> None:
    settings.FUGONG_SITE_URL = "https://fugong.jl.gov.cn"
    with fake_webhook() as hook:
        robot(Channel.Kind.WECOM, hook.url())
        d = queued()
        assert deliver_one(T0) is True
    [seen] = hook.seen
    assert seen.query == {"access_token": "abc"}
    assert seen.body["msgtype"] == "markdown"
    content = seen.body["markdown"]["content"]
    assert "填报进度（截至14:00）" in content and "长春市：已报412/450，未报38户" in content
    assert "(https://fugong.jl.gov.cn/dispatch/board/?plan=1)" in content
    d = fresh(d)
    assert (d.status, d.attempts, d.sent_at, d.last_error) == (Delivery.Status.SENT, 1, T0, "")
    assert deliver_one(T0) is False  # nothing else is due


def test_a_signed_dingtalk_robot_gets_a_valid_timestamp_and_signature(world: World) -> None:
    secret = "SEC0123456789abcdef"
    with fake_webhook() as hook:
        robot(Channel.Kind.DINGTALK, hook.url(), secret=secret)
        d = queued()
        deliver_one(T0)
    [seen] = hook.seen
    # DingTalk's check: Base64(HMAC-SHA256(key=secret, msg=timestamp + "\n" + secret))
    expected = hmac.new(secret.encode(), f"{seen.query['timestamp']}\n{secret}".encode(), hashlib.sha256)
    assert seen.query["sign"] == base64.b64encode(expected.digest()).decode()
    assert seen.body["msgtype"] == "markdown" and seen.body["markdown"]["title"] == "填报进度（截至14:00）"
    assert fresh(d).status == Delivery.Status.SENT


def test_a_robot_that_answers_200_with_an_error_code_is_a_failure(world: World) -> None:
    with fake_webhook("refuse") as hook:
        robot(Channel.Kind.DINGTALK, hook.url(), secret="wrong")
        d = queued()
        deliver_one(T0)
    d = fresh(d)
    assert d.status == Delivery.Status.PENDING
    assert d.last_error == "第1次：对方拒绝：errcode 310000 sign not match"


def test_a_500_is_retried_with_growing_waits_then_given_up(world: World) -> None:
    with fake_webhook("500") as hook:
        robot(Channel.Kind.WECOM, hook.url())
        d = queued()
        now, waits = T0, []
        for _ in range(MAX_ATTEMPTS):
            assert deliver_one(now) is True
            d = fresh(d)
            waits.append(d.next_attempt_at - now)
            assert deliver_one(now) is False  # not due again before its wait is over
            now = d.next_attempt_at
    assert len(hook.seen) == MAX_ATTEMPTS
    assert waits[:4] == [30 * S, 60 * S, 120 * S, 240 * S]
    assert d.status == Delivery.Status.FAILED and d.attempts == MAX_ATTEMPTS
    assert d.last_error == f"第{MAX_ATTEMPTS}次：对方返回 HTTP 500"


def test_a_gateway_that_is_down_is_retried_later(world: World) -> None:
    robot(Channel.Kind.WECOM, f"http://127.0.0.1:{closed_port()}/send")
    d = queued()
    deliver_one(T0)
    d = fresh(d)
    assert d.status == Delivery.Status.PENDING and d.next_attempt_at == T0 + 30 * S
    assert d.last_error.startswith("第1次：无法连接")


def test_a_slow_robot_times_out_and_the_worker_moves_on(world: World, settings: Any) -> None:
    settings.FUGONG_WEBHOOK_TIMEOUT = 0.3
    with fake_webhook("slow", delay=2) as hook:
        robot(Channel.Kind.WECOM, hook.url())
        d = queued()
        deliver_one(T0)
    d = fresh(d)
    assert d.status == Delivery.Status.PENDING
    assert d.last_error == "第1次：对方在 0.3 秒内没有应答"


def test_a_recovered_robot_gets_the_retry(world: World) -> None:
    with fake_webhook("500") as hook:
        robot(Channel.Kind.WECOM, hook.url())
        d = queued()
        deliver_one(T0)
        hook.answer = "ok"
        deliver_one(T0 + 30 * S)
    d = fresh(d)
    assert (d.status, d.attempts, d.last_error) == (Delivery.Status.SENT, 2, "")
    assert len(hook.seen) == 2


def test_the_sms_gateway_gets_the_phone_the_text_and_the_token(world: World) -> None:
    with fake_webhook() as hook:
        Channel.objects.create(kind=Channel.Kind.SMS, name="短信网关", url=hook.url("/sms"), secret="tok-1")
        user = world.user("reporter")
        User.objects.filter(pk=user.pk).update(phone="13900000002")
        do_notify(None, [(user.pk, Notice(Topic.REMINDER, "请报送", "南关尚未报送", key="k1"))])
        Delivery.objects.update(next_attempt_at=T0)
        deliver_one(T0)
    [seen] = hook.seen
    assert seen.body == {"phone": "13900000002", "text": "请报送\n南关尚未报送"}
    assert seen.headers["authorization"] == "Bearer tok-1"


def test_email_goes_through_djangos_mail_backend(world: World) -> None:
    Channel.objects.create(kind=Channel.Kind.EMAIL, name="邮件", sender="fugong@jl.gov.cn")
    user = world.user("handler")
    User.objects.filter(pk=user.pk).update(email="handler@swj.changchun.gov.cn")
    do_notify(None, [(user.pk, Notice(Topic.SLA, "【红灯预警】工单1", "签收时限将到"))])
    Delivery.objects.update(next_attempt_at=T0)
    deliver_one(T0)
    [message] = mail.outbox
    assert message.subject == "【复工通】【红灯预警】工单1"
    assert message.to == ["handler@swj.changchun.gov.cn"] and message.from_email == "fugong@jl.gov.cn"


def test_a_user_without_phone_or_a_topic_they_turned_off_gets_only_the_inbox(world: World) -> None:
    Channel.objects.create(kind=Channel.Kind.SMS, name="短信网关", url="http://127.0.0.1:9/")
    user = world.user("reporter")
    do_notify(None, [(user.pk, Notice(Topic.REMINDER, "请报送", ""))])  # no phone
    User.objects.filter(pk=user.pk).update(phone="13900000003")
    Preference.objects.create(user=user, sms_topics=[Topic.SLA])
    do_notify(None, [(user.pk, Notice(Topic.REMINDER, "请报送", ""))])
    assert Notification.objects.filter(user=user).count() == 2
    assert Delivery.objects.count() == 0


def test_a_keyed_notice_reaches_each_user_once(world: World) -> None:
    user = world.user("reporter")
    notice = Notice(Topic.REMINDER, "请报送", "", key="remind:1:2020-02-17:14:00:5")
    assert do_notify(None, [(user.pk, notice), (user.pk, notice)]) == 1
    assert do_notify(None, [(user.pk, notice)]) == 0
    assert Notification.objects.filter(user=user).count() == 1


def test_quiet_hours_hold_sms_until_morning_but_not_the_inbox(world: World) -> None:
    with fake_webhook() as hook:
        Channel.objects.create(kind=Channel.Kind.SMS, name="短信网关", url=hook.url("/sms"))
        user = world.user("reporter")
        User.objects.filter(pk=user.pk).update(phone="13900000004")
        Preference.objects.create(
            user=user, sms_topics=[Topic.SLA], quiet_from=datetime.time(22), quiet_to=datetime.time(7)
        )
        do_notify(None, [(user.pk, Notice(Topic.SLA, "【已超时】工单3", ""))])
        night = datetime.datetime(2020, 2, 17, 23, 30, tzinfo=SHANGHAI)
        Delivery.objects.update(next_attempt_at=night)
        assert deliver_one(night) is True  # held, not sent
        d = Delivery.objects.get()
        assert d.status == Delivery.Status.PENDING and d.attempts == 0
        assert d.next_attempt_at == datetime.datetime(2020, 2, 18, 7, 0, tzinfo=SHANGHAI)
        assert hook.seen == []
        assert Notification.objects.filter(user=user, read_at__isnull=True).count() == 1
        deliver_one(d.next_attempt_at)
    assert len(hook.seen) == 1


def test_a_channel_sends_no_more_than_its_allowance_per_minute(world: World) -> None:
    with fake_webhook() as hook:
        robot(Channel.Kind.WECOM, hook.url(), per_minute=2)
        for n in range(3):
            do_broadcast(Notice(Topic.SUMMARY, f"进度{n}", "", key=f"k{n}"), region_code="220100")
        Delivery.objects.update(next_attempt_at=T0)
        for second in range(3):
            deliver_one(T0 + second * S)
        assert len(hook.seen) == 2
        held = Delivery.objects.get(status=Delivery.Status.PENDING)
        assert held.next_attempt_at == T0 + 60 * S and held.attempts == 0
        deliver_one(T0 + 60 * S)
    assert len(hook.seen) == 3


def test_an_administrator_sees_the_status_and_retries_a_failed_row(world: World) -> None:
    robot(Channel.Kind.WECOM, f"http://127.0.0.1:{closed_port()}/send")
    d = queued()
    Delivery.objects.filter(pk=d.pk).update(
        status=Delivery.Status.FAILED, attempts=MAX_ATTEMPTS, last_error="x"
    )
    User.objects.filter(username="admin").update(is_staff=True, is_superuser=True)  # as seed_demo makes it
    admin = world.client("admin")
    page = admin.get("/admin/notify/delivery/?status__exact=failed").content.decode()
    assert "发送失败" in page and "填报进度（截至14:00）" in page
    assert do_retry_deliveries(world.user("admin"), [d.pk]) == 1
    d = fresh(d)
    assert (d.status, d.attempts) == (Delivery.Status.PENDING, 0)


def test_run_jobs_delivers_the_outbox(world: World) -> None:
    with fake_webhook() as hook:
        robot(Channel.Kind.WECOM, hook.url())
        queued()
        call_command("run_jobs", "--once", "--now", T0.isoformat(), stdout=io.StringIO())
    assert len(hook.seen) == 1
    assert Delivery.objects.get().status == Delivery.Status.SENT


def test_an_administrator_sets_up_a_robot_with_clear_errors_then_sends_a_test(world: World) -> None:
    User.objects.filter(username="admin").update(is_staff=True, is_superuser=True)
    admin = world.client("admin")
    form = {"kind": "dingtalk", "name": "长春调度群", "topics": "[]", "per_minute": "20", "active": "on"}
    refused = admin.post("/admin/notify/channel/add/", form).content.decode()
    assert "钉钉群机器人需要填写接口地址（Webhook）" in refused
    assert "请为群机器人选择区划（推送填报进度）或部门（推送办理时限预警）" in refused
    assert "请填写群机器人推送的消息类别" in refused
    assert not Channel.objects.exists()
    with fake_webhook() as hook:
        form.update(url=hook.url(), region="220100", topics='["summary"]', secret="SEC1")
        assert admin.post("/admin/notify/channel/add/", form).status_code == 302
        channel = Channel.objects.get()
        done = admin.post(
            "/admin/notify/channel/", {"action": "send_test", "_selected_action": [channel.pk]}, follow=True
        )
        assert "长春调度群：测试消息已排队" in done.content.decode()
        assert deliver_one() is True
    [seen] = hook.seen
    assert "收到说明设置正确" in seen.body["markdown"]["text"]
    assert Delivery.objects.get().status == Delivery.Status.SENT


def test_notices_beyond_one_slice_are_all_written_once(world: World, monkeypatch: Any) -> None:
    monkeypatch.setattr("fugong.notify.actions.NOTIFY_SLICE", 2)
    names = ["reporter", "liaison", "changchun", "province", "jilin"]
    pairs = [(world.user(n).pk, Notice(Topic.REMINDER, "请报送", "", key=f"k-{n}")) for n in names]
    assert do_notify(None, pairs + pairs[:3]) == 5
    assert sorted(Notification.objects.values_list("key", flat=True)) == sorted(f"k-{n}" for n in names)


def test_one_failing_robot_does_not_hold_back_the_rest_of_the_batch(world: World) -> None:
    with fake_webhook("500") as broken, fake_webhook() as working:
        robot(Channel.Kind.WECOM, broken.url())
        Channel.objects.create(
            kind=Channel.Kind.DINGTALK,
            name="吉林调度群",
            url=working.url(),
            region_id="220200",
            topics=[Topic.SUMMARY],
        )
        for n in range(3):
            do_broadcast(Notice(Topic.SUMMARY, f"进度{n}", "", key=f"c{n}"), region_code="220100")
            do_broadcast(Notice(Topic.SUMMARY, f"进度{n}", "", key=f"j{n}"), region_code="220200")
        Delivery.objects.update(next_attempt_at=T0)
        assert deliver_one(T0) is True
    statuses = dict(Delivery.objects.values_list("key", "status"))
    assert statuses == {
        "c0": "pending", "c1": "pending", "c2": "pending", "j0": "sent", "j1": "sent", "j2": "sent",
    }  # fmt: skip
    assert set(Delivery.objects.filter(status="pending").values_list("attempts", flat=True)) == {1}
    assert len(working.seen) == 3 and len(broken.seen) == 3


def test_a_batch_fits_in_the_lease_however_slow_the_timeout(settings: Any) -> None:
    from fugong.notify.delivery import LEASE, batch_size

    settings.FUGONG_WEBHOOK_TIMEOUT = 5
    assert batch_size() * 5 < LEASE.total_seconds()
    settings.FUGONG_WEBHOOK_TIMEOUT = 60
    assert batch_size() == 2 and batch_size() * 60 < LEASE.total_seconds()
