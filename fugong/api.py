"""The HTTP API (/api/v1/): one NinjaAPI, token or session auth, errors as {code, message, details}."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.renderers import JSONRenderer
from ninja.security import HttpBearer, SessionAuth

from fugong.accounts.actions import user_for_token
from fugong.core.errors import DomainError, Unauthorized


class BearerToken(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> Any:
        user = user_for_token(token)
        if user is not None:
            request.user = user
        return user


class ChineseJSONRenderer(JSONRenderer):
    json_dumps_params = {"ensure_ascii": False}  # messages stay readable in logs and curl


api = NinjaAPI(
    title="复工通 Fugong API",
    version="1",
    description="企业复工复产调度与服务平台接口。认证：POST /api/v1/auth/token 取得令牌后，在请求头加 Authorization: Bearer <token>。",
    auth=[BearerToken(), SessionAuth()],
    urls_namespace="api",
    renderer=ChineseJSONRenderer(),
)


def error_response(request: HttpRequest, error: DomainError) -> HttpResponse:
    return api.create_response(request, error.as_dict(), status=error.status)


@api.exception_handler(DomainError)
def on_domain_error(request: HttpRequest, exc: DomainError) -> HttpResponse:
    return error_response(request, exc)


@api.exception_handler(AuthenticationError)
def on_auth_error(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return error_response(request, Unauthorized())


@api.exception_handler(NinjaValidationError)
def on_validation_error(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
    errors = [
        {
            "field": ".".join(str(p) for p in e.get("loc", ())[1:] if p != "body") or None,
            "message": e.get("msg", ""),
        }
        for e in exc.errors
    ]
    fields = "、".join(e["field"] for e in errors if e["field"]) or "请求体"
    body = {
        "code": "invalid_request",
        "message": f"请求格式有误（{fields}），请对照接口文档修改",
        "details": {"errors": errors},
    }
    return api.create_response(request, body, status=422)


@api.exception_handler(HttpError)
def on_http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    message = str(exc)
    if "CSRF" in message:
        message = "页面已过期或缺少安全校验（CSRF），请刷新页面后重试；脚本调用请使用 Bearer 令牌"
    body = {"code": f"http_{exc.status_code}", "message": message, "details": {}}
    return api.create_response(request, body, status=exc.status_code)


api.add_router("/auth", "fugong.accounts.api.router")
api.add_router("/regions", "fugong.regions.api.router")
api.add_router("/enterprises", "fugong.enterprises.api.router")
api.add_router("", "fugong.dispatch.api.router")
api.add_router("/notifications", "fugong.notify.api.router")
api.add_router("", "fugong.problems.api.router")
