"""Pages: sign in and out, home, password change, API tokens."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import login, logout, update_session_auth_hash
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import PasswordChangeForm
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from fugong.accounts import actions
from fugong.accounts.models import ApiToken, me
from fugong.core import throttle
from fugong.core.errors import DomainError
from fugong.core.models import Channel
from fugong.dispatch.models import Report


def login_view(request: HttpRequest) -> HttpResponse:
    error = None
    next_url = request.POST.get("next") or request.GET.get("next") or ""
    if request.method == "POST":
        try:
            user = actions.check_login(
                request.POST.get("username", ""),
                request.POST.get("password", ""),
                ip=throttle.client_address(request),
            )
        except DomainError as exc:
            error = exc
        else:
            login(request, user)
            if not url_has_allowed_host_and_scheme(next_url, {request.get_host()}):
                next_url = ""
            return redirect(next_url or "home")
    status = error.status if error else 200
    return render(request, "accounts/login.html", {"error": error, "next": next_url}, status=status)


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    logout(request)
    return redirect("login")


@login_required
def home(request: HttpRequest) -> HttpResponse:
    memberships = list(
        me(request).memberships.filter(active=True).select_related("region", "department", "enterprise")
    )
    enterprises = [m.enterprise for m in memberships if m.enterprise]
    if len(memberships) == 1 and enterprises:
        # An enterprise's reporter goes straight to today's report: one tap on a phone.
        return redirect("enterprise_home", uscc=enterprises[0].uscc)
    reported = set(
        Report.objects.filter(enterprise__in=enterprises, date=timezone.localdate()).values_list(
            "enterprise_id", flat=True
        )
    )
    context = {
        "memberships": [m for m in memberships if not m.enterprise],
        "enterprises": [
            (e, e.pk in reported) for e in sorted(enterprises, key=lambda e: (e.pk in reported, e.name))
        ],
    }
    return render(request, "accounts/home.html", context)


@login_required
def password_change(request: HttpRequest) -> HttpResponse:
    form = PasswordChangeForm(request.user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        actions.do_change_password(me(request), form.cleaned_data["new_password1"], channel=Channel.WEB)
        update_session_auth_hash(request, me(request))
        messages.success(request, "密码已修改")
        return redirect("home")
    return render(
        request, "accounts/password_change.html", {"form": form}, status=400 if form.errors else 200
    )


@login_required
def tokens(request: HttpRequest) -> HttpResponse:
    new_token = None
    error = None
    if request.method == "POST":
        try:
            _, new_token = actions.do_create_token(
                me(request), request.POST.get("name", ""), channel=Channel.WEB
            )
        except DomainError as exc:
            error = exc
    items = ApiToken.objects.filter(user=me(request), revoked_at__isnull=True)
    context = {"tokens": items, "new_token": new_token, "error": error}
    return render(request, "accounts/tokens.html", context, status=error.status if error else 200)


@login_required
@require_POST
def revoke_token(request: HttpRequest, token_id: int) -> HttpResponse:
    actions.do_revoke_token(me(request), token_id, channel=Channel.WEB)
    messages.success(request, "令牌已吊销，使用它的程序将无法再访问")
    return redirect("tokens")
