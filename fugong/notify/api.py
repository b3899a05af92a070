"""API: the caller's own in-app notifications."""

import datetime
from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema
from ninja.pagination import PageNumberPagination, paginate

from fugong.accounts.models import me
from fugong.notify.models import Notification

router = Router(tags=["通知"])


class NotificationOut(Schema):
    id: int
    title: str
    body: str
    url: str
    created_at: datetime.datetime
    read_at: datetime.datetime | None


@router.get("", response=list[NotificationOut], summary="我的站内消息")
@paginate(PageNumberPagination, page_size=50)
def list_notifications(request: HttpRequest, unread: bool = False) -> Any:
    qs = Notification.objects.filter(user=me(request))
    return qs.filter(read_at__isnull=True) if unread else qs
