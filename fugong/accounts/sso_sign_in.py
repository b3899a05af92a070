"""Signing in through WeCom or DingTalk: the state that ties the browser's return to its start,
the provider's answer, and the account it belongs to.

An identity is linked once, at the person's first sign-in through the provider, to the active
account that has the mobile number the provider gives (one account per number, see
core/phones); after that the provider's own id finds it, even if the number changes. Nobody is
made an account by signing in: a person the registry and the dispatchers have not enrolled is
told whom to ask, so signing in through an app never grants any right.
"""

from __future__ import annotations

import datetime
import secrets
from typing import Any

from django.db import transaction

from fugong.accounts import sso_providers as providers
from fugong.accounts.models import ExternalIdentity, Provider, User
from fugong.core import audit, phones
from fugong.core.cells import CellError
from fugong.core.errors import Unauthorized
from fugong.core.models import Channel

STATE_KEY = "sso_sign_in"
STATE_SECONDS = 600  # a sign-in started and not finished within ten minutes starts again


def begin(session: Any, provider: str, next_url: str, now: datetime.datetime) -> str:
    """A fresh state for this browser's sign-in, kept in its session until it comes back."""
    state = secrets.token_urlsafe(24)
    session[STATE_KEY] = {"provider": provider, "state": state, "next": next_url, "at": now.timestamp()}
    return state


def check_sign_in(provider: str, params: Any, started: dict[str, Any] | None, now: datetime.datetime) -> User:
    """The account of the person the provider sent back, or the refusal to show them."""
    config = providers.config_of(provider)
    label = Provider(provider).label if provider in Provider.values else provider
    if config is None:
        raise Unauthorized(f"本系统未启用{label}登录，请使用手机号验证码或用户名密码登录")
    if (
        not started
        or started.get("provider") != provider
        or not secrets.compare_digest(str(started.get("state", "")), str(params.get("state", "")))
        or now.timestamp() - float(started.get("at", 0)) > STATE_SECONDS
    ):
        raise Unauthorized(f"这次{label}登录已失效或不是从本站发起的，请回到登录页重新点击“{label}登录”")
    code = providers.code_of(provider, params)
    if not code:
        raise Unauthorized(f"您没有同意{label}授权，未登录；如需登录请重新点击“{label}登录”并同意，或使用手机号验证码登录")
    try:
        person = providers.person(config, code)
    except providers.ProviderRefused as exc:
        raise Unauthorized(exc.message) from None
    return linked_account(provider, person, now)


@transaction.atomic
def linked_account(provider: str, person: providers.Person, now: datetime.datetime) -> User:
    label = Provider(provider).label
    identity = ExternalIdentity.objects.select_related("user").filter(provider=provider, subject=person.subject).first()
    if identity is None:
        identity = link_by_mobile(provider, person, label)
    user = identity.user
    if not user.is_active:
        raise Unauthorized("您的复工通账号已停用，不能登录；如有疑问请联系本级调度员")
    ExternalIdentity.objects.filter(pk=identity.pk).update(last_sign_in_at=now)
    return user


def link_by_mobile(provider: str, person: providers.Person, label: str) -> ExternalIdentity:
    who = f"（{person.name}）" if person.name else ""
    try:
        mobile = phones.normalize_mobile(person.mobile) if person.mobile else ""
    except CellError:
        mobile = ""
    user = User.objects.filter(phone=mobile, is_active=True).first() if mobile else None
    if user is None:
        said = f"手机号{phones.masked(mobile)}" if mobile else f"{label}未提供手机号"
        raise Unauthorized(
            f"您的{label}账号{who}还没有对应的复工通账号（{said}）：请联系本级调度员用您的手机号开通账号后再登录"
        )
    identity = ExternalIdentity.objects.create(provider=provider, subject=person.subject, user=user, name=person.name[:60])
    audit.record(
        actor=user,
        channel=Channel.WEB,
        action="sso.link",
        obj=identity,
        changes={"provider": [None, label], "subject": [None, person.subject]},
        note=f"首次用{label}登录，按手机号{phones.masked(mobile)}关联",
    )
    return identity


def started_at(session: Any) -> dict[str, Any] | None:
    """The sign-in this browser started (taken out: a state is good for one return)."""
    started = session.pop(STATE_KEY, None)
    return started if isinstance(started, dict) else None
