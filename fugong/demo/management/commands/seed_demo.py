from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from fugong.demo.seeding import DEMO_USERS, seed_demo


class Command(BaseCommand):
    help = "生成演示用的吉林省数据：部门、企业、演示账号（可重复执行）"

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--password", default="fugong-demo-2020", help="演示账号的密码")
        parser.add_argument("--enterprises", type=int, default=3000, help="企业数量（默认3000）")
        parser.add_argument("--days", type=int, default=14, help="生成多少天的填报历史（含今天，默认14）")
        parser.add_argument("--seed", type=int, default=2020, help="随机种子，相同种子生成相同数据")

    def handle(
        self, *args: Any, password: str, enterprises: int, days: int, seed: int, **options: Any
    ) -> None:
        if enterprises < 1:
            raise CommandError("--enterprises 至少为1")
        if len(password) < 8:
            raise CommandError("--password 至少8位")
        if days < 0:
            raise CommandError("--days 不能为负数")
        counts = seed_demo(password=password, enterprises=enterprises, days=days, seed=seed)
        self.stdout.write(
            f"演示数据已就绪：部门{counts['departments']}个，新增企业{counts['enterprises_created']}户，账号{counts['users']}个，"
            f"调度任务{counts['plans']}个，新增日报{counts['reports']}份，"
            f"新增诉求工单{counts['work_orders']}件，新增消息{counts['notifications']}条"
        )
        self.stdout.write("演示账号（密码为 --password 所给，默认 fugong-demo-2020）：")
        for user in DEMO_USERS:
            self.stdout.write(f"  {user.username:<16} {user.described}")
