from django.contrib import admin

from fugong.core.models import AuditEvent


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    list_display = ["at", "actor", "channel", "action", "object_type", "object_key"]
    list_filter = ["channel", "action", "object_type"]
    search_fields = ["object_key"]

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False  # history is never edited

    def has_delete_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False
