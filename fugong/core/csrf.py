"""A form refused by the CSRF check (a page left open while the user signed out and in again in
another tab, or an old page after a restart) is kept and shown again, not thrown away.

Django's own failure page is English and drops what was typed. Here the posted fields are kept
the same way as for an expired session (`kept_forms.keep`: in the database session, once, for
that path) and the refusal (still a 403) links back to the page the form was on, which has a
fresh token; the report, enterprise and plan forms then show the typed values to check and
submit again. A sign-in form is never kept (it holds a password).
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import resolve_url
from django.template.loader import render_to_string
from django.utils.http import url_has_allowed_host_and_scheme

from fugong.core import kept_forms
from fugong.core.errors import Forbidden

KEPT = "页面已过期（安全校验未通过），您填写的内容已保留：请核对后重新提交"
REFUSED = "页面已过期或缺少安全校验（CSRF），请刷新页面后重新提交；如仍不行，请确认浏览器允许本站的 Cookie"


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """403 as before (a refused write must not look like a success), in Chinese, with the way back
    to the page; for a form page the typed fields come back there."""
    login_url = str(resolve_url(settings.LOGIN_URL))
    referer = request.META.get("HTTP_REFERER", "")
    same_site = url_has_allowed_host_and_scheme(referer, allowed_hosts={request.get_host()})
    message, back = REFUSED, referer if same_site else request.get_full_path()
    if request.method == "POST" and hasattr(request, "session"):
        if request.path == login_url:
            message = "登录页面已过期，请返回后重新输入账号和密码"
        else:
            kept_forms.keep(request)
            message = KEPT
    page = render_to_string("core/csrf_failed.html", {"error": Forbidden(message), "back": back})
    return HttpResponse(page, status=403)
