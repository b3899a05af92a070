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
    if isinstance(value, datetime.date | datetime.time):
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
