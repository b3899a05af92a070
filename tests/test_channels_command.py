"""`python manage.py channels add|list|test` sets up the SMS gateway and robots for a scripted
install (issue 14 §2); `test` says at once whether the gateway took the message."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from fugong.core.models import AuditEvent
from fugong.notify.models import Channel, Delivery
from tests.support.fake_webhook import closed_port, fake_webhook


def run(*args: str) -> str:
    out = io.StringIO()
    call_command("channels", *args, stdout=out)
    return out.getvalue()


def test_an_sms_gateway_is_added_listed_and_tested_from_the_command_line(db: Any) -> None:
    with fake_webhook() as gateway:
        said = run(
            "add",
            "--kind",
            "sms",
            "--url",
            gateway.url("/sms"),
            "--token",
            "gw-secret",
            "--name",
            "省短信平台",
        )
        assert "已新建渠道" in said and "省短信平台" in said and "短信网关" in said
        listed = run("list")
        assert "省短信平台" in listed and gateway.url("/sms") in listed and "已设令牌" in listed
        assert "gw-secret" not in listed
        assert "已接收测试消息" in run("test", "省短信平台", "--to", "13804310000")
        [seen] = gateway.seen
    assert seen.body["phone"] == "13804310000" and "测试消息" in seen.body["text"]
    assert seen.headers["authorization"] == "Bearer gw-secret"
    assert Delivery.objects.get().status == Delivery.Status.SENT
    added = AuditEvent.objects.get(action="notify.channel_add")
    assert "gw-secret" not in str(added.changes) and added.channel == "cli"


def test_a_gateway_that_refuses_or_is_down_is_said_so(db: Any) -> None:
    with fake_webhook(answer="500") as gateway:
        run("add", "--kind", "sms", "--url", gateway.url("/sms"), "--name", "坏网关")
        with pytest.raises(CommandError, match="「坏网关」未接收测试消息：对方返回 HTTP 500"):
            run("test", "坏网关", "--to", "13804310000")
    run("add", "--kind", "sms", "--url", f"http://127.0.0.1:{closed_port()}/sms", "--name", "停机网关")
    with pytest.raises(CommandError, match="未接收测试消息：无法连接"):
        run("test", "停机网关", "--to", "13804310000")
    assert set(Delivery.objects.values_list("status", flat=True)) == {Delivery.Status.FAILED}


def test_wrong_setups_are_refused_with_the_reason(db: Any) -> None:
    with pytest.raises(CommandError, match="渠道类型“fax”不存在"):
        run("add", "--kind", "fax", "--url", "http://127.0.0.1/x")
    with pytest.raises(CommandError, match="需要填写接口地址"):
        run("add", "--kind", "sms")
    with pytest.raises(CommandError, match="请为群机器人选择区划"):
        run("add", "--kind", "wecom", "--url", "http://127.0.0.1/robot")
    run("add", "--kind", "sms", "--url", "http://127.0.0.1:9/sms")
    with pytest.raises(CommandError, match="已有名为“短信网关”的渠道"):
        run("add", "--kind", "sms", "--url", "http://127.0.0.1:9/sms")
    with pytest.raises(CommandError, match="请用 --to 指定接收测试消息的手机号"):
        run("test", "短信网关")
    with pytest.raises(CommandError, match="没有名为“邮件”的渠道"):
        run("test", "邮件")
    assert Channel.objects.count() == 1


def test_a_group_robot_and_the_mail_server_can_be_added_too(db: Any) -> None:
    with fake_webhook() as robot:
        run(
            "add",
            "--kind",
            "wecom",
            "--url",
            robot.url(),
            "--name",
            "长春调度群",
            "--region",
            "220100",
            "--topics",
            "summary,missing",
        )
        assert "长春调度群" in run("list") and "access_token" not in run("list")
        assert "已接收测试消息" in run("test", "长春调度群")
        assert "测试消息" in robot.seen[0].body["markdown"]["content"]
    run("add", "--kind", "mail", "--sender", "fugong@example.gov.cn")
    assert Channel.objects.get(kind=Channel.Kind.EMAIL).name == "电子邮件"
