from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from fugong.accounts.models import User
from fugong.core.access import Action
from fugong.core.errors import DomainError
from fugong.core.models import Channel
from fugong.dispatch.management.commands._common import Everyone, resolve
from fugong.dispatch.sheets.reading import check_import_reports
from fugong.dispatch.sheets.result import result_workbook
from fugong.regions.models import access_node


class Command(BaseCommand):
    help = "把填好的调度表（.xlsx/.xls/.csv）导入为各企业当日的填报；有被拒绝的行时不写入任何数据，退出码为1"

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("file", help="填好的调度表")
        parser.add_argument("--plan", type=int, required=True, help="调度任务编号")
        parser.add_argument("--date", required=True, help="填报日期，如 2020-02-17")
        parser.add_argument("--region", default=None, help="只接受此区划内的企业（默认不限）")
        parser.add_argument("--dry-run", action="store_true", help="只检查，不写入")
        parser.add_argument(
            "--confirm-warnings", action="store_true", help="已核实表中的异常数据（如报到多于在册），确认导入"
        )
        parser.add_argument(
            "--overwrite-self-reports",
            action="store_true",
            help="企业当日已自行报送的，也用表中数据覆盖（默认保留企业自行报送的数据，并列出这些行）",
        )
        parser.add_argument("--result", default=None, help="另存一份带“导入结果”列的表格到此路径（.xlsx）")
        parser.add_argument("--as-user", dest="username", default=None, help="以此账号的身份和管辖范围导入")

    def handle(self, *args: Any, **o: Any) -> None:
        path = Path(o["file"])
        if not path.is_file():
            raise CommandError(f"找不到文件：{o['file']}")
        plan, day, _ = resolve(o["plan"], o["date"], None)
        user = self.command_user(o["username"])
        try:
            region = access_node(user, o["region"], Action.REPORT) if o["region"] else None
            result = check_import_reports(
                user,
                path.read_bytes(),
                path.name,
                plan=plan,
                day=day,
                region=region,
                channel=Channel.CLI,
                dry_run=o["dry_run"],
                confirm_warnings=o["confirm_warnings"],
                overwrite_self_reports=o["overwrite_self_reports"],
            )
        except DomainError as exc:
            self.stderr.write(f"{path.name}：{exc.message}")
            raise SystemExit(1) from None
        for outcome in result.outcomes:
            if outcome.status == "rejected" or outcome.notes:
                self.stdout.write(
                    f"第{outcome.row}行 {outcome.uscc} {outcome.name}：{outcome.status_label}，{outcome.message}"
                )
        self.stdout.write(result.summary())
        if o["result"]:
            Path(o["result"]).write_bytes(result_workbook(result))
        if result.kept:
            self.stdout.write(
                f"{len(result.kept)}家企业当日已自行报送，其数据未被覆盖；如确需覆盖，请核实后加 --overwrite-self-reports 重新导入"
            )
        if result.rejected:
            self.stdout.write("有被拒绝的行，未写入任何数据；按上面的原因修改后重新导入")
            raise SystemExit(1)

    def command_user(self, username: str | None) -> Any:
        if username is None:
            return Everyone()
        user = User.objects.filter(username=username, is_active=True).first()
        if user is None:
            raise CommandError(f"账号“{username}”不存在或已停用")
        return user
