"""State changes for accounts: sign-in with a failure throttle, API tokens, passwords."""

from __future__ import annotations

import secrets
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import authenticate
from django.db import transaction
from django.utils import timezone

from fugong.accounts.models import ApiToken, LoginAttempt, User, hash_token
from fugong.accounts.signals import record_failed_sign_in
from fugong.core import audit
from fugong.core.errors import ErrorItem, NotFound, TooManyAttempts, Unauthorized, ValidationFailed

TOKEN_PREFIX = "fg_"


def check_login(username: str, password: str, *, ip: str | None = None) -> User:
    """The user for these credentials, or an error; failures are counted per user name."""
    username = (username or "").replace("\x00", "").strip()[:150]
    window_start = timezone.now() - timedelta(seconds=settings.FUGONG_LOGIN_WINDOW_SECONDS)
    LoginAttempt.objects.filter(at__lt=window_start).delete()
    # Counted per user name from this address, so a stranger elsewhere cannot lock a real user
    # out; and per address over all names, so one address cannot guess across many accounts.
    recent = LoginAttempt.objects.filter(at__gte=window_start, ip=ip)
    failures = recent.filter(username__iexact=username).count()
    channel = audit.current().channel  # the page or the API: the request being served says
    if recent.count() >= settings.FUGONG_LOGIN_MAX_FAILURES * 4:
        refused = TooManyAttempts("此地址登录失败次数过多，已暂时限制登录，请稍后再试或联系管理员")
        record_failed_sign_in(username, ip, refused.message, channel, lockout=True)
        raise refused
    if failures >= settings.FUGONG_LOGIN_MAX_FAILURES:
        minutes = settings.FUGONG_LOGIN_WINDOW_SECONDS // 60
        refused = TooManyAttempts(
            f"账号“{username}”连续登录失败{failures}次，已暂时锁定，请{minutes}分钟后再试，或联系管理员重置密码"
        )
        record_failed_sign_in(username, ip, refused.message, channel, lockout=True)
        raise refused
    user = authenticate(username=username, password=password)
    if user is None:
        LoginAttempt.objects.create(username=username, ip=ip)
        left = settings.FUGONG_LOGIN_MAX_FAILURES - failures - 1
        failed = Unauthorized(f"用户名或密码错误，请检查后重试（再失败{left}次将暂时锁定）")
        record_failed_sign_in(username, ip, failed.message, channel)
        raise failed
    LoginAttempt.objects.filter(username__iexact=username, ip=ip).delete()
    return user  # type: ignore[return-value]


@transaction.atomic
def do_create_token(user: User, name: str, *, channel: str) -> tuple[ApiToken, str]:
    """Makes a token and returns it with its raw value, which is never stored or shown again."""
    name = (name or "").strip()
    if not name:
        raise ValidationFailed.of([ErrorItem("请填写令牌用途，例如“市局数据对接”", "required", "name", "令牌用途")])
    if len(name) > 60:
        raise ValidationFailed.of([ErrorItem(f"令牌用途最多60个字，现为{len(name)}个字", "too_long", "name", "令牌用途")])
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(user=user, name=name, prefix=raw[:8], key_hash=hash_token(raw))
    audit.record(
        actor=user, channel=channel, action="token.create", obj=token, changes={"name": [None, name]}
    )
    return token, raw


@transaction.atomic
def do_revoke_token(user: User, token_id: int, *, channel: str) -> ApiToken:
    token = ApiToken.objects.filter(user=user, pk=token_id, revoked_at__isnull=True).first()
    if token is None:
        raise NotFound("令牌不存在或已吊销")
    token.revoked_at = timezone.now()
    token.save(update_fields=["revoked_at"])
    audit.record(actor=user, channel=channel, action="token.revoke", obj=token)
    return token


def user_for_token(raw: str) -> User | None:
    token = (
        ApiToken.objects.select_related("user")
        .filter(key_hash=hash_token(raw), revoked_at__isnull=True, user__is_active=True)
        .first()
    )
    if token is None:
        return None
    now = timezone.now()
    # Touch at most once a minute: a busy script should not write on every request.
    if token.last_used_at is None or now - token.last_used_at > timedelta(minutes=1):
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user


@transaction.atomic
def do_change_password(user: User, new_password: str, *, channel: str) -> None:
    with audit.acting(user, channel):  # recorded by accounts.signals, like a change in the admin
        user.set_password(new_password)
        user.save(update_fields=["password"])


@transaction.atomic
def do_revoke_tokens(by: User, token_ids: list[int], *, channel: str) -> int:
    """An administrator revokes other people's tokens (a lost laptop, a leaver)."""
    tokens = list(ApiToken.objects.filter(pk__in=token_ids, revoked_at__isnull=True).select_related("user"))
    now = timezone.now()
    for token in tokens:
        token.revoked_at = now
        token.save(update_fields=["revoked_at"])
        audit.record(actor=by, channel=channel, action="token.revoke", obj=token, note=f"用户 {token.user.username}：{token}")
    return len(tokens)
