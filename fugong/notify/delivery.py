"""Delivering the outbox: claim one due row, send it, record the outcome.

Claiming marks the row "sending" with a lease, so a worker that dies mid-send leaves a row that
another worker retries once the lease runs out (delivery is at least once; a robot or gateway
that saw the first try may show a message twice after such a crash, never after a normal
failure). Failures are retried with exponential backoff and given up after MAX_ATTEMPTS, the
reason kept on the row for the administrator. A row is held back, not attempted, while its
user's quiet hours last or while its channel has used up its per-minute allowance.
"""

from __future__ import annotations

import datetime
import logging

from django.db import connection, transaction
from django.db.models import F, Q
from django.utils import timezone

from fugong.notify.channels import SendFailed, send
from fugong.notify.models import Channel, Delivery, Preference

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
FIRST_RETRY = datetime.timedelta(seconds=30)  # then 1, 2, 4 … minutes: about two hours in all
LEASE = datetime.timedelta(minutes=5)
WINDOW = datetime.timedelta(minutes=1)


def backoff(attempts: int) -> datetime.timedelta:
    return FIRST_RETRY * 2 ** max(attempts - 1, 0)


def due(now: datetime.datetime) -> Q:
    return Q(status__in=[Delivery.Status.PENDING, Delivery.Status.SENDING], next_attempt_at__lte=now)


def claim(now: datetime.datetime) -> Delivery | bool | None:
    """The claimed row; True when a row was held back instead (quiet hours, rate limit); None
    when nothing is due."""
    with transaction.atomic():
        row = lock_one_due(now)
        if row is None:
            return None
        hold = held_until(row, now)
        if hold is not None:
            Delivery.objects.filter(pk=row.pk).update(status=Delivery.Status.PENDING, next_attempt_at=hold)
            return True
        Delivery.objects.filter(pk=row.pk).update(
            status=Delivery.Status.SENDING, attempts=F("attempts") + 1, next_attempt_at=now + LEASE
        )
    row.attempts += 1
    return row


def lock_one_due(now: datetime.datetime) -> Delivery | None:
    rows = Delivery.objects.filter(due(now)).select_related("channel").order_by("next_attempt_at", "id")
    if connection.features.has_select_for_update_skip_locked:
        row = rows.select_for_update(skip_locked=True, of=("self",)).first()
        if row is not None:  # the channel's allowance is counted by one worker at a time
            Channel.objects.select_for_update().filter(pk=row.channel_id).first()
        return row
    # SQLite: the conditional update takes the write lock, which then serialises the counting
    for row in rows[:20]:
        taken = Delivery.objects.filter(pk=row.pk, status=row.status, next_attempt_at=row.next_attempt_at)
        if taken.update(next_attempt_at=now + LEASE):
            return row
    return None


def held_until(row: Delivery, now: datetime.datetime) -> datetime.datetime | None:
    if row.user_id is not None and row.channel.personal:
        preference = Preference.objects.filter(user_id=row.user_id).first()
        quiet_end = preference.quiet_until(timezone.localtime(now)) if preference else None
        if quiet_end is not None:
            return quiet_end
    recent = Delivery.objects.filter(channel_id=row.channel_id).filter(
        Q(status=Delivery.Status.SENT, sent_at__gt=now - WINDOW)
        | Q(status=Delivery.Status.SENDING, next_attempt_at__gt=now)
    )
    if recent.count() < row.channel.per_minute:
        return None
    oldest = recent.filter(status=Delivery.Status.SENT).order_by("sent_at").values_list("sent_at", flat=True)
    first = oldest.first()
    return (first + WINDOW) if first is not None else now + datetime.timedelta(seconds=5)


def deliver_one(now: datetime.datetime | None = None) -> bool:
    """Sends at most one due outbox row; False when none is due. `now` fixes the clock (tests,
    back-fills); without it each step reads the real time."""
    row = claim(now or timezone.now())
    if row is None or row is True:
        return row is True
    assert isinstance(row, Delivery)
    try:
        send(row)
    except SendFailed as exc:
        record_failure(row, str(exc), now)
    except Exception:  # a bug in a sender must not stop the worker: record it, retry later
        log.exception("delivery %s failed", row.pk)
        record_failure(row, "内部错误，已记录日志", now)
    else:
        Delivery.objects.filter(pk=row.pk).update(
            status=Delivery.Status.SENT, sent_at=now or timezone.now(), last_error=""
        )
    return True


def record_failure(row: Delivery, reason: str, now: datetime.datetime | None) -> None:
    moment = now or timezone.now()
    given_up = row.attempts >= MAX_ATTEMPTS
    Delivery.objects.filter(pk=row.pk).update(
        status=Delivery.Status.FAILED if given_up else Delivery.Status.PENDING,
        next_attempt_at=moment if given_up else moment + backoff(row.attempts),
        last_error=f"第{row.attempts}次：{reason}"[:2000],
    )
