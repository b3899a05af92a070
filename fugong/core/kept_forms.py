"""A form posted after the session expired is kept, and offered again after signing in.

A factory clerk fills the report on a phone, puts it down, and presses 报送 after the session
has expired. Without this the page answers with the sign-in form and everything typed is gone.
Instead `KeepExpiredFormMiddleware` notices a POST by an anonymous visitor that a page answered
with a redirect to sign in, keeps the posted fields in the visitor's (new, anonymous) session —
stored in the database like every session, never in process memory — and says
"登录已过期，请重新登录后提交". Django's login keeps an anonymous session's data (it cycles the
key), so after signing in the page's GET calls `restored_post(request)`: the kept fields come
back once, for that path only, within `KEEP_FOR`, and the page shows them in the form to be
checked and submitted — never submitted by itself. Files are not kept (they are chosen again).
The page's own access check runs first, so a kept form only reaches someone allowed to see it.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import resolve_url
from django.utils import timezone

SESSION_KEY = "fugong_kept_form"
KEEP_FOR = datetime.timedelta(minutes=30)
MAX_CHARS = 100_000  # a report form is a few hundred characters; a huge post is not kept
NOT_KEPT = {"csrfmiddlewaretoken", "password"}
EXPIRED = "登录已过期，请重新登录后提交；您填写的内容已保留，登录后将回到原页面供核对后再提交"
RESTORED = "已恢复您登录前填写的内容，尚未提交：请核对后点击提交"


class KeepExpiredFormMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if is_expired_post(request, response):
            keep(request)
            messages.warning(request, EXPIRED)
        return response


def is_expired_post(request: HttpRequest, response: HttpResponse) -> bool:
    if request.method != "POST" or getattr(request, "user", None) is None:
        return False
    if request.user.is_authenticated or response.status_code != 302:
        return False
    login_url = str(resolve_url(settings.LOGIN_URL))
    return str(response.get("Location", "")).startswith(login_url) and request.path != login_url


def keep(request: HttpRequest) -> None:
    pairs = [(k, v) for k, values in request.POST.lists() if k not in NOT_KEPT for v in values]
    if sum(len(k) + len(v) for k, v in pairs) > MAX_CHARS:
        return
    request.session[SESSION_KEY] = {
        "path": request.path,
        "fields": pairs,
        "at": timezone.now().isoformat(),
    }


def restored_post(request: HttpRequest) -> QueryDict | None:
    """The fields kept for this page when the session expired, once; None when there are none."""
    kept: dict[str, Any] | None = request.session.get(SESSION_KEY)
    if not kept or not request.user.is_authenticated or kept.get("path") != request.path:
        return None
    del request.session[SESSION_KEY]
    if timezone.now() - datetime.datetime.fromisoformat(kept["at"]) > KEEP_FOR:
        return None
    data = QueryDict(mutable=True)
    for key, value in kept["fields"]:
        data.appendlist(key, value)
    messages.info(request, RESTORED)
    return data
