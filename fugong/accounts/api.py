"""API: exchange a user name and password for a token; list and revoke one's tokens."""

from __future__ import annotations

import datetime

from django.http import HttpRequest
from ninja import Router, Schema

from fugong.accounts import actions
from fugong.accounts.models import ApiToken, me
from fugong.core import throttle
from fugong.core.limits import Name
from fugong.core.models import Channel

router = Router(tags=["认证"])


class TokenRequest(Schema):
    username: Name
    password: Name
    name: Name = "接口调用"


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


@router.post("/token", auth=None, response=TokenOut, summary="用户名和密码换取令牌")
def create_token(request: HttpRequest, payload: TokenRequest) -> dict[str, object]:
    user = actions.check_login(payload.username, payload.password, ip=throttle.client_address(request))
    token, raw = actions.do_create_token(user, payload.name, channel=Channel.API)
    return {"token": raw, "id": token.pk, "name": token.name}


@router.get("/tokens", response=TokenList, summary="我的有效令牌")
def list_tokens(request: HttpRequest) -> dict[str, object]:
    items = list(ApiToken.objects.filter(user=me(request), revoked_at__isnull=True))
    return {"items": items, "count": len(items)}


@router.delete("/tokens/{token_id}", response={204: None}, summary="吊销令牌")
def revoke_token(request: HttpRequest, token_id: int) -> tuple[int, None]:
    actions.do_revoke_token(me(request), token_id, channel=Channel.API)
    return 204, None
