from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from fugong.regions.loader import load_regions


class Command(BaseCommand):
    help = "载入 GB/T 2260 行政区划（可选乡镇级）及随附的调度层级配置；可重复执行"

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--towns",
            default="",
            help="同时载入这些省份的乡镇级区划，用两位省级代码，逗号分隔，如 22,15",
        )

    def handle(self, *args: Any, towns: str, **options: Any) -> None:
        provinces = [p.strip() for p in towns.replace("，", ",").split(",") if p.strip()]
        for p in provinces:
            if not (len(p) == 2 and p.isdigit()):
                raise CommandError(f"--towns 的“{p}”不是两位省级代码（如吉林为22、内蒙古为15）")
        started = time.monotonic()
        count = load_regions(provinces)
        self.stdout.write(f"已载入区划 {count} 条，用时 {time.monotonic() - started:.1f} 秒")
