"""Users, departments, roles and tokens. Every change made here reaches the audit trail through
accounts.signals (users, memberships) or the actions (token revocation)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.db.models import QuerySet
from django.http import HttpRequest

from fugong.accounts.actions import do_revoke_tokens
from fugong.accounts.models import ApiToken, Department, ExternalIdentity, Membership, User, me
from fugong.core.models import Channel


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    raw_id_fields = ["region", "department", "enterprise"]


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    inlines = [MembershipInline]
    list_display = ["username", "display_name", "phone", "is_active", "is_staff"]
    fieldsets = (*BaseUserAdmin.fieldsets, ("复工通", {"fields": ("display_name", "phone")}))  # type: ignore[misc]


@admin.register(Department)
class DepartmentAdmin(admin.ModelAdmin):
    list_display = ["name", "region", "phone", "active"]
    search_fields = ["name"]
    raw_id_fields = ["region"]


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "role", "region", "department", "enterprise", "active"]
    list_filter = ["role", "active"]
    raw_id_fields = ["user", "region", "department", "enterprise"]


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """Tokens are made by their owner (接口令牌 page, POST /auth/token), whose raw value is shown once;
    here an administrator sees them and revokes them, each revocation in the audit trail."""

    list_display = ["user", "name", "prefix", "created_at", "last_used_at", "revoked_at"]
    list_filter = [("revoked_at", admin.EmptyFieldListFilter)]
    search_fields = ["user__username", "name", "prefix"]
    exclude = ["key_hash"]
    actions = ["revoke"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.action(description="吊销所选令牌", permissions=["view"])
    def revoke(self, request: HttpRequest, queryset: QuerySet[ApiToken]) -> None:
        count = do_revoke_tokens(me(request), list(queryset.values_list("pk", flat=True)), channel=Channel.ADMIN)
        messages.success(request, f"已吊销 {count} 个令牌，使用它们的程序将无法再访问")


@admin.register(ExternalIdentity)
class ExternalIdentityAdmin(admin.ModelAdmin):
    list_display = ("provider", "name", "subject", "user", "linked_at", "last_sign_in_at")
    list_filter = ("provider",)
    search_fields = ("subject", "name", "user__username", "user__display_name")
    raw_id_fields = ("user",)
    readonly_fields = ("linked_at", "last_sign_in_at")
