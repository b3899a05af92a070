"""API: the caller's own in-app notifications, their unread count, marking them read."""

import datetime
from typing import Annotated, Any

from django.http import HttpRequest
from ninja import Field, Router, Schema
from ninja.pagination import paginate

from fugong.accounts.models import me
from fugong.core.limits import ITEMS, Id, Name, Pages
from fugong.notify.actions import do_mark_read
from fugong.notify.models import Notification

router = Router(tags=["通知"])


class NotificationOut(Schema):
    id: int
    topic: str
    title: str
    body: str
    url: str
    created_at: datetime.datetime
    read_at: datetime.datetime | None


class UnreadOut(Schema):
    unread: int


class MarkReadIn(Schema):
    ids: Annotated[list[Id], Field(max_length=ITEMS)] | None = None  # none: every unread message


class MarkedOut(Schema):
    marked: int


@router.get("", response=list[NotificationOut], summary="我的站内消息（最新在前）")
@paginate(Pages, page_size=50)
def list_notifications(request: HttpRequest, unread: bool = False, topic: Name = "") -> Any:
    qs = Notification.objects.filter(user=me(request))
    if topic:
        qs = qs.filter(topic=topic)
    return qs.filter(read_at__isnull=True) if unread else qs


@router.get("/unread", response=UnreadOut, summary="未读消息数（页面角标）")
def unread_count(request: HttpRequest) -> dict[str, int]:
    return {"unread": Notification.objects.filter(user=me(request), read_at__isnull=True).count()}


@router.post("/read", response=MarkedOut, summary="标为已读（不给 ids 则全部标为已读）")
def mark_read(request: HttpRequest, payload: MarkReadIn) -> dict[str, int]:
    return {"marked": do_mark_read(me(request), payload.ids)}
