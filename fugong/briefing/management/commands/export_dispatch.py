from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand

from fugong.briefing import export
from fugong.dispatch.management.commands._common import Everyone, add_common_arguments, resolve


class Command(BaseCommand):
    help = "导出调度表（官方表式 .xlsx）：默认每户企业一行，--by region 为每个下级单位一行"

    def add_arguments(self, parser: Any) -> None:
        add_common_arguments(parser)
        parser.add_argument("-o", "--output", required=True, help="输出文件（.xlsx）")
        parser.add_argument("--by", choices=["enterprise", "region"], default="enterprise")

    def handle(
        self, *args: Any, plan: int, date: str, region: str | None, output: str, by: str, **o: Any
    ) -> None:
        the_plan, day, node = resolve(plan, date, region)
        write = export.by_region if by == "region" else export.by_enterprise
        rows = write(Path(output), the_plan, day, node, Everyone())
        self.stdout.write(f"已导出 {output}：{rows}行")
