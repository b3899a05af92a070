"""Sending and reading in-app notifications."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.utils import timezone

from fugong.accounts.models import Membership
from fugong.core import audit
from fugong.core.access import Role
from fugong.notify.models import Notification


@transaction.atomic
def do_notify_enterprises(
    sender: Any, enterprise_ids: Iterable[int], *, title: str, body_for: Any, url_for: Any, channel: str
) -> int:
    """Notifies the reporters and liaisons of each enterprise; returns how many messages were sent.

    `body_for(enterprise)` and `url_for(enterprise)` build each message (plain functions, never a
    format string that user-written text could reach into)."""
    memberships = Membership.objects.filter(
        enterprise_id__in=list(enterprise_ids), role__in=[Role.REPORTER, Role.LIAISON], active=True
    ).select_related("enterprise")
    messages = [
        Notification(
            user_id=m.user_id,
            title=title,
            body=body_for(m.enterprise),
            url=url_for(m.enterprise),
            sender=sender if getattr(sender, "pk", None) else None,
        )
        for m in memberships
    ]
    Notification.objects.bulk_create(messages)
    audit.record(
        actor=sender,
        channel=channel,
        action="notify.remind",
        object_type="notification",
        object_key=str(len(messages)),
        note=title,
    )
    return len(messages)


def do_mark_read(user: Any, ids: Iterable[int] | None = None) -> int:
    unread = Notification.objects.filter(user=user, read_at__isnull=True)
    if ids is not None:
        unread = unread.filter(pk__in=list(ids))
    return unread.update(read_at=timezone.now())
