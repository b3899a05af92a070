from __future__ import annotations

import time
from datetime import datetime
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db import close_old_connections, connection
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from fugong.core.jobs import fail_stale_jobs, run_one


class Command(BaseCommand):
    help = "运行到期的后台任务（大文件导入等）；--once 处理完当前到期的任务后退出"

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--once", action="store_true", help="处理完当前到期的任务后退出（供 cron 和测试）"
        )
        parser.add_argument(
            "--now", default=None, help="按此时刻判断哪些任务到期，如 2020-02-17T15:30:00+08:00"
        )
        parser.add_argument("--interval", type=float, default=2.0, help="空闲时的轮询间隔（秒）")

    def handle(self, *args: Any, once: bool, now: str | None, interval: float, **options: Any) -> None:
        moment = self.parse_now(now)
        processed = 0
        fail_stale_jobs(moment or timezone.now())
        while True:
            if not connection.in_atomic_block:  # (tests run the command inside a transaction)
                close_old_connections()  # survive a database restart between jobs
            if run_one(moment):
                processed += 1
                continue
            if once:
                break
            time.sleep(interval)
        self.stdout.write(f"已处理后台任务 {processed} 个")

    def parse_now(self, text: str | None) -> datetime | None:
        if text is None:
            return None
        moment = parse_datetime(text)
        if moment is None:
            raise CommandError(f"--now 的“{text}”不是有效时刻，请写成 2020-02-17T15:30:00+08:00")
        return moment if timezone.is_aware(moment) else timezone.make_aware(moment)
