"""`channels add|list|test`: the outbox's channels from the command line (notify.channel_setup)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from fugong.core.errors import DomainError
from fugong.core.models import Channel as AuditChannel
from fugong.notify.channel_setup import NewChannel, channel_named, do_add_channel, do_test_channel
from fugong.notify.models import Channel


def masked_url(url: str) -> str:
    """A robot's webhook carries its access token in the query: shown cut, not in full."""
    base, sep, query = url.partition("?")
    return f"{base}?…" if sep and query else url


class Command(BaseCommand):
    help = (
        "设置外部通知渠道（短信网关、邮件、企业微信和钉钉群机器人）：add 新建，list 列出，test 发送测试消息"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True, title="操作")
        add = actions.add_parser("add", help="新建渠道")
        add.add_argument("--kind", required=True, help="类型：sms（短信网关）、mail、wecom、dingtalk")
        add.add_argument("--url", default="", help="接口地址（短信网关或群机器人的 Webhook）")
        add.add_argument("--token", default="", help="短信网关的访问令牌（Bearer），或钉钉“加签”密钥")
        add.add_argument("--name", default="", help="名称（默认为类型名称）")
        add.add_argument("--region", default=None, help="群机器人推送的区划代码")
        add.add_argument("--topics", default="", help="群机器人推送的消息类别，逗号分隔，如 summary,missing")
        add.add_argument("--sender", default="", help="电子邮件的发件地址")
        actions.add_parser("list", help="列出渠道")
        test = actions.add_parser("test", help="通过渠道立即发送一条测试消息，并说明对方是否接收")
        test.add_argument("name", help="渠道名称（或编号）")
        test.add_argument("--to", default="", help="短信或邮件的接收手机号、邮箱")

    def handle(self, *args: Any, action: str, **options: Any) -> None:
        try:
            getattr(self, action)(**options)
        except DomainError as exc:
            raise CommandError(exc.message) from exc

    def add(self, **o: Any) -> None:
        topics = tuple(t.strip() for t in o["topics"].split(",") if t.strip())
        new = NewChannel(o["kind"], o["url"], o["token"], o["name"], o["region"], topics, o["sender"])
        row = do_add_channel(new, actor=None, channel=AuditChannel.CLI)
        self.stdout.write(f"已新建渠道 {row.pk}「{row.name}」（{row.get_kind_display()}）")

    def list(self, **o: Any) -> None:
        rows = Channel.objects.order_by("pk")
        if not rows:
            self.stdout.write("还没有通知渠道，可用 channels add 新建")
        for row in rows:
            state = "启用" if row.active else "停用"
            token = "，已设令牌" if row.secret else ""
            where = masked_url(row.url) or row.sender or "-"
            self.stdout.write(f"{row.pk}\t{row.name}\t{row.get_kind_display()}\t{where}\t{state}{token}")

    def test(self, **o: Any) -> None:
        row = channel_named(o["name"])
        refused = do_test_channel(row, to=o["to"], actor=None, channel=AuditChannel.CLI)
        if refused:
            raise CommandError(f"「{row.name}」未接收测试消息：{refused}")
        self.stdout.write(f"「{row.name}」已接收测试消息")
