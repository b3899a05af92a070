""" "我的设备": every signed-in browser of a user, and ending one or all the others (issue 14 §2).

Sessions are Django's database sessions; a `DeviceSession` row per session (written when the
user signs in, removed when they sign out) names the device, so the page lists a user's
sessions with two small queries instead of decoding every session in the table. A session that
expired on its own is left out of the list (its Session row is gone or past its date) and its
row dropped then. "Last seen" is touched at most every few minutes, noted in the session itself,
so an ordinary request costs no query.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.signals import user_logged_in, user_logged_out
from django.contrib.sessions.models import Session
from django.db import DatabaseError, transaction
from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from fugong.accounts.models import DeviceSession, User
from fugong.core import audit, throttle
from fugong.core.errors import NotFound

SEEN_EVERY = datetime.timedelta(minutes=5)
SEEN_KEY = "_device_seen"  # in the session: when its row's last_seen_at was last written
BY_SMS_KEY = "_device_by_sms"  # set by the SMS sign-in before login(), read when the row is written


def client_address(request: HttpRequest) -> str | None:
    return throttle.client_address(request)  # proxy-aware, as the sign-in throttle counts it


APPS = (("MicroMessenger", "微信"), ("wxwork", "企业微信"), ("DingTalk", "钉钉"))
SYSTEMS = (
    ("iPhone", "iPhone"),
    ("iPad", "iPad"),
    ("HarmonyOS", "鸿蒙"),
    ("Android", "安卓手机"),
    ("Windows", "Windows 电脑"),
    ("Macintosh", "Mac 电脑"),
    ("Linux", "Linux 电脑"),
)
BROWSERS = (("Edg/", "Edge"), ("Firefox/", "Firefox"), ("Chrome/", "Chrome"), ("Safari/", "Safari"))


def device_name(user_agent: str) -> str:
    """What a person recognises their device by: "安卓手机 · 微信", "Windows 电脑 · Chrome"."""
    system = next((name for mark, name in SYSTEMS if mark in user_agent), "未知设备")
    app = next((name for mark, name in APPS if mark in user_agent), None)
    browser = app or next((name for mark, name in BROWSERS if mark in user_agent), None)
    if browser is None and re.search(r"python|curl|okhttp", user_agent, re.I):
        browser = "程序"
    return f"{system} · {browser}" if browser else system


def signed_in(sender: Any, request: HttpRequest, user: User, **kwargs: Any) -> None:
    session = getattr(request, "session", None)
    if session is None or not session.session_key:
        return
    now = timezone.now()
    user_agent = request.META.get("HTTP_USER_AGENT", "")[:300]
    DeviceSession.objects.update_or_create(
        session_key=session.session_key,
        defaults={
            "user": user,
            "device": device_name(user_agent)[:80],
            "user_agent": user_agent,
            "address": client_address(request),
            "by_sms": bool(session.pop(BY_SMS_KEY, False)),
            "signed_in_at": now,
            "last_seen_at": now,
        },
    )
    session[SEEN_KEY] = now.isoformat()


def signed_out(sender: Any, request: HttpRequest, user: User | None, **kwargs: Any) -> None:
    session = getattr(request, "session", None)
    if session is not None and session.session_key:
        DeviceSession.objects.filter(session_key=session.session_key).delete()


def connect() -> None:
    user_logged_in.connect(signed_in, dispatch_uid="devices.signed_in")
    user_logged_out.connect(signed_out, dispatch_uid="devices.signed_out")


class DeviceSeenMiddleware:
    """Notes when each signed-in device was last used, at most every SEEN_EVERY."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        try:
            self.touch(request)
        except DatabaseError:
            pass  # only a "last seen" time: the page's own answer (perhaps the 503 page) stands
        return response

    def touch(self, request: HttpRequest) -> None:
        session = getattr(request, "session", None)
        user = getattr(request, "user", None)
        if session is None or not session.session_key or user is None or not user.is_authenticated:
            return
        now = timezone.now()
        seen = session.get(SEEN_KEY)
        if seen is None or now - datetime.datetime.fromisoformat(seen) >= SEEN_EVERY:
            DeviceSession.objects.filter(session_key=session.session_key).update(last_seen_at=now)
            session[SEEN_KEY] = now.isoformat()


@dataclass(frozen=True)
class Device:
    row: DeviceSession
    current: bool


def devices_of(user: User, current_key: str | None) -> list[Device]:
    """The user's live sessions, the current one first; rows of sessions that ended are dropped."""
    rows = list(DeviceSession.objects.filter(user=user))
    live = set(
        Session.objects.filter(
            session_key__in=[r.session_key for r in rows], expire_date__gt=timezone.now()
        ).values_list("session_key", flat=True)
    )
    ended = [r.pk for r in rows if r.session_key not in live]
    if ended:
        DeviceSession.objects.filter(pk__in=ended).delete()
    kept = [Device(r, r.session_key == current_key) for r in rows if r.session_key in live]
    return sorted(kept, key=lambda d: not d.current)


@transaction.atomic
def do_revoke_device(user: User, device_id: int, *, current_key: str | None, channel: str) -> DeviceSession:
    """Ends one of the user's own sessions (a lost phone); their current one is ended by 退出."""
    row = DeviceSession.objects.filter(user=user, pk=device_id).exclude(session_key=current_key or "").first()
    if row is None:
        raise NotFound("该设备不存在或已退出登录")
    end_sessions(user, [row], channel=channel)
    return row


@transaction.atomic
def do_revoke_other_devices(user: User, *, current_key: str | None, channel: str) -> int:
    rows = list(DeviceSession.objects.filter(user=user).exclude(session_key=current_key or ""))
    end_sessions(user, rows, channel=channel)
    return len(rows)


def end_sessions(user: User, rows: list[DeviceSession], *, channel: str) -> None:
    keys = [r.session_key for r in rows]
    Session.objects.filter(session_key__in=keys).delete()
    DeviceSession.objects.filter(pk__in=[r.pk for r in rows]).delete()
    for row in rows:
        audit.record(
            actor=user,
            channel=channel,
            action="auth.device_revoke",
            obj=user,
            note=f"退出设备：{row.device}（{row.address or '未知地址'}，{timezone.localtime(row.signed_in_at):%Y-%m-%d %H:%M} 登录）",
        )
