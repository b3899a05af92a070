"""Refusals made in one place, whichever way a request came in.

- RequestSizeMiddleware: a body over FUGONG_MAX_REQUEST_BYTES is refused before anything reads
  it, except by the views marked with @accepts_uploads (they keep FUGONG_MAX_UPLOAD_BYTES).
- RejectNulMiddleware: NUL characters (PostgreSQL cannot store them) in the URL, the body, or
  the text fields of a multipart form.
- DomainErrorMiddleware: domain errors under a page view become a readable page; a database
  that cannot be reached becomes 503 with Retry-After; under /api/ every 404 and 405 is JSON.

A refusal is JSON {code, message, details} under /api/ and a short page elsewhere, rendered
without the request (no session, no user): it must work when the database does not.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable
from typing import Any, TypeVar

from django.conf import settings
from django.db import OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.http.multipartparser import MultiPartParserError
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import Resolver404, resolve
from django.views import defaults

from fugong.core.errors import (
    BadRequest,
    DomainError,
    MethodNotAllowed,
    NotFound,
    PayloadTooLarge,
    Unavailable,
)

logger = logging.getLogger("django.request")
View = TypeVar("View", bound=Callable[..., Any])
FORM_ALLOWANCE = 1024 * 1024  # the form fields and multipart framing around uploaded files
UPLOAD_ATTRIBUTE = "fugong_upload_bytes"


def accepts_uploads(view: View) -> View:
    """Marks a page that receives files: its body may be as large as FUGONG_MAX_UPLOAD_BYTES."""
    setattr(view, UPLOAD_ATTRIBUTE, True)
    return view


def is_api(request: HttpRequest) -> bool:
    return request.path_info.startswith("/api/")


def refusal(request: HttpRequest, error: DomainError) -> HttpResponse:
    """The response for a request refused outside a view: JSON for the API, a page otherwise."""
    response: HttpResponse
    if is_api(request):
        response = JsonResponse(error.as_dict(), status=error.status, json_dumps_params={"ensure_ascii": False})
    else:
        template = "503.html" if isinstance(error, Unavailable) else "core/refused.html"
        response = HttpResponse(render_to_string(template, {"error": error}), status=error.status)
    if isinstance(error, Unavailable):
        response["Retry-After"] = str(error.retry_after)
    return response


def megabytes(size: int) -> str:
    return f"{size / 1048576:.1f} MB" if size >= 104858 else f"{size / 1024:.0f} KB"


class RequestSizeMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0  # Django reads no body then either
        limit = self.limit_for(request)
        if length > limit:
            return refusal(request, self.too_large(request, length, limit))
        return self.get_response(request)

    @staticmethod
    def limit_for(request: HttpRequest) -> int:
        try:
            view = resolve(request.path_info).func
        except Resolver404:
            return int(settings.FUGONG_MAX_REQUEST_BYTES)
        if getattr(view, UPLOAD_ATTRIBUTE, False):
            return int(settings.FUGONG_MAX_UPLOAD_BYTES) + FORM_ALLOWANCE
        return int(settings.FUGONG_MAX_REQUEST_BYTES)

    @staticmethod
    def too_large(request: HttpRequest, length: int, limit: int) -> PayloadTooLarge:
        if limit > int(settings.FUGONG_MAX_REQUEST_BYTES):  # an upload page: the file is too big
            files = megabytes(int(settings.FUGONG_MAX_UPLOAD_BYTES))
            return PayloadTooLarge(
                f"文件过大（{megabytes(length)}），上限为{files}；请分成几个文件（如按区县）分别上传",
                details={"limit_bytes": limit, "content_length": length},
            )
        how = "请分批提交（例如每次不超过1000条）" if is_api(request) else "请删减内容后重新提交；表格请到导入页面上传"
        return PayloadTooLarge(
            f"提交的内容过大（{megabytes(length)}），上限为{megabytes(limit)}；{how}",
            details={"limit_bytes": limit, "content_length": length},
        )


NUL_MESSAGE = "请求中含有不可见的控制字符（NUL），请删除后重试"


class RejectNulMiddleware:
    """Refuses requests carrying NUL characters outside uploaded files (PostgreSQL cannot store them)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            nul = self.carries_nul(request)
        except MultiPartParserError as exc:
            return refusal(request, BadRequest(f"表单格式有误，无法读取（{exc}），请刷新页面后重新提交"))
        if nul:
            return refusal(request, BadRequest(NUL_MESSAGE))
        return self.get_response(request)

    @staticmethod
    def carries_nul(request: HttpRequest) -> bool:
        if "%00" in request.get_full_path() or "\x00" in request.path:
            return True
        if request.content_type == "multipart/form-data":
            # The files may hold NUL bytes; the text fields may not. Parsing here is no extra
            # work: CSRF and the view read request.POST from the same parse.
            return any("\x00" in key or any("\x00" in v for v in values) for key, values in request.POST.lists())
        body = request.body
        return b"\x00" in body or b"\\u0000" in body or b"%00" in body


class DomainErrorMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if is_api(request) and response.status_code in (404, 405) and not is_json(response):
            return api_routing_error(request, response)
        return response

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if isinstance(exception, OperationalError):
            logger.error("数据库不可用：%s", exception, exc_info=exception)
            return refusal(request, Unavailable())
        if not isinstance(exception, DomainError):
            return None
        return render(request, "error.html", {"error": exception}, status=exception.status)


def is_json(response: HttpResponse) -> bool:
    return str(response.get("Content-Type", "")).startswith("application/json")


def api_routing_error(request: HttpRequest, response: HttpResponse) -> HttpResponse:
    """Django's own 404 (no such route) and Ninja's 405 (no such method), as the API's JSON."""
    if response.status_code == 404:
        error: DomainError = NotFound(
            f"接口 {request.path} 不存在，请对照接口文档 /api/v1/docs 检查地址",
            details={"path": request.path},
        )
        return refusal(request, error)
    allowed = [m.strip() for m in str(response.get("Allow", "")).split(",") if m.strip()]
    error = MethodNotAllowed(
        f"接口 {request.path} 不支持 {request.method} 请求，可用的方法：{'、'.join(allowed) or '无'}",
        details={"allowed": allowed},
    )
    refused = refusal(request, error)
    refused["Allow"] = ", ".join(allowed)
    return refused


def server_error(request: HttpRequest) -> HttpResponse:
    """handler500: what escaped every handler. A lost database is still a 503, the API still JSON."""
    exc = sys.exception()
    if isinstance(exc, OperationalError):
        return refusal(request, Unavailable())
    if is_api(request):
        return JsonResponse(
            {"code": "server_error", "message": "服务器内部错误，已记录，请稍后重试或联系系统管理员", "details": {}},
            status=500,
            json_dumps_params={"ensure_ascii": False},
        )
    return defaults.server_error(request)
