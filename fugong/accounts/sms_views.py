"""Pages: sign in with phone and SMS code (two plain form posts, no script needed), "我的设备"."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from fugong.accounts import devices, sms_sign_in
from fugong.accounts.models import me
from fugong.core.errors import DomainError
from fugong.core.models import Channel


def login_page(request: HttpRequest, status: int = 200, **context: Any) -> HttpResponse:
    """The sign-in page (accounts/login.html) with the phone form's state."""
    context.setdefault("phone", request.POST.get("phone") or request.GET.get("phone", ""))
    context.setdefault("next", request.POST.get("next") or request.GET.get("next") or "")
    return render(request, "accounts/login.html", context, status=status)


@require_POST
def send_code(request: HttpRequest) -> HttpResponse:
    try:
        sent = sms_sign_in.do_send_sign_in_code(
            request.POST.get("phone", ""), address=devices.client_address(request), now=timezone.now()
        )
    except DomainError as exc:
        return login_page(request, exc.status, sms_error=exc)
    return login_page(request, sms_sent=sent)


@require_POST
def sign_in(request: HttpRequest) -> HttpResponse:
    try:
        user = sms_sign_in.check_sign_in_code(
            request.POST.get("phone", ""),
            request.POST.get("code", ""),
            address=devices.client_address(request),
            now=timezone.now(),
        )
    except DomainError as exc:
        return login_page(request, exc.status, sms_error=exc, sms_sent=True)
    request.session[devices.BY_SMS_KEY] = True
    login(request, user, backend="django.contrib.auth.backends.ModelBackend")
    # a reporter's phone stays signed in for a month (revocable on "我的设备")
    request.session.set_expiry(int(sms_sign_in.PHONE_SESSION_AGE.total_seconds()))
    next_url = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(next_url, {request.get_host()}):
        next_url = ""
    return redirect(next_url or "home")


@login_required
def device_list(request: HttpRequest) -> HttpResponse:
    items = devices.devices_of(me(request), request.session.session_key)
    return render(request, "accounts/devices.html", {"devices": items})


@login_required
@require_POST
def revoke_device(request: HttpRequest, device_id: int) -> HttpResponse:
    row = devices.do_revoke_device(
        me(request), device_id, current_key=request.session.session_key, channel=Channel.WEB
    )
    messages.success(request, f"已让“{row.device}”退出登录")
    return redirect("devices")


@login_required
@require_POST
def revoke_other_devices(request: HttpRequest) -> HttpResponse:
    count = devices.do_revoke_other_devices(
        me(request), current_key=request.session.session_key, channel=Channel.WEB
    )
    messages.success(request, f"已让其他 {count} 台设备退出登录" if count else "没有其他设备登录")
    return redirect("devices")
