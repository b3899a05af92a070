"""Reminders that wait for a report: who was reminded of which enterprise, when, and done once
the enterprise has reported.

A reminder (a dispatcher's 提醒 or a scheduled round) names the enterprises it asks to report
(`Awaits` on its `Notice`); `do_notify` stores one `AwaitedReport` per enterprise. From them:
- the board shows "已提醒 14:05" beside each reminded enterprise (`last_reminded`);
- a dispatcher's repeated click within `MANUAL_GAP` leaves an enterprise out (`recently_reminded`);
- a report arriving (dispatch calls `do_mark_reported` in the submission's transaction) marks
  them done, and a notice whose enterprises have all reported is shown as 已报送 and leaves the
  unread badge; its SMS or e-mail not sent yet is cancelled.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import F, Max
from django.db.models.functions import Coalesce
from django.utils import timezone

from fugong.core.bulk import AnyOf, insert_rows
from fugong.notify.models import AwaitedReport, Delivery, Notification

# A dispatcher's manual round: at most one manual reminder per enterprise per plan period in
# this time. Three clicks in a minute (or two dispatchers of one county) send it once; after
# half an hour, a still-missing enterprise may be reminded again.
MANUAL_GAP = datetime.timedelta(minutes=30)


@dataclass(frozen=True)
class Awaits:
    """The enterprises a reminder asks to report, for one plan's period."""

    plan_id: int
    start: datetime.date
    end: datetime.date
    enterprise_ids: tuple[int, ...]
    manual: bool = False


def awaited_rows(user_id: int, key: str, awaits: Awaits, now: datetime.datetime) -> list[dict[str, object]]:
    return [
        {
            "user": user_id,
            "key": key,
            "enterprise_id": enterprise_id,
            "plan_id": awaits.plan_id,
            "period_start": awaits.start,
            "period_end": awaits.end,
            "manual": awaits.manual,
            "sent_at": now,
        }
        for enterprise_id in awaits.enterprise_ids
    ]


def store_awaited(rows: list[dict[str, object]]) -> None:
    insert_rows(AwaitedReport, rows)  # COPY on PostgreSQL: a province's round has 50,000


def last_reminded(
    plan_id: int, start: datetime.date, enterprise_ids: Iterable[int]
) -> dict[int, datetime.datetime]:
    """When each enterprise was last reminded (manually or by a round) for the plan's period."""
    rows = (
        AwaitedReport.objects.filter(plan_id=plan_id, period_start=start)
        .filter(AnyOf(F("enterprise_id"), set(enterprise_ids)))
        .values("enterprise_id")
        .annotate(last=Max("sent_at"))
        .order_by()
    )
    return {r["enterprise_id"]: r["last"] for r in rows}


def recently_reminded(
    plan_id: int, start: datetime.date, enterprise_ids: Iterable[int], now: datetime.datetime
) -> dict[int, datetime.datetime]:
    """The enterprises reminded by hand within MANUAL_GAP before `now`, with the moment."""
    rows = (
        AwaitedReport.objects.filter(
            plan_id=plan_id, period_start=start, manual=True, sent_at__gt=now - MANUAL_GAP, sent_at__lte=now
        )
        .filter(AnyOf(F("enterprise_id"), set(enterprise_ids)))
        .values("enterprise_id")
        .annotate(last=Max("sent_at"))
        .order_by()
    )
    return {r["enterprise_id"]: r["last"] for r in rows}


def do_mark_reported(
    enterprise_ids: Iterable[int], day: datetime.date, *, now: datetime.datetime | None = None
) -> int:
    """The enterprises have reported for `day`: every reminder waiting for them in a period that
    holds the day is done, and each notice with nothing left to wait for is marked 已报送 and
    read. Call in the report's transaction. Returns how many notices were marked."""
    now = now or timezone.now()
    ids = sorted(set(enterprise_ids))
    # an import's batch in slices: SQLite takes at most 32,766 parameters a statement
    return sum(mark_slice(set(ids[i : i + SLICE]), day, now) for i in range(0, len(ids), SLICE))


SLICE = 5000


def mark_slice(ids: set[int], day: datetime.date, now: datetime.datetime) -> int:
    waiting = AwaitedReport.objects.filter(
        AnyOf(F("enterprise_id"), ids), period_start__lte=day, period_end__gte=day, done_at__isnull=True
    )
    rows = list(waiting.values_list("pk", "user_id", "key"))
    if not rows:
        return 0  # the usual case: nobody was reminded
    AwaitedReport.objects.filter(AnyOf(F("pk"), {pk for pk, _, _ in rows})).update(done_at=now)
    touched = {(user_id, key) for _, user_id, key in rows}
    keys = {key for _, key in touched}
    still = set(
        AwaitedReport.objects.filter(AnyOf(F("key"), keys), done_at__isnull=True).values_list(
            "user_id", "key"
        )
    )
    # Two reports finishing one list at once cannot both see the other's enterprise still waiting:
    # a list names one plan's enterprises, and every writer of their reports holds that plan's
    # lock when it calls this, so the second reads this after the first has committed.
    done = touched - still
    done_keys = {key for _, key in done}
    cancel_unsent(done, done_keys)
    notices = Notification.objects.filter(AnyOf(F("key"), done_keys), done_at__isnull=True)
    pks = [pk for pk, user_id, key in notices.values_list("pk", "user_id", "key") if (user_id, key) in done]
    return Notification.objects.filter(AnyOf(F("pk"), set(pks))).update(
        done_at=now, read_at=Coalesce("read_at", now)
    )


def cancel_unsent(done: set[tuple[int, str]], keys: set[str]) -> None:
    """A done reminder's SMS or e-mail still waiting (quiet hours, a rate limit, a retry) would
    tell someone who has reported that they have not: it is not sent."""
    outbox = Delivery.objects.filter(AnyOf(F("key"), keys), status=Delivery.Status.PENDING)
    unsent = [pk for pk, user_id, key in outbox.values_list("pk", "user_id", "key") if (user_id, key) in done]
    Delivery.objects.filter(AnyOf(F("pk"), set(unsent))).update(
        status=Delivery.Status.CANCELLED, last_error="企业已报送，不再发送"
    )
