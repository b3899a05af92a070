"""Signing in with a mobile phone and a code sent to it by SMS (issue 14 §2).

A code is 6 digits, good for 5 minutes and one sign-in. Only its HMAC (keyed by SECRET_KEY) is
stored; the SMS row in the outbox says that a code went, not which (notify.delivery.send_now).
A phone gets at most 1 code a minute and 5 an hour, an address 20 an hour; these are counted
whether or not the phone belongs to anyone, and the answer to "send me a code" is the same
either way, so the page cannot be used to find out which numbers are registered. Checking a
code takes one of its 5 attempts first (a conditional UPDATE) and then compares, so parallel
guesses get no more checks than that; the right code is then consumed by another conditional
UPDATE, so two sign-ins with one code give one session.

Who may sign in so: an active account with that phone that is not a staff (管理后台) account;
staff keep their password (accounts.actions.check_login).
"""

from __future__ import annotations

import datetime
import hmac
import math
import re
import secrets
from dataclasses import dataclass

from django.contrib.sessions.models import Session
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.crypto import salted_hmac

from fugong.accounts.models import DeviceSession, SmsAllowance, SmsCode, User
from fugong.accounts.signals import record_failed_sign_in
from fugong.core import audit
from fugong.core.cells import CellError
from fugong.core.errors import ErrorItem, TooManyAttempts, Unauthorized, Unavailable, ValidationFailed
from fugong.core.phones import masked, normalize_mobile
from fugong.notify.actions import do_claim
from fugong.notify.delivery import send_after_commit
from fugong.notify.models import SIGN_IN, Channel, Delivery

CODE_DIGITS = 6
CODE_LIFETIME = datetime.timedelta(minutes=5)
MAX_CHECKS = 5  # checks of one code, the right one included
PHONE_SESSION_AGE = datetime.timedelta(days=30)

# The one answer to a request for a code, whether or not the phone is registered.
SENT = "如该手机号已登记，验证码已发送，5分钟内有效；未收到可在1分钟后重新获取"
WRONG = "验证码错误或已失效，请重新获取"


@dataclass(frozen=True)
class Rule:
    name: str
    limit: int
    window: datetime.timedelta
    refusal: str  # {when}: the local time the next code may be asked for


RULES_PER_PHONE = (
    Rule("phone-minute", 1, datetime.timedelta(minutes=1), "验证码1分钟内只能获取1次，请在{when}后再获取"),
    Rule("phone-hour", 5, datetime.timedelta(hours=1), "此手机号1小时内已获取5次验证码，请在{when}后再获取"),
)
RULE_PER_ADDRESS = Rule(
    "address-hour", 20, datetime.timedelta(hours=1), "此网络地址1小时内获取验证码过多，请在{when}后再获取"
)


def phone_of(value: str) -> str:
    """The normalised mobile number, or a 422 saying what is wrong with what was typed (which
    says nothing about whether anyone has it)."""
    try:
        return normalize_mobile(value)
    except CellError as exc:
        raise ValidationFailed.of([ErrorItem(str(exc), "invalid", "phone", "手机号")]) from exc


def code_hash(phone: str, code: str) -> str:
    return salted_hmac("fugong.accounts.sms_sign_in", f"{phone}:{code}", algorithm="sha256").hexdigest()


def allowance_key(rule: Rule, who: str) -> str:
    return salted_hmac("fugong.accounts.sms_allowance", f"{rule.name}:{who}", algorithm="sha256").hexdigest()


def take_allowance(rule: Rule, who: str, now: datetime.datetime) -> None:
    """One more code for `who` under `rule`, or TooManyAttempts saying when. Each step is one
    conditional UPDATE of the rule's row: a window that has run out starts again at one; a
    current one counts up only while below the limit."""
    key = allowance_key(rule, who)
    SmsAllowance.objects.get_or_create(key=key, defaults={"window_start": now - rule.window, "count": 0})
    rows = SmsAllowance.objects.filter(key=key)
    if rows.filter(window_start__lte=now - rule.window).update(window_start=now, count=1):
        return
    if rows.filter(window_start__gt=now - rule.window, count__lt=rule.limit).update(count=F("count") + 1):
        return
    ends = rows.values_list("window_start", flat=True).get() + rule.window
    when = timezone.localtime(ends).strftime("%H:%M:%S")
    # retry_after in seconds, as core.throttle gives it: the API sends it as Retry-After too
    wait = max(math.ceil((ends - now).total_seconds()), 1)
    raise TooManyAttempts(rule.refusal.format(when=when), details={"retry_after": wait})


def sms_channel() -> Channel:
    channel = Channel.objects.filter(active=True, kind=Channel.Kind.SMS).order_by("pk").first()
    if channel is None:
        # said to everyone alike, before the phone is looked up
        raise Unavailable("短信网关尚未设置，暂时无法发送验证码，请联系管理员，或用账号密码登录")
    return channel


def may_sign_in_by_sms(phone: str) -> User | None:
    return User.objects.filter(phone=phone, is_active=True, is_staff=False, is_superuser=False).first()


def do_send_sign_in_code(phone: str, *, address: str | None, now: datetime.datetime) -> str:
    """Sends a sign-in code to the phone if an account may sign in with it; returns SENT either
    way. Refusals (a malformed number, too many codes) do not depend on the account either."""
    phone = phone_of(phone)
    with transaction.atomic():  # a refused rule rolls back the allowances the others took
        for rule in RULES_PER_PHONE:
            take_allowance(rule, phone, now)
        if address:
            take_allowance(RULE_PER_ADDRESS, address, now)
        channel = sms_channel()
        user = may_sign_in_by_sms(phone)
        if user is None:
            return SENT
        SmsCode.objects.filter(phone=phone, used_at__isnull=True, expires_at__gt=now).update(expires_at=now)
        code = f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"
        SmsCode.objects.create(
            phone=phone,
            user=user,
            code_hash=code_hash(phone, code),
            address=address,
            created_at=now,
            expires_at=now + CODE_LIFETIME,
        )
        minutes = int(CODE_LIFETIME.total_seconds() // 60)
        row = Delivery.objects.create(
            channel=channel,
            user=user,
            address=phone,
            topic=SIGN_IN,
            title="复工通登录验证码",
            body=f"验证码 ******（不留存），{minutes}分钟内有效",
            status=Delivery.Status.SENDING,  # sent by send_after_commit, never by the outbox runners
            attempts=1,
            next_attempt_at=now + CODE_LIFETIME,
        )
        send_after_commit(row, f"验证码 {code}，{minutes}分钟内有效，请勿告诉他人。如非本人操作请忽略。")
        audit.record(
            actor=user,
            channel=audit.current().channel,
            action="auth.sms_code",
            obj=user,
            note=f"验证码发往 {masked(phone)}，来自 {address or '未知地址'}",
        )
    return SENT


def check_sign_in_code(phone: str, code: str, *, address: str | None, now: datetime.datetime) -> User:
    """The account the code was sent for, consuming the code; Unauthorized with one message for
    every failure (wrong, expired, used, out of attempts, no such phone, account disabled)."""
    phone = phone_of(phone)
    code = (code or "").strip().translate(str.maketrans("０１２３４５６７８９", "0123456789"))
    if not re.fullmatch(rf"\d{{{CODE_DIGITS}}}", code):
        raise ValidationFailed.of([ErrorItem("验证码为短信中的6位数字", "invalid", "code", "验证码")])
    live = SmsCode.objects.filter(
        phone=phone, used_at__isnull=True, expires_at__gt=now, attempts__lt=MAX_CHECKS
    )
    latest = live.order_by("-created_at").values_list("pk", "code_hash", "user_id").first()
    if latest is None:
        raise failed(phone, address, "没有有效的验证码")
    pk, stored, user_id = latest
    if not live.filter(pk=pk).update(attempts=F("attempts") + 1):
        raise failed(phone, address, "验证码核对次数已用完")
    if not hmac.compare_digest(stored, code_hash(phone, code)):
        raise failed(phone, address, "验证码错误")
    if not SmsCode.objects.filter(pk=pk, used_at__isnull=True).update(used_at=now):
        raise failed(phone, address, "验证码已被使用")
    user = User.objects.filter(pk=user_id, is_active=True, is_staff=False, is_superuser=False).first()
    if user is None:
        raise failed(phone, address, "账号已停用")
    return user


def failed(phone: str, address: str | None, reason: str) -> Unauthorized:
    """The one refusal the caller sees; the audit trail keeps the real reason (never the code)."""
    record_failed_sign_in(masked(phone), address, f"短信验证码登录失败：{reason}", audit.current().channel)
    return Unauthorized(WRONG)


KEEP_CODES = datetime.timedelta(days=1)  # long past any code's life and any allowance's window


def do_purge_sign_in(now: datetime.datetime) -> int:
    """Once a day: spent codes, allowances whose window closed, devices whose session ended
    (expired sessions are removed by Django's clearsessions, or never read again)."""
    if not do_claim(f"purge-sign-in:{timezone.localdate(now)}", "清理过期验证码与登录设备"):
        return 0
    removed = SmsCode.objects.filter(expires_at__lt=now - KEEP_CODES).delete()[0]
    removed += SmsAllowance.objects.filter(window_start__lt=now - KEEP_CODES).delete()[0]
    live = Session.objects.filter(expire_date__gt=now).values("session_key")
    removed += DeviceSession.objects.exclude(session_key__in=live).delete()[0]
    return removed
