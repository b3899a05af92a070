"""Pages: the user's notifications (marked read by a POST: a button, or opening one) and their
notice settings."""

from __future__ import annotations

from collections.abc import Mapping

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from fugong.accounts.models import me
from fugong.core.errors import DomainError, NotFound
from fugong.core.models import Channel as AuditChannel
from fugong.notify.actions import (
    DEFAULT_EMAIL_TOPICS,
    DEFAULT_SMS_TOPICS,
    check_save_preference,
    do_mark_read,
)
from fugong.notify.models import Channel, Notification, Preference, Topic


@login_required
def notifications(request: HttpRequest) -> HttpResponse:
    """The inbox. Reading it changes nothing (a GET never does; a prefetch or a crawler must not
    clear the badge): messages are marked read by the buttons below, each a POST."""
    items = list(Notification.objects.filter(user=me(request))[:SHOWN])
    return render(request, "notify/list.html", {"items": items})


SHOWN = 100


@login_required
@require_POST
def mark_read(request: HttpRequest) -> HttpResponse:
    """"标为已读" on one message (id=…) or "全部标为已读" (no id)."""
    ids = [int(i) for i in request.POST.getlist("id")[:SHOWN] if i.isdigit()]
    marked = do_mark_read(me(request), ids or None)
    if not ids:
        messages.success(request, f"已将{marked}条消息标为已读" if marked else "没有未读消息")
    return redirect("notifications")


@login_required
@require_POST
def open_notification(request: HttpRequest, notification_id: int) -> HttpResponse:
    """"去处理": marks the message read and goes where it points (a page of this site only)."""
    notification = Notification.objects.filter(user=me(request), pk=notification_id).first()
    if notification is None:
        raise NotFound("消息不存在或不是发给您的")
    do_mark_read(me(request), [notification.pk])
    here = url_has_allowed_host_and_scheme(notification.url, allowed_hosts={request.get_host()})
    return redirect(notification.url) if notification.url and here else redirect("notifications")


@login_required
def notice_settings(request: HttpRequest) -> HttpResponse:
    user = me(request)
    preference = Preference.objects.filter(user=user).first()
    if request.method == "POST":
        raw = {
            "sms_topics": request.POST.getlist("sms_topics"),
            "email_topics": request.POST.getlist("email_topics"),
            "quiet_from": request.POST.get("quiet_from", ""),
            "quiet_to": request.POST.get("quiet_to", ""),
        }
        try:
            check_save_preference(user, raw, channel=AuditChannel.WEB)
        except DomainError as exc:
            messages.error(request, exc.message)
            return render(request, "notify/settings.html", context_of(user, raw), status=400)
        messages.success(request, "通知设置已保存")
        return redirect("notice_settings")
    raw = {
        "sms_topics": preference.sms_topics if preference else DEFAULT_SMS_TOPICS,
        "email_topics": preference.email_topics if preference else DEFAULT_EMAIL_TOPICS,
        "quiet_from": preference.quiet_from.strftime("%H:%M") if preference and preference.quiet_from else "",
        "quiet_to": preference.quiet_to.strftime("%H:%M") if preference and preference.quiet_to else "",
    }
    return render(request, "notify/settings.html", context_of(user, raw))


def context_of(user: object, values: Mapping[str, object]) -> dict[str, object]:
    kinds = set(Channel.objects.filter(active=True).values_list("kind", flat=True))
    return {
        "topics": Topic.choices,
        "values": values,
        "sms_ready": Channel.Kind.SMS in kinds,
        "email_ready": Channel.Kind.EMAIL in kinds,
        "person": user,
    }
