"""Pages: the user's notifications (reading them marks them read)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from fugong.accounts.models import me
from fugong.notify.actions import do_mark_read
from fugong.notify.models import Notification


@login_required
def notifications(request: HttpRequest) -> HttpResponse:
    items = list(Notification.objects.filter(user=me(request))[:100])
    do_mark_read(me(request), [n.pk for n in items])
    return render(request, "notify/list.html", {"items": items})
