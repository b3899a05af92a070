"""Writing notices: the inbox rows and the outbox rows, in the caller's transaction.

Everything that tells a person something calls `do_notify` (one notice per user) or
`do_broadcast` (one notice to the group robots of a region or department). Both write only
rows: the outbox is delivered later by `run_jobs`, so a notice commits or rolls back with its
cause, and a slow webhook never holds up the page or the job that caused it.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from fugong.accounts.models import Membership, User
from fugong.core import audit
from fugong.core.access import Role
from fugong.core.bulk import AnyOf
from fugong.core.cells import CellError, parse_time
from fugong.core.errors import ValidationFailed
from fugong.core.models import Channel as AuditChannel
from fugong.notify.awaiting import MANUAL_GAP, Awaits, awaited_rows, recently_reminded, store_awaited
from fugong.notify.models import AwaitedReport, Channel, Claim, Delivery, Notification, Preference, Topic

# Without a preference of their own, users get these topics by SMS or e-mail as well (when the
# channel is set up and they have a phone or an address): reminders reach a factory clerk's
# phone; handlers and dispatchers read warnings and summaries at their desks.
DEFAULT_SMS_TOPICS = [Topic.REMINDER, Topic.MANUAL, Topic.MISSING]
DEFAULT_EMAIL_TOPICS = [Topic.SLA, Topic.SUMMARY]


@dataclass(frozen=True)
class Notice:
    topic: str
    title: str
    body: str
    url: str = ""
    key: str = ""  # scheduled notices: the same key never reaches the same user twice
    awaits: Awaits | None = None  # a reminder: the enterprises whose report makes it done (needs a key)


def personal_channels() -> dict[str, Channel]:
    channels = Channel.objects.filter(active=True, kind__in=[Channel.Kind.EMAIL, Channel.Kind.SMS])
    return {c.kind: c for c in channels.order_by("pk")}


@dataclass(frozen=True)
class Contact:
    pk: int
    phone: str
    email: str


def wanted_channels(
    user: Contact, topic: str, preference: Preference | None, channels: dict[str, Channel]
) -> list[tuple[Channel, str]]:
    sms = preference.sms_topics if preference else DEFAULT_SMS_TOPICS
    email = preference.email_topics if preference else DEFAULT_EMAIL_TOPICS
    out = []
    if topic in sms and user.phone and Channel.Kind.SMS in channels:
        out.append((channels[Channel.Kind.SMS], user.phone))
    if topic in email and user.email and Channel.Kind.EMAIL in channels:
        out.append((channels[Channel.Kind.EMAIL], user.email))
    return out


def do_notify(
    sender: Any, notices: Iterable[tuple[int, Notice]], *, now: datetime.datetime | None = None
) -> int:
    """Writes each (user id, notice) to the inbox, and to the outbox for the user's SMS and
    e-mail, due at `now` (a scheduled round's moment). A keyed notice a user already has is
    skipped. Returns how many inbox rows were new."""
    pairs = list(notices)
    now = now or timezone.now()
    sender_id = sender.pk if getattr(sender, "pk", None) else None
    written = 0
    with transaction.atomic():
        channels = personal_channels()
        # a province's round is 50,000 notices: read and write them in slices (SQLite takes at
        # most 32,766 parameters a statement)
        for start in range(0, len(pairs), NOTIFY_SLICE):
            written += notify_slice(pairs[start : start + NOTIFY_SLICE], sender_id, channels, now)
    return written


NOTIFY_SLICE = 5000


def notify_slice(
    pairs: list[tuple[int, Notice]],
    sender_id: int | None,
    channels: dict[str, Channel],
    now: datetime.datetime,
) -> int:
    user_ids = {uid for uid, _ in pairs}
    # the two fields the channels need, not 50,000 User instances
    users = {
        row[0]: Contact(*row)
        for row in User.objects.filter(AnyOf(F("pk"), user_ids)).values_list("pk", "phone", "email")
    }
    preferences = {p.user_id: p for p in Preference.objects.filter(AnyOf(F("user_id"), users))}
    existing = already_sent({n.key for _, n in pairs if n.key}, users)
    inbox, outbox, awaited = [], [], []
    for user_id, notice in pairs:
        if (notice.key and (user_id, notice.key) in existing) or user_id not in users:
            continue
        existing.add((user_id, notice.key))
        if notice.awaits is not None and notice.key:
            awaited += awaited_rows(user_id, notice.key[: FIELD_LIMITS["key"]], notice.awaits, now)
        inbox.append(
            Notification(
                user_id=user_id,
                sender_id=sender_id,
                **{f: getattr(notice, f)[:limit] for f, limit in FIELD_LIMITS.items()},
            )
        )
        for channel, address in wanted_channels(
            users[user_id], notice.topic, preferences.get(user_id), channels
        ):
            outbox.append(delivery(channel, notice, now, user_id=user_id, address=address))
    # ignore_conflicts: a second runner that got past its claim still writes each key once
    Notification.objects.bulk_create(inbox, batch_size=1000, ignore_conflicts=True)
    Delivery.objects.bulk_create(outbox, batch_size=1000, ignore_conflicts=True)
    store_awaited(awaited)
    return len(inbox)


FIELD_LIMITS = {"topic": 10, "key": 120, "title": 100, "body": 100_000, "url": 200}


def already_sent(keys: set[str], users: Iterable[int]) -> set[tuple[int, str]]:
    if not keys:
        return set()
    mine = Notification.objects.filter(AnyOf(F("key"), keys), AnyOf(F("user_id"), users))
    return set(mine.values_list("user_id", "key"))


def delivery(channel: Channel, notice: Notice, now: Any, *, user_id: int | None, address: str) -> Delivery:
    return Delivery(
        channel=channel,
        user_id=user_id,
        address=address,
        topic=notice.topic,
        key=notice.key[:160],
        title=notice.title[:100],
        body=notice.body,
        url=notice.url[:200],
        next_attempt_at=now,
    )


def do_broadcast(
    notice: Notice,
    *,
    region_code: str | None = None,
    department_id: int | None = None,
    now: datetime.datetime | None = None,
) -> int:
    """Queues the notice for each active group robot of that region or department that carries
    its topic; returns how many were queued."""
    robots = Channel.objects.filter(active=True, kind__in=[Channel.Kind.WECOM, Channel.Kind.DINGTALK])
    if region_code is not None:
        robots = robots.filter(region_id=region_code)
    elif department_id is not None:
        robots = robots.filter(department_id=department_id)
    else:
        return 0
    now = now or timezone.now()
    rows = [delivery(r, notice, now, user_id=None, address="") for r in robots if notice.topic in r.topics]
    Delivery.objects.bulk_create(rows, ignore_conflicts=True)
    return len(rows)


@dataclass(frozen=True)
class Overdue:
    """An enterprise a dispatcher asks to report: its id, name and report form."""

    pk: int
    name: str
    url: str


@dataclass(frozen=True)
class ManualRound:
    reminded: list[int]  # enterprise ids reminded now
    held_back: dict[int, datetime.datetime]  # enterprise id → its manual reminder within MANUAL_GAP
    sent: int  # messages: one per person, whatever the number of their enterprises
    unreachable: list[int]  # enterprise ids with no active reporter or liaison to tell


@transaction.atomic
def do_remind_manually(
    sender: Any,
    enterprises: list[Overdue],
    *,
    plan_id: int,
    plan_title: str,
    period: tuple[datetime.date, datetime.date],
    day: datetime.date,
    deadline: datetime.datetime,
    channel: str,
    now: datetime.datetime | None = None,
) -> ManualRound:
    """A dispatcher's 提醒 to the reporters and liaisons of enterprises that have not reported.

    One manual reminder per enterprise per plan period within MANUAL_GAP (repeated clicks leave
    the recently reminded out), and one message per person per click listing their enterprises
    (a liaison of 17 gets one list, not 17). Each message waits for its enterprises' reports."""
    now = now or timezone.now()
    start, end = period
    held = recently_reminded(plan_id, start, [e.pk for e in enterprises], now)
    candidates = {e.pk: e for e in enterprises if e.pk not in held}
    contacts: dict[int, list[int]] = {}  # enterprise → the people who can be told of it
    for user_id, enterprise_id in (
        Membership.objects.filter(
            enterprise_id__in=list(candidates),
            role__in=[Role.REPORTER, Role.LIAISON],
            active=True,
            user__is_active=True,
        )
        .order_by("user_id", "enterprise_id")
        .values_list("user_id", "enterprise_id")
        .distinct()
    ):
        contacts.setdefault(enterprise_id, []).append(user_id)
    # Only enterprises someone can be told of are claimed: those nobody can be told of are named
    # for a phone call on every click, never counted as "reminded within 30 minutes".
    # Two dispatchers clicking at once: the second insert of a half-hour's claim waits and fails.
    window = int(now.timestamp() // MANUAL_GAP.total_seconds())
    due = [
        e
        for pk, e in candidates.items()
        if pk in contacts and do_claim(f"manual:{plan_id}:{start}:{pk}:{window}")
    ]
    claimed = {e.pk for e in due}
    for pk in candidates:
        if pk in contacts and pk not in claimed:
            held[pk] = now
    people: dict[int, list[Overdue]] = {}
    for e in due:
        for user_id in contacts[e.pk]:
            people.setdefault(user_id, []).append(e)
    key = f"manual:{plan_id}:{start}:{now:%Y%m%d%H%M%S%f}"
    notices = [
        (
            user_id,
            manual_notice(
                listed,
                plan_title,
                day,
                deadline,
                key,
                Awaits(plan_id, start, end, tuple(e.pk for e in listed), True),
            ),
        )
        for user_id, listed in people.items()
    ]
    sent = do_notify(sender, notices, now=now)
    audit.record(
        actor=sender,
        channel=channel,
        action="notify.remind",
        object_type="notification",
        object_key=str(sent),
        note=f"提醒{len(due)}户未报企业，发送{sent}条",
    )
    return ManualRound([e.pk for e in due], held, sent, [pk for pk in candidates if pk not in contacts])


def manual_notice(
    listed: list[Overdue],
    plan_title: str,
    day: datetime.date,
    deadline: datetime.datetime,
    key: str,
    awaits: Awaits,
) -> Notice:
    when = f"{timezone.localtime(deadline):%m月%d日%H:%M}"
    if len(listed) == 1:
        e = listed[0]
        body = f"“{plan_title}”要求于{when}前报送，{e.name}尚未报送。"
        return Notice(Topic.MANUAL, f"请尽快报送{day:%m月%d日}复工情况", body, e.url, key, awaits)
    names = sorted(e.name for e in listed)
    shown = "、".join(names[:MANUAL_NAMES]) + (f"等{len(names)}户" if len(names) > MANUAL_NAMES else "")
    body = f"“{plan_title}”要求于{when}前报送，以下{len(listed)}户企业尚未报送：{shown}。请提醒或代为填报。"
    return Notice(Topic.MANUAL, f"{len(listed)}户企业尚未报送{day:%m月%d日}复工情况", body, "", key, awaits)


MANUAL_NAMES = 20  # a list names this many enterprises, then "等N户" (as the scheduled rounds do)


def do_mark_read(user: Any, ids: Iterable[int] | None = None) -> int:
    unread = Notification.objects.filter(user=user, read_at__isnull=True)
    if ids is not None:
        unread = unread.filter(pk__in=list(ids))
    return unread.update(read_at=timezone.now())


def check_save_preference(user: Any, raw: dict[str, Any], *, channel: str) -> Preference:
    """Topics by SMS and e-mail, and quiet hours (both or neither, e.g. 22:00 to 07:00)."""
    topics = set(Topic.values)
    errors = []
    cleaned: dict[str, Any] = {}
    for name, label in (("sms_topics", "短信"), ("email_topics", "邮件")):
        wrong = [t for t in raw.get(name) or [] if t not in topics]
        if wrong:
            errors.append(f"{label}接收的类别“{'、'.join(wrong)}”不存在，可选：{'、'.join(Topic.values)}")
        cleaned[name] = [t for t in Topic.values if t in (raw.get(name) or [])]
    for name, label in (("quiet_from", "免打扰开始"), ("quiet_to", "免打扰结束")):
        try:
            cleaned[name] = parse_time(raw[name]) if raw.get(name) else None
        except CellError:
            errors.append(f"{label}时间“{raw[name]}”无效，请写成 22:00")
            cleaned[name] = None
    if not errors and (cleaned["quiet_from"] is None) != (cleaned["quiet_to"] is None):
        errors.append("免打扰时段要同时填写开始和结束时间（如 22:00 至 07:00），或都留空")
    if errors:
        raise ValidationFailed("；".join(errors))
    return do_save_preference(user, cleaned, channel=channel)


@transaction.atomic
def do_save_preference(user: Any, cleaned: dict[str, Any], *, channel: str) -> Preference:
    preference, _ = Preference.objects.get_or_create(
        user=user, defaults={"sms_topics": DEFAULT_SMS_TOPICS, "email_topics": DEFAULT_EMAIL_TOPICS}
    )
    before = {name: getattr(preference, name) for name in cleaned}
    for name, value in cleaned.items():
        setattr(preference, name, value)
    preference.save()
    audit.record(
        actor=user,
        channel=channel,
        action="notify.preference",
        obj=preference,
        changes=audit.diff(before, cleaned),
    )
    return preference


def do_claim(key: str, note: str = "") -> bool:
    """Takes a scheduled round for this runner, inside the caller's transaction; False when another
    runner has it (on PostgreSQL the second insert waits for the first to commit, then fails)."""
    try:
        with transaction.atomic():
            Claim.objects.create(key=key, note=note[:200])
    except IntegrityError:
        return False
    return True


KEEP_SENT = datetime.timedelta(days=90)
KEEP_READ = datetime.timedelta(days=180)
KEEP_CLAIMS = datetime.timedelta(days=30)


@transaction.atomic
def do_purge_notices(day: datetime.date) -> int:
    if not do_claim(f"purge:{day}", "清理过期通知"):
        return 0
    now = timezone.now()
    removed = Delivery.objects.filter(status=Delivery.Status.SENT, sent_at__lt=now - KEEP_SENT).delete()[0]
    removed += Notification.objects.filter(read_at__lt=now - KEEP_READ).delete()[0]
    removed += AwaitedReport.objects.filter(sent_at__lt=now - KEEP_READ).delete()[0]
    # a reminder round is only ever due on its own day, so its claim can go after a month; an SLA
    # warning's claim stays (an order breached long ago is still breached and must not be re-warned)
    old = Claim.objects.filter(at__lt=now - KEEP_CLAIMS).exclude(key__startswith="sla:")
    removed += old.exclude(key=f"purge:{day}").delete()[0]
    return removed


@transaction.atomic
def do_retry_deliveries(user: Any, ids: list[int]) -> int:
    """An administrator's "retry": the rows not yet delivered start again, with a fresh allowance
    of attempts."""
    count = (
        Delivery.objects.filter(pk__in=ids)
        .exclude(status=Delivery.Status.SENT)
        .update(status=Delivery.Status.PENDING, attempts=0, next_attempt_at=timezone.now())
    )
    audit.record(
        actor=user,
        channel=AuditChannel.WEB,
        action="notify.retry",
        object_type="delivery",
        object_key=",".join(map(str, ids))[:100],
        note=f"重试 {count} 条",
    )
    return count


def do_queue_test(user: Any, channel: Channel) -> str:
    """Queues a test message through the channel (to the administrator's own phone or address for
    SMS and e-mail); returns what was done, in Chinese, for the admin page."""
    address = ""
    if channel.personal:
        address = user.phone if channel.kind == Channel.Kind.SMS else user.email
        if not address:
            what = "手机号" if channel.kind == Channel.Kind.SMS else "邮箱"
            return f"{channel.name}：您的账号没有登记{what}，无法发送测试消息"
    notice = Notice(
        Topic.MANUAL, "测试消息", f"这是复工通发出的测试消息（{channel.name}），收到说明设置正确。"
    )
    Delivery.objects.create(
        channel=channel,
        user=user,
        address=address,
        topic=notice.topic,
        title=notice.title,
        body=notice.body,
        next_attempt_at=timezone.now(),
    )
    audit.record(actor=user, channel=AuditChannel.WEB, action="notify.test", obj=channel)
    return f"{channel.name}：测试消息已排队，稍后在“通知投递”中查看结果"
