from django.contrib import admin

from fugong.sso.models import ExternalIdentity


@admin.register(ExternalIdentity)
class ExternalIdentityAdmin(admin.ModelAdmin):
    list_display = ("provider", "name", "subject", "user", "linked_at", "last_sign_in_at")
    list_filter = ("provider",)
    search_fields = ("subject", "name", "user__username", "user__display_name")
    raw_id_fields = ("user",)
    readonly_fields = ("linked_at", "last_sign_in_at")
