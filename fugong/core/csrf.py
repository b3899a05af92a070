"""A form refused by the CSRF check (a page left open while the user signed out and in again in
another tab, or an old page after a restart) is kept and shown again, not thrown away.

Django's own failure page is English and drops what was typed. Here the posted fields are kept
the same way as for an expired session (`kept_forms.keep`: in the database session, once, for
that path) and the browser is sent back to the page with a fresh token; the report, enterprise
and plan forms then show the typed values to check and submit again. A sign-in form is never
kept (it holds a password): it is simply shown again.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import resolve_url
from django.template.loader import render_to_string

from fugong.core import kept_forms
from fugong.core.errors import Forbidden

KEPT = "页面已过期（安全校验未通过），您填写的内容已保留：请核对后重新提交"
REFUSED = "页面已过期或缺少安全校验（CSRF），请刷新页面后重新提交；如仍不行，请确认浏览器允许本站的 Cookie"


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    login_url = str(resolve_url(settings.LOGIN_URL))
    if request.method == "POST" and hasattr(request, "session"):
        if request.path != login_url:
            kept_forms.keep(request)
            messages.warning(request, KEPT)
        else:
            messages.warning(request, "登录页面已过期，请重新输入账号和密码")
        return HttpResponseRedirect(request.get_full_path())
    page = render_to_string("core/refused.html", {"error": Forbidden(REFUSED)})
    return HttpResponse(page, status=403)
