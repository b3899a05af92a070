"""State changes for accounts: sign-in with failure throttles (core.throttle), API tokens, passwords."""

from __future__ import annotations

import secrets
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import authenticate
from django.db import transaction
from django.utils import timezone

from fugong.accounts.models import ApiToken, User, hash_token
from fugong.accounts.signals import record_failed_sign_in
from fugong.core import audit, throttle
from fugong.core.errors import ErrorItem, NotFound, Unauthorized, ValidationFailed

TOKEN_PREFIX = "fg_"


def account_limit() -> throttle.Limit:
    """Failures per user name (lower-cased), from anywhere: the race-free bound on guessing."""
    return login_limit("login-user", settings.FUGONG_LOGIN_MAX_FAILURES)


def address_limit() -> throttle.Limit:
    """Failures from one address, for any names: no gate itself, see check_login."""
    return login_limit("login-address", settings.FUGONG_LOGIN_ADDRESS_MAX_FAILURES)


def name_on_address_limit() -> throttle.Limit:
    """One name tried from one address: one free failure, enforced once the address is busy."""
    return login_limit("login-name-on-address", 1)


def login_limit(scope: str, free: int) -> throttle.Limit:
    longest_wait = timedelta(seconds=settings.FUGONG_LOGIN_LONGEST_WAIT_SECONDS)
    return throttle.Limit(
        scope,
        free=free,
        first_wait=timedelta(seconds=settings.FUGONG_LOGIN_FIRST_WAIT_SECONDS),
        longest_wait=longest_wait,
        # a forget period shorter than the longest wait would let a waiting name start afresh
        forget_after=max(timedelta(seconds=settings.FUGONG_LOGIN_FORGET_SECONDS), longest_wait),
    )


def check_login(username: str, password: str, *, ip: str | None = None) -> User:
    """The user for these credentials, or an error; `ip` is throttle.client_address(request).

    Two throttles, both with growing waits rather than a lock:
    - per account (the user name, whatever the address): FUGONG_LOGIN_MAX_FAILURES free failures,
      taken before the password is checked, so parallel guesses get no more real checks than that;
    - per address, without locking the address: once FUGONG_LOGIN_ADDRESS_MAX_FAILURES failures
      came from it, a name that has failed from it must wait after each failure there. A name
      not yet tried from that address is checked as usual, so behind a shared address (an office
      NAT, a carrier's, a proxy) one person's failures never stop a colleague's correct password,
      while someone guessing across many names gets one guess per name, then waits.
    """
    username = (username or "").replace("\x00", "").strip()[:150]
    name = username.lower()
    account, address, name_on_address = account_limit(), address_limit(), name_on_address_limit()
    address_key = throttle.address_key(ip)
    here = f"{address_key} {name}"
    busy_address = throttle.failures(address, address_key) >= address.free
    channel = audit.current().channel  # the page or the API: the request being served says
    try:
        tries_here = 0
        if busy_address:
            try:
                tries_here = throttle.take_attempt(name_on_address, here)
            except throttle.Throttled as waiting:
                raise throttle.Throttled(
                    waiting.wait,
                    f"此地址近来登录失败次数过多，账号“{username}”在此地址请{throttle.in_words(waiting.wait)}后再试",
                ) from None
        try:
            failures = throttle.take_attempt(account, name)
        except throttle.Throttled as waiting:
            raise throttle.Throttled(
                waiting.wait,
                f"账号“{username}”登录失败次数过多，请{throttle.in_words(waiting.wait)}后再试；"
                "如忘记密码，请联系管理员重置",
            ) from None
    except throttle.Throttled as refused:
        record_failed_sign_in(username, ip, refused.message, channel, lockout=True)
        raise
    user = authenticate(username=username, password=password)
    if user is None:
        throttle.count_failure(address, address_key)
        if not busy_address:  # when it is, the attempt was counted before the check
            throttle.count_failure(name_on_address, here)
        wait_here = name_on_address.wait_after(tries_here) if busy_address else None
        if wait_here and (account.wait_after(failures) or timedelta()) < wait_here:
            then = f"在此地址需等待{throttle.in_words(wait_here)}才能再试"
        else:
            then = what_next(account, failures)
        failed = Unauthorized(f"用户名或密码错误，请检查后重试（{then}）")
        record_failed_sign_in(username, ip, failed.message, channel)
        raise failed
    throttle.clear(account, name)
    throttle.clear(name_on_address, here)
    return user  # type: ignore[return-value]


def what_next(account: throttle.Limit, failures: int) -> str:
    wait = account.wait_after(failures)
    if wait is None:
        first = throttle.in_words(account.first_wait)
        return f"再失败{account.free - failures}次需等待{first}才能再试"
    return f"需等待{throttle.in_words(wait)}才能再试"


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
