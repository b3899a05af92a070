"""Administrators see every outbox row's status and last error, retry failed ones, and set up
the channels (mail, SMS gateway, group robots)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db import models
from django.http import HttpRequest

from fugong.notify.actions import do_queue_test, do_retry_deliveries
from fugong.notify.models import Channel, Delivery, Notification


@admin.register(Channel)
class ChannelAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "region", "department", "topics", "per_minute", "active"]
    list_filter = ["kind", "active"]
    raw_id_fields = ["region", "department"]
    # a webhook typed without a scheme is taken as https (Django 6's default; say http:// for an intranet gateway)
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    actions = ["send_test"]

    @admin.action(description="发送测试消息")
    def send_test(self, request: HttpRequest, queryset: Any) -> None:
        for channel in queryset:
            messages.info(request, do_queue_test(request.user, channel))


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin):
    list_display = [
        "created_at",
        "channel",
        "address",
        "topic",
        "title",
        "status",
        "attempts",
        "next_attempt_at",
        "last_error",
    ]
    list_filter = ["status", "channel", "topic"]
    search_fields = ["address", "title", "key"]
    date_hierarchy = "created_at"
    actions = ["retry"]
    readonly_fields = [f.name for f in Delivery._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # rows come from the notices' causes, never by hand

    @admin.action(description="立即重试所选投递（已送达的不重发）")
    def retry(self, request: HttpRequest, queryset: Any) -> None:
        count = do_retry_deliveries(request.user, list(queryset.values_list("pk", flat=True)))
        messages.success(request, f"已安排重试 {count} 条")


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ["created_at", "user", "topic", "title", "read_at"]
    list_filter = ["topic"]
    search_fields = ["title", "user__username"]
    readonly_fields = [f.name for f in Notification._meta.fields]
