from __future__ import annotations

import signal
import threading
import time
from datetime import datetime
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db import close_old_connections, connection
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from fugong.core.jobs import drain_one, fail_stale_jobs, run_periodic


class Command(BaseCommand):
    help = (
        "运行后台任务：到点的填报提醒、办理时限预警、每日汇总、导入导出和通知投递；"
        "--once 处理完当前到期的事项后退出（供 cron 和测试）"
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--once", action="store_true", help="处理完当前到期的事项后退出（供 cron 和测试）"
        )
        parser.add_argument(
            "--now", default=None, help="按此时刻判断哪些事项到期，如 2020-02-17T15:30:00+08:00（补发、测试）"
        )
        parser.add_argument("--interval", type=float, default=2.0, help="空闲时的轮询间隔（秒）")
        parser.add_argument(
            "--tick", type=float, default=30.0, help="检查定时事项（提醒、预警、汇总）的间隔（秒）"
        )

    def handle(
        self, *args: Any, once: bool, now: str | None, interval: float, tick: float, **options: Any
    ) -> None:
        moment = self.parse_now(now)
        self.stopping = threading.Event()
        if not once and threading.current_thread() is threading.main_thread():
            # SIGTERM (systemd, docker stop) and Ctrl-C end the loop after the item in hand
            for sig in (signal.SIGTERM, signal.SIGINT):
                signal.signal(sig, lambda *_: self.stopping.set())
        fail_stale_jobs(moment or timezone.now())
        processed, last_tick = 0, -tick
        while not self.stopping.is_set():
            if not connection.in_atomic_block:  # (tests run the command inside a transaction)
                close_old_connections()  # survive a database restart between items
            if time.monotonic() - last_tick >= tick:
                last_tick = time.monotonic()
                run_periodic(moment or timezone.now())
            if drain_one(moment):
                processed += 1
                continue
            if once:
                break
            self.stopping.wait(interval)
        self.stdout.write(f"已处理后台任务和通知 {processed} 个" + ("（收到停止信号）" if not once else ""))

    def parse_now(self, text: str | None) -> datetime | None:
        if text is None:
            return None
        moment = parse_datetime(text)
        if moment is None:
            raise CommandError(f"--now 的“{text}”不是有效时刻，请写成 2020-02-17T15:30:00+08:00")
        return moment if timezone.is_aware(moment) else timezone.make_aware(moment)
