"""Sending one outbox row through its channel: e-mail, SMS gateway, WeCom or DingTalk robot.

Each sender either returns (delivered) or raises `SendFailed` with a Chinese reason that the
administrator sees on the delivery. The group robots' formats are their published ones: WeCom
`{"msgtype": "markdown", "markdown": {"content": …}}`; DingTalk the same shape with a title,
and in its "加签" mode `timestamp` and `sign` = Base64(HMAC-SHA256(secret, "timestamp\\nsecret"))
added to the URL. Both answer HTTP 200 with `errcode` 0 on success. The SMS gateway is a plain
HTTP endpoint taking `{"phone": …, "text": …}` with the token as a Bearer header.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.mail import send_mail

from fugong.notify.models import Channel, Delivery


class SendFailed(Exception):
    """The channel did not take the message; the text says why, in Chinese."""


def timeout() -> float:
    return float(getattr(settings, "FUGONG_WEBHOOK_TIMEOUT", 5.0))


def absolute(url: str) -> str:
    base = getattr(settings, "FUGONG_SITE_URL", "").rstrip("/")
    return f"{base}{url}" if url.startswith("/") and base else url


def text_of(delivery: Delivery) -> str:
    link = absolute(delivery.url)
    return f"{delivery.title}\n{delivery.body}" + (f"\n{link}" if link else "")


def markdown_of(delivery: Delivery) -> str:
    link = absolute(delivery.url)
    return f"### {delivery.title}\n{delivery.body}" + (f"\n\n[查看详情]({link})" if link else "")


def post_json(url: str, payload: dict[str, Any], headers: dict[str, str] | None = None) -> bytes:
    request = urllib.request.Request(
        url,
        data=json.dumps(payload, ensure_ascii=False).encode(),
        headers={"Content-Type": "application/json; charset=utf-8", **(headers or {})},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout()) as response:
            return bytes(response.read(65536))
    except urllib.error.HTTPError as exc:
        raise SendFailed(f"对方返回 HTTP {exc.code}") from exc
    except (TimeoutError, urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        if isinstance(reason, TimeoutError) or "timed out" in str(reason):
            raise SendFailed(f"对方在 {timeout():g} 秒内没有应答") from exc
        raise SendFailed(f"无法连接：{reason}") from exc


def robot_answer(raw: bytes) -> None:
    """WeCom and DingTalk answer 200 even when they refuse: the refusal is in errcode."""
    try:
        answer = json.loads(raw or b"{}")
    except ValueError as exc:
        raise SendFailed("对方的应答不是 JSON") from exc
    if answer.get("errcode", 0) != 0:
        raise SendFailed(f"对方拒绝：errcode {answer.get('errcode')} {answer.get('errmsg', '')}".strip())


def dingtalk_signed(url: str, secret: str, now_ms: int | None = None) -> str:
    if not secret:
        return url
    timestamp = str(now_ms if now_ms is not None else int(time.time() * 1000))
    digest = hmac.new(secret.encode(), f"{timestamp}\n{secret}".encode(), hashlib.sha256).digest()
    sign = urllib.parse.quote_plus(base64.b64encode(digest))
    return f"{url}{'&' if '?' in url else '?'}timestamp={timestamp}&sign={sign}"


def send_wecom(channel: Channel, delivery: Delivery) -> None:
    robot_answer(
        post_json(channel.url, {"msgtype": "markdown", "markdown": {"content": markdown_of(delivery)}})
    )


def send_dingtalk(channel: Channel, delivery: Delivery) -> None:
    payload = {"msgtype": "markdown", "markdown": {"title": delivery.title, "text": markdown_of(delivery)}}
    robot_answer(post_json(dingtalk_signed(channel.url, channel.secret), payload))


def send_sms(channel: Channel, delivery: Delivery) -> None:
    headers = {"Authorization": f"Bearer {channel.secret}"} if channel.secret else {}
    post_json(channel.url, {"phone": delivery.address, "text": text_of(delivery)}, headers)


def send_email(channel: Channel, delivery: Delivery) -> None:
    try:
        send_mail(
            subject=f"【复工通】{delivery.title}",
            message=text_of(delivery),
            from_email=channel.sender or None,
            recipient_list=[delivery.address],
            fail_silently=False,
        )
    except OSError as exc:  # smtplib's errors are OSErrors
        raise SendFailed(f"邮件服务器拒绝或无法连接：{exc}") from exc


SENDERS: dict[str, Callable[[Channel, Delivery], None]] = {
    Channel.Kind.WECOM: send_wecom,
    Channel.Kind.DINGTALK: send_dingtalk,
    Channel.Kind.SMS: send_sms,
    Channel.Kind.EMAIL: send_email,
}


def send(delivery: Delivery) -> None:
    SENDERS[delivery.channel.kind](delivery.channel, delivery)
