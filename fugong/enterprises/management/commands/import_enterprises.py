from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from fugong.accounts.models import User
from fugong.core.errors import DomainError
from fugong.core.models import Channel
from fugong.enterprises.importing import check_import_enterprises


class Command(BaseCommand):
    help = "从 .xlsx/.xls/.csv 导入企业名单（按统一社会信用代码新增或更新）；有被拒绝的行时退出码为1"

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("file", help="企业名单文件")
        parser.add_argument("--dry-run", action="store_true", help="只检查，不写入")
        parser.add_argument("--partial", action="store_true", help="写入正确的行，跳过有错的行")
        parser.add_argument(
            "--accounts",
            action="store_true",
            help="按联系人、联系电话（手机号）开通或关联企业填报员账号，并为新账号排队发送邀请短信",
        )
        parser.add_argument(
            "--as-user", dest="username", default=None, help="以此账号的管辖范围导入（默认不限范围）"
        )

    def handle(
        self,
        *args: Any,
        file: str,
        dry_run: bool,
        partial: bool,
        accounts: bool,
        username: str | None,
        **o: Any,
    ) -> None:
        path = Path(file)
        if not path.is_file():
            raise CommandError(f"找不到文件：{file}")
        user: Any = self.command_user(username)
        try:
            result = check_import_enterprises(
                user,
                path.read_bytes(),
                path.name,
                channel=Channel.CLI,
                dry_run=dry_run,
                partial=partial,
                accounts=accounts,
            )
        except DomainError as exc:
            self.stderr.write(f"{path.name}：{exc.message}")
            raise SystemExit(1) from None
        for outcome in result.rejected:
            self.stdout.write(f"第{outcome.row}行 {outcome.uscc} {outcome.name}：{outcome.message}")
        if result.accounts is not None and result.written:
            for row, reason in sorted(result.accounts.rejected.items()):
                self.stdout.write(f"第{row}行 未开通填报账号：{reason}")
        self.stdout.write(result.summary())
        if result.rejected:
            if not result.written:
                self.stdout.write(
                    "有被拒绝的行，未写入任何数据；修改后重新导入，或加 --partial 只导入正确的行"
                )
            raise SystemExit(1)

    def command_user(self, username: str | None) -> Any:
        if username is None:
            return SystemUser()
        user = User.objects.filter(username=username, is_active=True).first()
        if user is None:
            raise CommandError(f"账号“{username}”不存在或已停用")
        return user


class SystemUser:
    """The operator at the server's console: not scoped, recorded as 系统 in history."""

    is_authenticated = True
    is_active = True
    is_superuser = True
    pk = None
