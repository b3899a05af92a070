"""Invitations to reporter accounts, and the links they and the printed QR codes carry.

An account made from the registry is told by one SMS (through the outbox: queued with its cause,
sent by run_jobs under the channel's rate limit and the person's quiet hours) who invites them,
for which enterprise, and a link that signs them in by SMS code and opens the report page. A
dispatcher can send it again, at most once per RESEND_GAP per account.
"""

from __future__ import annotations

import datetime
import functools
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from django.db import transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone

from fugong.accounts.models import Membership, User
from fugong.core import audit, bulk
from fugong.core.access import Action, Role, refused
from fugong.core.errors import Forbidden, TooManyAttempts, ValidationFailed
from fugong.core.phones import masked
from fugong.enterprises.models import Enterprise
from fugong.notify.actions import Notice, do_notify
from fugong.notify.models import Delivery, Notification, Topic

# The first invitation's key: a notification key reaches a user once. Invitations are MANUAL
# notices (a person's message, by SMS under the default preferences a new account has), told
# apart from reminders by this key's prefix.
INVITE_KEY = "invite"
RESEND_GAP = datetime.timedelta(minutes=10)


USCC_SLOT = "0" * 18


def report_path(uscc: str) -> str:
    """The enterprise's report page: what the printed QR code opens, and where the invitation's
    sign-in leads. reverse() once: an import of 50,000 asks for as many."""
    return _report_form_path().replace(USCC_SLOT, uscc)


@functools.cache
def _report_form_path() -> str:
    return reverse("report_form", args=[USCC_SLOT])


@functools.cache
def _login_path() -> str:
    return reverse("login")


def invitation_path(phone: str, uscc: str) -> str:
    """The sign-in page with the phone filled in for an SMS code, then the report page."""
    return f"{_login_path()}?{urlencode({'phone': phone, 'next': report_path(uscc)})}"


def inviter_name(user: Any) -> str:
    return str(getattr(user, "display_name", "") or getattr(user, "username", "") or "复工通管理员")


def invitation(user: Any, phone: str, enterprises: list[tuple[str, str]], key: str) -> Notice:
    uscc, name = enterprises[0]
    named = name if len(enterprises) == 1 else f"{name}等{len(enterprises)}户企业"
    body = (
        f"{inviter_name(user)}邀请您作为{named}的填报员，在复工通报送每日复工情况。"
        f"打开下面的链接，用本手机号接收短信验证码登录，无需密码。"
    )
    return Notice(Topic.MANUAL, "复工通填报账号已开通", body, invitation_path(phone, uscc), key)


def queue_invitations(
    user: Any, invitations: dict[int, list[tuple[str, str]]], now: datetime.datetime
) -> int:
    """One invitation per new account, into the outbox (sent later by run_jobs)."""
    phones = dict(User.objects.filter(bulk.AnyOf(F("pk"), list(invitations))).values_list("pk", "phone"))
    notices = [
        (uid, invitation(user, phones[uid], listed, INVITE_KEY))
        for uid, listed in invitations.items()
        if listed and uid in phones
    ]
    return do_notify(user, notices, now=now) if notices else 0


INVITATION_STATES: dict[str, str] = {
    Delivery.Status.PENDING: "待发送",
    Delivery.Status.SENDING: "发送中",
    Delivery.Status.SENT: "已发送",
    Delivery.Status.FAILED: "发送失败",
    Delivery.Status.CANCELLED: "已取消",
}


@dataclass(frozen=True)
class Reporter:
    """A reporter of an enterprise as a dispatcher sees it on the enterprise's page."""

    account_id: int
    name: str
    phone: str  # masked
    active: bool
    since: datetime.datetime
    invitation: str  # 已发送, 待发送, 发送失败, 未邀请 …


def reporters_of(enterprise: Enterprise) -> list[Reporter]:
    """The enterprise's reporters (active first, then the former ones), each with the state of
    the latest invitation to them."""
    memberships = list(
        Membership.objects.filter(enterprise=enterprise, role=Role.REPORTER)
        .select_related("user")
        .order_by("-active", "-created_at")
    )
    user_ids = [m.user_id for m in memberships]
    latest: dict[int, str] = {}
    for uid, status in (
        Delivery.objects.filter(user_id__in=user_ids, key__startswith=INVITE_KEY)
        .order_by("created_at", "id")
        .values_list("user_id", "status")
    ):
        latest[uid] = INVITATION_STATES.get(status, status)
    noticed = set(
        Notification.objects.filter(user_id__in=user_ids, key__startswith=INVITE_KEY).values_list(
            "user_id", flat=True
        )
    )
    return [
        Reporter(
            m.user_id,
            str(m.user),
            masked(m.user.phone),
            m.active and m.user.is_active,
            m.created_at,
            latest.get(m.user_id) or ("未发出：未配置短信通道" if m.user_id in noticed else "未邀请"),
        )
        for m in memberships
    ]


def do_resend_invitation(
    user: Any,
    account: User,
    *,
    enterprise: Enterprise | None = None,
    channel: str,
) -> int:
    """A dispatcher's "resend": the invitation again, for a reporter of an enterprise in the
    dispatcher's scope, at most once per RESEND_GAP per account (counted from the last
    invitation's inbox row, on the database's clock). Returns the messages queued."""
    now = timezone.now()
    theirs = Enterprise.objects.visible_to(user, Action.CHANGE).filter(
        memberships__user=account, memberships__role=Role.REPORTER, memberships__active=True
    )
    if enterprise is not None:
        theirs = theirs.filter(pk=enterprise.pk)
    listed = list(theirs.distinct().order_by("name").values_list("uscc", "name"))
    if not listed:
        error = Forbidden("该账号不是您管辖范围内企业的填报员，不能由您发送邀请")
        refused(user, error, User, {"pk": account.pk}, Action.CHANGE)
        raise error
    if not account.phone:
        raise ValidationFailed("该填报员账号没有登记手机号，无法发送邀请短信；请先在账号管理中为其补填手机号")
    with transaction.atomic():
        User.objects.select_for_update().filter(pk=account.pk).first()  # two clicks at once: one waits
        last = (
            Notification.objects.filter(user=account, key__startswith=INVITE_KEY)
            .order_by("-created_at")
            .values_list("created_at", flat=True)
            .first()
        )
        if last is not None and now - last < RESEND_GAP:
            wait = int((RESEND_GAP - (now - last)).total_seconds() // 60) + 1
            raise TooManyAttempts(f"{timezone.localtime(last):%H:%M}刚发送过邀请，请{wait}分钟后再重发")
        key = f"{INVITE_KEY}:{now:%Y%m%d%H%M%S%f}"
        sent = do_notify(user, [(account.pk, invitation(user, account.phone, listed, key))], now=now)
        audit.record(
            actor=user,
            channel=channel,
            action="user.invite",
            obj=account,
            note=f"重发邀请短信：{masked(account.phone)}（{listed[0][1]}）",
        )
    return sent
