"""Bulk import of the enterprise registry from .xlsx/.xls/.csv: upsert by USCC.

All-or-nothing by default: one bad row rejects the file and nothing is written. With
`partial`, valid rows are written and the bad ones reported. Every row gets an outcome —
created, updated, unchanged or rejected with its reasons — so the user can fix the sheet.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import transaction

from fugong.core import audit, tables
from fugong.core.access import Action
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

    def count(self, status: str) -> int:
        return sum(1 for o in self.outcomes if o.status == status)

    @property
    def rejected(self) -> list[RowOutcome]:
        return [o for o in self.outcomes if o.status == "rejected"]

    def summary(self) -> str:
        verb = "试导入（未写入）" if self.dry_run or not self.written else "导入完成"
        return (
            f"{verb}：共{len(self.outcomes)}行，新增{self.count('created')}，更新{self.count('updated')}，"
            f"无变化{self.count('unchanged')}，拒绝{self.count('rejected')}"
        )


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
    progress: Progress | None = None,
) -> ImportResult:
    sheet_name, rows = read_rows(data, filename)
    if not rows:
        raise tables.file_error("表头下面没有任何企业数据行，请填写后再导入")
    lookups = Lookups()
    outcomes: list[RowOutcome] = []
    changes: list[tuple[RowOutcome, Change]] = []
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
    if dry_run or (result.rejected and not partial):
        if not dry_run:  # refused as a whole: still who tried what (a dry run changes nothing)
            audit.record_import(user, channel, "enterprise.import", filename, result.summary(), rows=total, written=False)
        return result
    to_write = [c for o, c in changes if o.status != "unchanged"]
    with transaction.atomic():  # all rows or none, even if the database fails half-way
        for start in range(0, len(to_write), CHUNK):
            do_apply_changes(
                user, to_write[start : start + CHUNK], channel=channel, note=f"导入文件 {filename}"
            )
        result.written = True
        audit.record_import(user, channel, "enterprise.import", filename, result.summary(), rows=total, written=True)
    return result


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
