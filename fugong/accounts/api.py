"""API: exchange a user name and password, or a phone and its SMS code, for a token; list and
revoke one's tokens."""

from __future__ import annotations

import datetime

from django.http import HttpRequest
from django.utils import timezone
from ninja import Router, Schema

from fugong.accounts import actions, devices, sms_sign_in
from fugong.accounts.models import ApiToken, User, me
from fugong.core import throttle
from fugong.core.errors import ErrorItem, ValidationFailed
from fugong.core.limits import Name
from fugong.core.models import Channel

router = Router(tags=["认证"])


class TokenRequest(Schema):
    """Either username and password (staff), or phone and the code sent to it (reporters)."""

    username: Name | None = None
    password: Name | None = None
    phone: Name | None = None
    code: Name | None = None
    name: Name = "接口调用"


class SmsCodeRequest(Schema):
    phone: Name


class SmsCodeSent(Schema):
    message: str


class TokenOut(Schema):
    token: str
    id: int
    name: str


class TokenInfo(Schema):
    id: int
    name: str
    prefix: str
    created_at: datetime.datetime
    last_used_at: datetime.datetime | None


class TokenList(Schema):
    items: list[TokenInfo]
    count: int


@router.post("/sms-code", auth=None, response={202: SmsCodeSent}, summary="发送登录短信验证码")
def send_sms_code(request: HttpRequest, payload: SmsCodeRequest) -> tuple[int, dict[str, str]]:
    """The same answer whether or not the phone is registered; only a registered one gets an SMS."""
    sent = sms_sign_in.do_send_sign_in_code(
        payload.phone, address=devices.client_address(request), now=timezone.now()
    )
    return 202, {"message": sent}


@router.post("/token", auth=None, response=TokenOut, summary="用户名和密码（或手机号和短信验证码）换取令牌")
def create_token(request: HttpRequest, payload: TokenRequest) -> dict[str, object]:
    token, raw = actions.do_create_token(signed_in_user(request, payload), payload.name, channel=Channel.API)
    return {"token": raw, "id": token.pk, "name": token.name}


@router.get("/tokens", response=TokenList, summary="我的有效令牌")
def list_tokens(request: HttpRequest) -> dict[str, object]:
    items = list(ApiToken.objects.filter(user=me(request), revoked_at__isnull=True))
    return {"items": items, "count": len(items)}


@router.delete("/tokens/{token_id}", response={204: None}, summary="吊销令牌")
def revoke_token(request: HttpRequest, token_id: int) -> tuple[int, None]:
    actions.do_revoke_token(me(request), token_id, channel=Channel.API)
    return 204, None


def signed_in_user(request: HttpRequest, payload: TokenRequest) -> User:
    if payload.phone is not None or payload.code is not None:
        missing = [
            (f, label)
            for f, label in (("phone", "手机号"), ("code", "验证码"))
            if getattr(payload, f) is None
        ]
        if missing:
            raise ValidationFailed.of(
                [ErrorItem(f"请填写{label}", "required", f, label) for f, label in missing]
            )
        return sms_sign_in.check_sign_in_code(
            payload.phone or "",
            payload.code or "",
            address=devices.client_address(request),
            now=timezone.now(),
        )
    missing = [
        (f, label)
        for f, label in (("username", "用户名"), ("password", "密码"))
        if getattr(payload, f) is None
    ]
    if missing:
        raise ValidationFailed.of(
            [
                ErrorItem(f"请填写{label}（或改用 phone 和 code）", "required", f, label)
                for f, label in missing
            ]
        )
    return actions.check_login(
        payload.username or "", payload.password or "", ip=throttle.client_address(request)
    )
