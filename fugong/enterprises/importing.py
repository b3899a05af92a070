"""Bulk import of the enterprise registry from .xlsx/.xls/.csv: upsert by USCC.

All-or-nothing by default: one bad row rejects the file and nothing is written. With
`partial`, valid rows are written and the bad ones reported. Every row gets an outcome —
created, updated, unchanged or rejected with its reasons — so the user can fix the sheet.

With `accounts`, each row with a 联系人 and 联系电话 also makes or links its reporter accounts
(accounts.onboarding), in the same transaction: a 联系电话 that is not a mobile rejects its row
like any other bad cell.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import transaction

from fugong.accounts.onboarding import (
    ContactRow,
    EnrolResult,
    do_enrol_reporters,
    parse_phones,
    wants_account,
)
from fugong.core import audit, tables
from fugong.core.access import Action
from fugong.core.cells import CellError
from fugong.enterprises.actions import Change, do_apply_changes, plan_change
from fugong.enterprises.fields import FIELDS_BY_NAME, HEADER_ALIASES, FieldError, Lookups, clean_fields
from fugong.enterprises.models import Enterprise

Progress = Callable[[int, int], None]
CHUNK = 500


@dataclass
class RowOutcome:
    row: int
    uscc: str
    name: str
    status: str = "rejected"  # created | updated | unchanged | rejected
    errors: list[FieldError] = field(default_factory=list)

    STATUS_LABELS = {"created": "新增", "updated": "更新", "unchanged": "无变化", "rejected": "拒绝"}

    @property
    def status_label(self) -> str:
        return self.STATUS_LABELS[self.status]

    @property
    def message(self) -> str:
        return "；".join(
            f"{e.label}：{e.message}" if e.value in (None, "") else f"{e.label}“{e.value}”：{e.message}"
            for e in self.errors
        )


@dataclass
class ImportResult:
    outcomes: list[RowOutcome]
    dry_run: bool
    partial: bool
    written: bool = False
    sheet: str = ""
    accounts: EnrolResult | None = None  # asked for reporter accounts (after a real import: the counts)

    def count(self, status: str) -> int:
        return sum(1 for o in self.outcomes if o.status == status)

    @property
    def rejected(self) -> list[RowOutcome]:
        return [o for o in self.outcomes if o.status == "rejected"]

    @property
    def rejected_for_phone(self) -> int:
        rows = {o.row for o in self.rejected if any(e.code == MOBILE_ERROR for e in o.errors)}
        return len(rows | set(self.accounts.rejected if self.accounts else ()))

    def summary(self) -> str:
        verb = "试导入（未写入）" if self.dry_run or not self.written else "导入完成"
        text = (
            f"{verb}：共{len(self.outcomes)}行，新增{self.count('created')}，更新{self.count('updated')}，"
            f"无变化{self.count('unchanged')}，拒绝{self.count('rejected')}"
        )
        if self.accounts is None:
            return text
        if not self.written:  # nothing was made: only what the phones stopped
            return f"{text}；因联系电话不能开通填报账号{self.rejected_for_phone}行"
        a = self.accounts
        return (
            f"{text}；填报账号：新建{a.created}，关联已有账号{a.linked}，更换手机号{a.moved}，"
            f"因联系电话拒绝{self.rejected_for_phone}"
        )


MOBILE_ERROR = "mobile"  # a 联系电话 an account cannot be made from


def read_rows(data: bytes, filename: str) -> tuple[str, list[tuple[int, dict[str, Any]]]]:
    """The sheet's name and (row number, {field: raw value}) for each data row."""
    sheets = tables.read_sheets(data, filename, max_bytes=settings.FUGONG_MAX_UPLOAD_BYTES)
    for sheet in sheets:
        header = tables.locate_header(sheet.rows, HEADER_ALIASES, required=("uscc",))
        if header is None:
            continue
        missing = [FIELDS_BY_NAME[f].label for f in ("uscc", "name") if f not in header.columns]
        if missing:
            raise tables.file_error(
                f"工作表“{sheet.name}”缺少“{'”“'.join(missing)}”列，请使用企业库导入模板的表头"
            )
        rows = [
            (number, {f: (row[col] if col < len(row) else None) for f, col in header.columns.items()})
            for number, row in tables.data_rows(sheet.rows, header)
        ]
        return sheet.name, rows
    raise tables.file_error(
        "找不到表头：前10行中没有“统一社会信用代码”列。请确认上传的是企业名单，表头含“统一社会信用代码”“企业名称”“所属区划”"
    )


def check_import_enterprises(
    user: Any,
    data: bytes,
    filename: str = "",
    *,
    channel: str,
    dry_run: bool = False,
    partial: bool = False,
    accounts: bool = False,
    progress: Progress | None = None,
) -> ImportResult:
    sheet_name, rows = read_rows(data, filename)
    if not rows:
        raise tables.file_error("表头下面没有任何企业数据行，请填写后再导入")
    lookups = Lookups()
    outcomes: list[RowOutcome] = []
    changes: list[tuple[RowOutcome, Change]] = []
    contacts: dict[int, ContactRow] = {}  # row → its contact, when accounts are asked for
    seen: dict[str, int] = {}
    total = len(rows)
    for start in range(0, total, CHUNK):
        batch = rows[start : start + CHUNK]
        parsed = [(number, *clean_fields(raw, lookups, creating=False), raw) for number, raw in batch]
        existing, changeable = _existing(user, [c.get("uscc") for _, c, _, _ in parsed])
        for number, cleaned, errors, raw in parsed:
            uscc = cleaned.get("uscc") or str(raw.get("uscc") or "")
            outcome = RowOutcome(number, uscc, str(cleaned.get("name") or raw.get("name") or ""))
            outcomes.append(outcome)
            errors = _blank_optional_kept(cleaned, raw, errors)
            if uscc and uscc in seen and not any(e.field == "uscc" for e in errors):
                errors.append(
                    FieldError(
                        "uscc", "统一社会信用代码", uscc, f"与第{seen[uscc]}行重复，同一企业只能出现一次"
                    )
                )
            seen.setdefault(uscc, number)
            current = existing.get(uscc)
            if current is not None and current.pk not in changeable:
                errors.append(
                    FieldError(
                        "uscc",
                        "统一社会信用代码",
                        uscc,
                        "该企业已登记在您管辖范围以外的区划，不能由您导入修改，请联系上级调度员",
                    )
                )
            if accounts:
                contact, phone_error = contact_of(number, uscc, cleaned, current)
                if phone_error is not None:
                    errors.append(phone_error)
                elif contact is not None:
                    contacts[number] = contact
            if not errors:
                change, errors = plan_change(user, cleaned, current)
            if errors:
                outcome.errors = errors
                continue
            outcome.status = "created" if change.creating else ("updated" if change.changes else "unchanged")
            changes.append((outcome, change))
        if progress:
            progress(min(start + CHUNK, total), total)
    result = ImportResult(outcomes, dry_run=dry_run, partial=partial, sheet=sheet_name)
    if accounts:
        result.accounts = EnrolResult()
    if dry_run or (result.rejected and not partial):
        if not dry_run:  # refused as a whole: still who tried what (a dry run changes nothing)
            audit.record_import(
                user, channel, "enterprise.import", filename, result.summary(), rows=total, written=False
            )
        return result
    to_write = [c for o, c in changes if o.status != "unchanged"]
    try:
        with transaction.atomic():  # all rows or none, even if the database fails half-way
            for start in range(0, len(to_write), CHUNK):
                do_apply_changes(
                    user, to_write[start : start + CHUNK], channel=channel, note=f"导入文件 {filename}"
                )
            if accounts:
                enrol_accounts(
                    user, result, [contacts[o.row] for o, _ in changes if o.row in contacts], channel
                )
            result.written = True
            audit.record_import(
                user, channel, "enterprise.import", filename, result.summary(), rows=total, written=True
            )
    except AccountsRefused:
        audit.record_import(
            user, channel, "enterprise.import", filename, result.summary(), rows=total, written=False
        )
    return result


class AccountsRefused(Exception):
    """A row's account could not be made once the enterprises were written: undo them all."""


def enrol_accounts(user: Any, result: ImportResult, contacts: list[ContactRow], channel: str) -> None:
    """The reporter accounts of the written rows. The rows were checked, so a refusal here is
    rare (a phone that is another account's user name); it fails the whole import unless
    `partial`, where the row's enterprise stays written and its account is reported missing."""
    result.accounts = do_enrol_reporters(user, contacts, channel=channel)
    if result.partial or not result.accounts.rejected:
        return
    by_row = {o.row: o for o in result.outcomes}
    for row, reason in result.accounts.rejected.items():
        by_row[row].status = "rejected"
        by_row[row].errors.append(FieldError("contact_phone", "联系电话", None, reason, MOBILE_ERROR))
    raise AccountsRefused


def contact_of(
    row: int, uscc: str, cleaned: dict[str, Any], current: Enterprise | None
) -> tuple[ContactRow | None, FieldError | None]:
    """The row's reporter contact (a blank cell keeps the stored 联系人/联系电话), or the error of
    a 联系电话 no account can be made from; neither for a row that names no reporter."""
    name = cleaned.get("contact_name") or (current.contact_name if current else "")
    phone = cleaned.get("contact_phone") or (current.contact_phone if current else "")
    if not wants_account(name, phone):
        return None, None
    try:
        parse_phones(phone)
    except CellError as exc:
        return None, FieldError("contact_phone", "联系电话", phone, str(exc), MOBILE_ERROR)
    previous = current.contact_phone if current else ""
    return ContactRow(row, uscc, name, phone, previous), None


def _blank_optional_kept(
    cleaned: dict[str, Any], raw: dict[str, Any], errors: list[FieldError]
) -> list[FieldError]:
    """A blank cell in an optional column means "leave as is", not "erase"."""
    for key, value in raw.items():
        if value in (None, "") or (isinstance(value, str) and not value.strip()):
            if key not in ("uscc", "name", "region"):
                cleaned.pop(key, None)
    if "region" in cleaned and cleaned["region"] is None:
        cleaned.pop("region")
    if cleaned.get("uscc") is None and not any(e.field == "uscc" for e in errors):
        errors.append(FieldError("uscc", "统一社会信用代码", None, "统一社会信用代码不能为空", "required"))
    if cleaned.get("name") is None and "name" in cleaned:
        cleaned.pop("name")
    return errors


def _existing(user: Any, codes: list[Any]) -> tuple[dict[str, Enterprise], set[int]]:
    wanted = [c for c in codes if c]
    found = {
        e.uscc: e
        for e in Enterprise.objects.filter(uscc__in=wanted)
        .select_related("region", "industry")
        .prefetch_related("sectors")
    }
    changeable = set(
        Enterprise.objects.visible_to(user, Action.CHANGE)
        .filter(uscc__in=wanted)
        .values_list("pk", flat=True)
    )
    return found, changeable
