"""Turns domain errors raised under a page view into a readable page with the right status."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from fugong.core.errors import DomainError


class DomainErrorMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, DomainError):
            return None
        return render(request, "error.html", {"error": exception}, status=exception.status)


class RejectNulMiddleware:
    """Refuses requests carrying NUL characters outside file uploads (PostgreSQL cannot store them)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if self.carries_nul(request):
            return HttpResponse(
                '{"code": "bad_request", "message": "请求中含有不可见的控制字符（NUL），请删除后重试", "details": {}}'.encode(),
                status=400,
                content_type="application/json; charset=utf-8",
            )
        return self.get_response(request)

    @staticmethod
    def carries_nul(request: HttpRequest) -> bool:
        if "%00" in request.get_full_path() or "\x00" in request.path:
            return True
        if request.content_type == "multipart/form-data":
            return False  # uploaded files may contain NUL bytes; their text fields are checked when parsed
        body = request.body
        return b"\x00" in body or b"\\u0000" in body or b"%00" in body
