"""Delivering the outbox: claim a batch of due rows, send them, record the outcomes.

Claiming marks rows "sending" with a lease, so a worker that dies mid-send leaves rows that
another worker retries once the lease runs out (delivery is at least once; a robot or gateway
that saw the first try may show a message twice after such a crash, never after a normal
failure). Failures are retried with exponential backoff and given up after MAX_ATTEMPTS, the
reason kept on the row for the administrator. A row is held back, not attempted, while its
user's quiet hours last or while its channel has used up its per-minute allowance.

Rows are claimed a batch at a time: one row per transaction cost two commits and half a dozen
queries per SMS (≈9 ms, against 0.5 ms for the HTTP post itself). Each outcome is recorded
right after its own post, by one UPDATE on the row's key (its own autocommit): recording the
batch at its end made a worker killed mid-batch send the whole batch's posts again.
"""

from __future__ import annotations

import copy
import datetime
import logging
import threading
from collections import defaultdict

from django.db import connection, transaction
from django.db.models import F, Q
from django.utils import timezone

from fugong.core.bulk import AnyOf
from fugong.notify.channels import SendFailed, send, timeout
from fugong.notify.models import SIGN_IN, Channel, Delivery, Preference

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
FIRST_RETRY = datetime.timedelta(seconds=30)  # then 1, 2, 4 … minutes: about two hours in all
LEASE = datetime.timedelta(minutes=5)
WINDOW = datetime.timedelta(minutes=1)
BATCH = 50  # rows claimed at once


def backoff(attempts: int) -> datetime.timedelta:
    return FIRST_RETRY * 2 ** max(attempts - 1, 0)


def due(now: datetime.datetime) -> Q:
    return Q(status__in=[Delivery.Status.PENDING, Delivery.Status.SENDING], next_attempt_at__lte=now)


def batch_size() -> int:
    """As many rows as can time out one after another within the lease, and at most BATCH: a
    batch must be done before other workers may take its rows again."""
    return max(1, min(BATCH, int(LEASE.total_seconds() / (2 * timeout()))))


def claim(now: datetime.datetime, size: int | None = None) -> list[Delivery] | None:
    """The rows claimed for sending (possibly none, when every due row was held back for quiet
    hours or a rate limit); None when nothing is due."""
    with transaction.atomic():
        rows = lock_due(now, size or batch_size())
        if not rows:
            return None
        rows = give_up_unsent_codes(rows, now)
        holds = held_until(rows, now)
        for moment, held in group_by_moment(holds).items():
            Delivery.objects.filter(AnyOf(F("pk"), held)).update(
                status=Delivery.Status.PENDING, next_attempt_at=moment
            )
        claimed = [row for row in rows if row.pk not in holds]
        Delivery.objects.filter(AnyOf(F("pk"), [row.pk for row in claimed])).update(
            status=Delivery.Status.SENDING, attempts=F("attempts") + 1, next_attempt_at=now + LEASE
        )
    for row in claimed:
        row.attempts += 1
    return claimed


def give_up_unsent_codes(rows: list[Delivery], now: datetime.datetime) -> list[Delivery]:
    """A sign-in code's row comes due only when the worker sending it died: its text (the code)
    was never stored, and the code has expired by then, so it is given up, not sent."""
    codes = [row.pk for row in rows if row.topic == SIGN_IN]
    if codes:
        Delivery.objects.filter(AnyOf(F("pk"), codes)).update(
            status=Delivery.Status.FAILED,
            next_attempt_at=now,
            last_error="验证码短信未能送出，已失效，不再重发",
        )
    return [row for row in rows if row.topic != SIGN_IN]


def lock_due(now: datetime.datetime, size: int) -> list[Delivery]:
    rows = Delivery.objects.filter(due(now)).select_related("channel").order_by("next_attempt_at", "id")
    if connection.features.has_select_for_update_skip_locked:
        locked = list(rows.select_for_update(skip_locked=True, of=("self",))[:size])
        # each channel's allowance is counted by one worker at a time
        list(Channel.objects.select_for_update().filter(pk__in={r.channel_id for r in locked}).order_by("pk"))
        return locked
    # SQLite: the conditional update takes the write lock, which then serialises the counting
    taken: list[Delivery] = []
    for row in rows[: size * 2]:
        if len(taken) == size:
            break
        mine = Delivery.objects.filter(pk=row.pk, status=row.status, next_attempt_at=row.next_attempt_at)
        if mine.update(next_attempt_at=now + LEASE):
            taken.append(row)
    return taken


def held_until(rows: list[Delivery], now: datetime.datetime) -> dict[int, datetime.datetime]:
    """Row key → until when it waits: its user's quiet hours, or its channel's allowance used up."""
    holds: dict[int, datetime.datetime] = {}
    personal = {row.user_id for row in rows if row.user_id is not None and row.channel.personal}
    preferences = {p.user_id: p for p in Preference.objects.filter(AnyOf(F("user_id"), personal))}
    local = timezone.localtime(now)
    for row in rows:
        preference = preferences.get(row.user_id) if row.user_id and row.channel.personal else None
        quiet_end = preference.quiet_until(local) if preference else None
        if quiet_end is not None:
            holds[row.pk] = quiet_end
    by_channel: dict[int, list[Delivery]] = defaultdict(list)
    for row in rows:
        if row.pk not in holds:
            by_channel[row.channel_id].append(row)
    for channel_rows in by_channel.values():
        channel = channel_rows[0].channel
        used, oldest = recent_sends(channel, now, exclude=[r.pk for r in channel_rows])
        allowance = max(channel.per_minute - used, 0)
        # the rows beyond the allowance wait for the oldest send of the window to leave it; when
        # this batch itself uses the allowance up, a minute from now
        wait_until = (oldest + WINDOW) if oldest is not None and allowance == 0 else now + WINDOW
        for row in channel_rows[allowance:]:
            holds[row.pk] = wait_until
    return holds


def recent_sends(
    channel: Channel, now: datetime.datetime, exclude: list[int]
) -> tuple[int, datetime.datetime | None]:
    """How many sends of the channel fall in the last minute (in flight ones included), and when
    the oldest delivered one went."""
    recent = Delivery.objects.filter(channel=channel).filter(
        Q(status=Delivery.Status.SENT, sent_at__gt=now - WINDOW)
        | Q(status=Delivery.Status.SENDING, next_attempt_at__gt=now)
    )
    recent = recent.exclude(AnyOf(F("pk"), exclude)) if exclude else recent
    oldest = recent.filter(status=Delivery.Status.SENT).order_by("sent_at").values_list("sent_at", flat=True)
    return recent.count(), oldest.first()


def group_by_moment(holds: dict[int, datetime.datetime]) -> dict[datetime.datetime, list[int]]:
    groups: dict[datetime.datetime, list[int]] = defaultdict(list)
    for pk, moment in holds.items():
        groups[moment].append(pk)
    return groups


def deliver_one(now: datetime.datetime | None = None) -> bool:
    """Sends a batch of due outbox rows; False when none is due. `now` fixes the clock (tests,
    back-fills); without it each step reads the real time."""
    claimed = claim(now or timezone.now())
    if claimed is None:
        return False
    for row in claimed:
        try:
            send(row)
        except SendFailed as exc:
            record_failure(row, str(exc), now)
        except Exception:  # a bug in a sender must not stop the worker: record it, retry later
            log.exception("delivery %s failed", row.pk)
            record_failure(row, "内部错误，已记录日志", now)
        else:
            record_sent(row, now)
    return True


def record_sent(row: Delivery, now: datetime.datetime | None) -> None:
    """Right after its own post, in its own commit (one UPDATE by key): a worker killed
    mid-batch leaves at most the row it was posting to be sent again, not the whole batch."""
    Delivery.objects.filter(pk=row.pk).update(
        status=Delivery.Status.SENT, sent_at=now or timezone.now(), last_error=""
    )


def record_failure(row: Delivery, reason: str, now: datetime.datetime | None) -> None:
    moment = now or timezone.now()
    given_up = row.attempts >= MAX_ATTEMPTS
    Delivery.objects.filter(pk=row.pk).update(
        status=Delivery.Status.FAILED if given_up else Delivery.Status.PENDING,
        next_attempt_at=moment if given_up else moment + backoff(row.attempts),
        last_error=f"第{row.attempts}次：{reason}"[:2000],
    )


def send_after_commit(row: Delivery, text: str) -> None:
    """Sends `row` once its transaction commits, in a thread of its own, with `text` as its
    body: a sign-in code, which the stored row must not hold. No quiet hours and no per-minute
    batching: the person is waiting on the sign-in page. The thread keeps the page's answer as
    quick as it is for a number that gets no SMS. One attempt only: a code that did not go out
    is asked for again (the row keeps the reason for the administrator)."""

    def deliver() -> None:
        try:
            send_now(row, text)
        finally:
            connection.close()  # the thread's own connection

    transaction.on_commit(lambda: threading.Thread(target=deliver, daemon=True).start())


def send_now(row: Delivery, text: str) -> str | None:
    """One attempt at `row` with `text` as its body, recorded on the row; None when the channel
    took it, else the reason."""
    outgoing = copy.copy(row)
    outgoing.body = text
    try:
        send(outgoing)
    except SendFailed as exc:
        give_up(row, str(exc))
        return str(exc)
    except Exception:
        log.exception("delivery %s failed", row.pk)
        give_up(row, "内部错误，已记录日志")
        return "内部错误，已记录日志"
    record_sent(row, None)
    return None


def give_up(row: Delivery, reason: str) -> None:
    Delivery.objects.filter(pk=row.pk).update(
        status=Delivery.Status.FAILED,
        next_attempt_at=timezone.now(),
        last_error=f"未送出（不重发）：{reason}"[:2000],
    )
