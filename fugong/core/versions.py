"""Versions that an edit is based on, and the refusal of a write based on an older one.

A form or an API client edits from what it read. When the stored row changed in between (a
second tab, a colleague, a script), writing the edit would silently undo that change; instead
the write is refused with both values, and the person resubmits knowingly from the new version.

- Reports count their revisions: the version is `Report.revision_count` (`base_revision`).
- Enterprises and plans have no revision counter: their version is a digest of the values a
  person can edit (`version_of`), so it changes exactly when one of them does and needs no
  column or migration; `base_version` (or an `If-Match` header on the API) carries it back.
"""

from __future__ import annotations

import datetime
import hashlib
import json
from decimal import Decimal
from typing import Any

from django.utils import timezone

from fugong.core.errors import Conflict
from fugong.core.models import Channel


class StaleVersion(Conflict):
    """The stored row changed after the edit's base was read; details["current"] holds its values."""

    code = "stale_version"
    default_message = "该记录已被他人修改，请核对后再提交"


def plain(value: Any) -> Any:
    if isinstance(value, datetime.time):
        return value.isoformat(timespec="minutes" if not value.second else "seconds")
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")  # 55.50 and 55.5 are one value; 100, not 1E+2
    if isinstance(value, list | tuple | set):
        items = [plain(v) for v in value]
        return sorted(items, key=str) if isinstance(value, set) else items
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if hasattr(value, "pk"):
        return value.pk
    return value


def version_of(values: dict[str, Any]) -> str:
    """A short digest of editable values: equal values give equal versions."""
    canonical = json.dumps(plain(values), sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()[:16]


def who_and_when(at: datetime.datetime | None, by: Any, channel: str) -> str:
    """“11:47 被 张三（网页）” — today's changes by the clock, older ones with the date too."""
    if at is None:
        return "刚才被他人"
    local = timezone.localtime(at)
    when = f"{local:%H:%M}" if local.date() == timezone.localdate() else f"{local:%m月%d日 %H:%M}"
    name = str(by) if by is not None else "系统"
    label = Channel(channel).label if channel in Channel.values else channel
    return f"{when} 被 {name}（{label}）"


def shown(value: Any) -> str:
    """A stored or typed value as a person reads it, the same for both (so equal ones compare equal)."""
    value = plain(value)
    if value in (None, "", [], {}):
        return "（空）"
    if value is True or value is False:
        return "是" if value else "否"
    if isinstance(value, list):
        return "、".join(sorted(str(v) for v in value))
    if isinstance(value, dict):
        return "；".join(f"{k} {shown(v)}" for k, v in value.items() if v not in (None, "", [], {})) or "（空）"
    return str(value)


def side_by_side(
    typed: dict[str, Any], current: dict[str, Any], labels: dict[str, str]
) -> list[tuple[str, str, str]]:
    """(label, what the person typed, what is stored) for each field where they differ."""
    rows = []
    for name, stored in current.items():
        if name in typed and shown(typed[name]) != shown(stored):
            rows.append((labels.get(name, name), shown(typed[name]), shown(stored)))
    return rows


def check_version(
    subject: str,
    obj: Any,
    current: dict[str, Any],
    base_version: str | None,
    labels: dict[str, str],
) -> None:
    """Refuses an edit of `obj` based on another version than its current values; None skips the
    check (API clients that do not send one). The message says who changed what, from the audit."""
    if base_version is None or base_version.strip().strip('"') == version_of(current):
        return
    from fugong.core import audit  # audit imports the models; versions stays importable from them

    event = audit.history(obj._meta.model_name, str(obj.pk)).first()
    who = who_and_when(event.at, event.actor, event.channel) if event else "刚才被他人"
    changed = [k for k in (event.changes if event else {}) if k in current]
    what = "、".join(f"{labels.get(k, k)} {shown(current[k])}" for k in changed[:4])
    more = "等" if len(changed) > 4 else ""
    raise StaleVersion(
        f"{subject}已于 {who} 修改{f'（{what}{more}）' if what else ''}，请核对后再提交",
        details={"current": plain(current), "version": version_of(current), "changed": changed},
    )
