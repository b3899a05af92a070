from django.contrib import admin

from fugong.enterprises.models import Enterprise, Industry, SectorTag


@admin.register(Enterprise)
class EnterpriseAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "uscc",
        "region",
        "above_scale",
        "tier",
        "baseline_headcount",
        "active_from",
        "active_to",
    ]
    list_filter = ["above_scale", "tier", "sectors"]
    search_fields = ["name", "uscc"]
    raw_id_fields = ["region", "industry"]


@admin.register(SectorTag)
class SectorTagAdmin(admin.ModelAdmin):
    list_display = ["name", "sort_order", "active"]
    list_editable = ["sort_order", "active"]


@admin.register(Industry)
class IndustryAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "level", "parent"]
    search_fields = ["code", "name"]
