from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from fugong.accounts.models import ApiToken, Department, LoginAttempt, Membership, User


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
    list_display = ["user", "name", "prefix", "created_at", "last_used_at", "revoked_at"]
    readonly_fields = ["key_hash", "prefix"]


@admin.register(LoginAttempt)
class LoginAttemptAdmin(admin.ModelAdmin):
    list_display = ["username", "ip", "at"]
