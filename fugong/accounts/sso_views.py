"""Pages: "企业微信登录" / "钉钉登录" send the browser to the provider, which sends it back here."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import login
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme

from fugong.accounts import sso_providers as providers
from fugong.accounts import sso_sign_in as actions
from fugong.core.errors import DomainError


def begin(request: HttpRequest, provider: str) -> HttpResponse:
    config = providers.config_of(provider)
    if config is None:
        raise Http404("本系统未启用该登录方式")
    state = actions.begin(request.session, provider, request.GET.get("next", ""), timezone.now())
    # the address the provider's console has on file: the site's own when set (behind a proxy)
    base = settings.FUGONG_SITE_URL.rstrip("/") or request.build_absolute_uri("/").rstrip("/")
    back = base + reverse(f"sso_callback_{provider}")
    in_app = "wxwork" in request.headers.get("User-Agent", "").lower()  # inside the WeCom app: no scan
    return redirect(providers.authorize_url(config, back, state, in_app=in_app))


def callback(request: HttpRequest, provider: str) -> HttpResponse:
    started = actions.started_at(request.session)
    try:
        user = actions.check_sign_in(provider, request.GET, started, timezone.now())
    except DomainError as exc:
        return render(request, "accounts/sso_refused.html", {"error": exc}, status=exc.status)
    login(request, user, backend="django.contrib.auth.backends.ModelBackend")
    next_url = str((started or {}).get("next") or "")
    if not url_has_allowed_host_and_scheme(next_url, {request.get_host()}):
        next_url = ""
    return redirect(next_url or "home")
