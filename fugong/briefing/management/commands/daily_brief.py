from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand

from fugong.briefing import brief
from fugong.dispatch.management.commands._common import Everyone, add_common_arguments, resolve


class Command(BaseCommand):
    help = "生成调度日报：打印正文，-o 同时写出 .docx"

    def add_arguments(self, parser: Any) -> None:
        add_common_arguments(parser)
        parser.add_argument("-o", "--output", default=None, help="写出 Word 文件（.docx）")

    def handle(
        self, *args: Any, plan: int, date: str, region: str | None, output: str | None, **o: Any
    ) -> None:
        the_plan, day, node = resolve(plan, date, region)
        result = brief.build(the_plan, day, node, Everyone())
        self.stdout.write(result.text())
        if output:
            Path(output).write_bytes(brief.docx_bytes(result))
            self.stdout.write(f"已写出 {output}")
