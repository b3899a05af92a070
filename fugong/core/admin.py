"""The admin's own words, and the audit trail as a read-only list (操作记录)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.auth.views import redirect_to_login
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.urls import reverse

from fugong.core import audit
from fugong.core.errors import Forbidden
from fugong.core.models import AuditEvent, CalendarOverride, Job, Throttle

admin.site.site_header = "复工通管理后台"
admin.site.site_title = "复工通管理后台"
admin.site.index_title = "数据与账号管理"


def sign_in_through_the_site(request: HttpRequest, extra_context: Any = None) -> HttpResponse:
    """The admin signs in on the site's own page, so the failed-login throttle and the audit
    trail's sign-in records (accounts.actions.check_login) hold for the admin too."""
    if request.user.is_authenticated:
        # signed in, but not staff: say so rather than show a sign-in form again
        raise Forbidden("管理后台只对系统管理员开放；如需使用，请联系系统管理员开通")
    return redirect_to_login(request.GET.get("next") or reverse("admin:index"), reverse("login"))


admin.site.login = sign_in_through_the_site  # type: ignore[method-assign]


class ActionFilter(admin.SimpleListFilter):
    """The actions that occur in the trail, by their Chinese names."""

    title = "操作"
    parameter_name = "action"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        codes = AuditEvent.objects.order_by().values_list("action", flat=True).distinct()
        return sorted(((code, audit.action_label(code)) for code in codes), key=lambda item: item[1])

    def queryset(self, request: HttpRequest, queryset: QuerySet[AuditEvent]) -> QuerySet[AuditEvent]:
        return queryset.filter(action=self.value()) if self.value() else queryset


class ObjectTypeFilter(admin.SimpleListFilter):
    title = "对象类型"
    parameter_name = "object_type"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        codes = AuditEvent.objects.order_by().values_list("object_type", flat=True).distinct()
        return sorted(
            ((code, audit.object_type_label(code)) for code in codes if code), key=lambda item: item[1]
        )

    def queryset(self, request: HttpRequest, queryset: QuerySet[AuditEvent]) -> QuerySet[AuditEvent]:
        return queryset.filter(object_type=self.value()) if self.value() else queryset


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """History is read, never written by hand: no add, no change, no delete, for anyone."""

    list_display = ["at", "actor", "channel", "action_name", "object_name", "object_key", "note"]
    list_filter = [
        ActionFilter,
        "channel",
        ("actor", admin.RelatedOnlyFieldListFilter),
        ("at", admin.DateFieldListFilter),
        ObjectTypeFilter,
    ]
    search_fields = ["object_key", "note", "actor__username"]
    date_hierarchy = "at"
    list_select_related = ["actor"]
    readonly_fields = [
        "at",
        "actor",
        "channel",
        "action_name",
        "object_name",
        "object_key",
        "changes",
        "note",
    ]
    fields = tuple(readonly_fields)

    @admin.display(description="操作", ordering="action")
    def action_name(self, event: AuditEvent) -> str:
        return event.action_label

    @admin.display(description="对象类型", ordering="object_type")
    def object_name(self, event: AuditEvent) -> str:
        return audit.object_type_label(event.object_type)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # history is never edited

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(CalendarOverride)
class CalendarOverrideAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ["date", "is_working_day", "note"]
    date_hierarchy = "date"


@admin.register(Job)
class JobAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """Background jobs, to see what runs and why one failed; they are made by the pages, not here."""

    list_display = ["created_at", "kind", "title", "status", "created_by", "progress_done", "progress_total"]
    list_filter = ["status", "kind"]
    exclude = ["data", "result_file"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return [f.name for f in Job._meta.fields if f.name not in ("data", "result_file")]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(Throttle)
class ThrottleAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """The keys the failure throttles count (core.throttle): who must wait, until when. Read only:
    a wait ends by itself, a successful sign-in clears it, and the audit trail keeps every failure."""

    list_display = ["scope_name", "key", "failures", "wait_until", "last_failure_at"]
    list_filter = ["scope"]
    search_fields = ["key"]
    SCOPES = {"login-user": "账号", "login-address": "地址", "login-name-on-address": "地址上的账号"}

    @admin.display(description="范围", ordering="scope")
    def scope_name(self, row: Throttle) -> str:
        return self.SCOPES.get(row.scope, row.scope)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
