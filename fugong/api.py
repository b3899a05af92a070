"""The HTTP API (/api/v1/): one NinjaAPI, token or session auth, errors as {code, message, details}."""

from __future__ import annotations

import json
import logging
from typing import Any

from django.db import OperationalError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from ninja import NinjaAPI, Swagger
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.openapi.docs import _csrf_needed
from ninja.parser import Parser
from ninja.renderers import JSONRenderer
from ninja.security import HttpBearer, SessionAuth

from fugong.accounts.actions import user_for_token
from fugong.core.errors import BadRequest, DomainError, NotFound, Unauthorized, Unavailable
from fugong.core.openapi import document_errors
from fugong.core.validation import chinese_errors

logger = logging.getLogger("django.request")


class BearerToken(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> Any:
        user = user_for_token(token)
        if user is not None:
            request.user = user
        return user


class ChineseJSONRenderer(JSONRenderer):
    json_dumps_params = {"ensure_ascii": False}  # messages stay readable in logs and curl


class VendoredSwagger(Swagger):
    """Swagger UI from static/vendor/swagger-ui/ (no CDN: the docs must open on an intranet)."""

    def render_page(self, request: HttpRequest, api: NinjaAPI, **kwargs: Any) -> HttpResponse:
        self.settings["url"] = self.get_openapi_url(api, kwargs)
        context = {
            "swagger_settings": json.dumps(self.settings, ensure_ascii=False),
            "api": api,
            "add_csrf": _csrf_needed(api),
        }
        return render(request, "api/docs.html", context)


def lone_surrogate(data: Any) -> str | None:
    """The first string (or key) holding half of a UTF-16 pair, which no database can store."""
    stack = [data]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if any("\ud800" <= ch <= "\udfff" for ch in item):
                return item
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return None


class StrictJSONParser(Parser):
    """JSON bodies as Ninja reads them, minus the strings no database can store."""

    def parse_body(self, request: HttpRequest) -> Any:
        data = json.loads(request.body)
        if not isinstance(data, dict):  # every body of this API is an object; Ninja would read [] as {}
            raise BadRequest("请求体应为 JSON 对象（{…}），不能是数组或单个值，请对照接口文档修改")
        if lone_surrogate(data) is not None:
            raise BadRequest("请求中含有无效的字符（不成对的 UTF-16 代理项，如 \\ud800），请删除后重试")
        return data


class FugongAPI(NinjaAPI):
    def get_openapi_schema(self, *args: Any, **kwargs: Any) -> Any:
        return document_errors(super().get_openapi_schema(*args, **kwargs))


api = FugongAPI(
    title="复工通 Fugong API",
    version="1",
    description=(
        "企业复工复产调度与服务平台接口。认证：`POST /api/v1/auth/token` 取得令牌后，"
        "在请求头加 `Authorization: Bearer <token>`。错误一律为 `{code, message, details}`，message 为中文说明。"
    ),
    auth=[BearerToken(), SessionAuth()],
    urls_namespace="api",
    renderer=ChineseJSONRenderer(),
    parser=StrictJSONParser(),
    docs=VendoredSwagger(settings={"validatorUrl": None, "persistAuthorization": True}),
)


def error_response(request: HttpRequest, error: DomainError) -> HttpResponse:
    response = api.create_response(request, error.as_dict(), status=error.status)
    if "retry_after" in error.details:  # a throttle's wait (core.throttle.Throttled), in seconds
        response["Retry-After"] = str(error.details["retry_after"])
    return response


@api.exception_handler(DomainError)
def on_domain_error(request: HttpRequest, exc: DomainError) -> HttpResponse:
    return error_response(request, exc)


@api.exception_handler(AuthenticationError)
def on_auth_error(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return error_response(request, Unauthorized())


@api.exception_handler(NinjaValidationError)
def on_validation_error(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
    errors = chinese_errors(exc.errors)
    summary = "；".join(f"{e.field or '请求体'}：{e.message}" for e in errors[:5])
    body = {
        "code": "invalid_request",
        "message": f"请求格式有误（{summary}），请对照接口文档 /api/v1/docs 修改",
        "details": {"errors": [e.as_dict() for e in errors]},
    }
    return api.create_response(request, body, status=422)


@api.exception_handler(HttpError)
def on_http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    cause = exc.__cause__
    if isinstance(cause, DomainError):  # raised by the parser, wrapped by Ninja
        return error_response(request, cause)
    if isinstance(cause, ValueError | RecursionError):  # json.JSONDecodeError, UnicodeDecodeError
        where = f"第{cause.lineno}行第{cause.colno}列" if isinstance(cause, json.JSONDecodeError) else "编码"
        return error_response(
            request,
            BadRequest(
                f"请求体不是有效的 JSON（{where}有误），请检查引号、逗号和括号，并使用 UTF-8 编码",
                details={"content_type": request.content_type},
            ),
        )
    message = str(exc)
    if "CSRF" in message:
        message = "页面已过期或缺少安全校验（CSRF），请刷新页面后重试；脚本调用请使用 Bearer 令牌"
    body = {"code": f"http_{exc.status_code}", "message": message, "details": {}}
    return api.create_response(request, body, status=exc.status_code)


@api.exception_handler(Http404)
def on_not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return error_response(request, NotFound())


@api.exception_handler(OperationalError)
def on_database_unavailable(request: HttpRequest, exc: OperationalError) -> HttpResponse:
    logger.error("数据库不可用：%s", exc, exc_info=exc)
    error = Unavailable()
    response = error_response(request, error)
    response["Retry-After"] = str(error.retry_after)
    return response


@api.exception_handler(Exception)
def on_unexpected_error(request: HttpRequest, exc: Exception) -> HttpResponse:
    # Logged like Django's own handler (so the admins' mail and the log still see it), answered as JSON.
    logger.error("接口内部错误：%s %s", request.method, request.path, exc_info=exc)
    body = {"code": "server_error", "message": "服务器内部错误，已记录，请稍后重试或联系系统管理员", "details": {}}
    return api.create_response(request, body, status=500)


api.add_router("/auth", "fugong.accounts.api.router")
api.add_router("/regions", "fugong.regions.api.router")
api.add_router("/enterprises", "fugong.enterprises.api.router")
api.add_router("", "fugong.dispatch.api.router")
api.add_router("/notifications", "fugong.notify.api.router")
api.add_router("", "fugong.problems.api.router")
api.add_router("", "fugong.lists.api.router")
