"""Helpers for writing and diffing audit events inside actions."""

from __future__ import annotations

import datetime
import decimal
from collections.abc import Iterable
from typing import Any

from django.db import models

from fugong.core.models import AuditEvent


def plain(value: Any) -> Any:
    """A JSON-friendly form of a field value (for the old → new record)."""
    if value is None or type(value) in (str, int, bool, float):  # most values, checked first
        return value
    if isinstance(value, models.Model):
        return str(value)
    if isinstance(value, datetime.date | datetime.datetime | datetime.time | decimal.Decimal):
        return str(value)
    if isinstance(value, list | tuple | set | frozenset):
        return sorted(plain(v) for v in value)
    return value


def diff(before: dict[str, Any], after: dict[str, Any]) -> dict[str, list[Any]]:
    """{field: [old, new]} for the fields whose plain values differ."""
    changes = {}
    for key in after:
        old, new = plain(before.get(key)), plain(after.get(key))
        if old != new:
            changes[key] = [old, new]
    return changes


def record(
    *,
    actor: Any,
    channel: str,
    action: str,
    obj: models.Model | None = None,
    object_type: str = "",
    object_key: str = "",
    changes: dict[str, Any] | None = None,
    note: str = "",
) -> AuditEvent:
    return AuditEvent.objects.create(
        **event_fields(actor, channel, action, obj, object_type, object_key, changes, note)
    )


def record_many(events: Iterable[dict[str, Any]]) -> None:
    AuditEvent.objects.bulk_create([AuditEvent(**e) for e in events], batch_size=1000)


def event_fields(
    actor: Any,
    channel: str,
    action: str,
    obj: models.Model | None = None,
    object_type: str = "",
    object_key: str = "",
    changes: dict[str, Any] | None = None,
    note: str = "",
) -> dict[str, Any]:
    if obj is not None:
        object_type = object_type or obj._meta.model_name or ""
        object_key = object_key or str(obj.pk)
    return {
        "actor": actor if getattr(actor, "pk", None) else None,
        "channel": channel,
        "action": action,
        "object_type": object_type,
        "object_key": object_key,
        "changes": changes or {},
        "note": note[:500],
    }


def history(object_type: str, object_key: str) -> models.QuerySet[AuditEvent]:
    return AuditEvent.objects.filter(object_type=object_type, object_key=object_key).select_related("actor")
