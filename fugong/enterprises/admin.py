from typing import Any

from django.contrib import admin

from fugong.core.signals import registry_changed
from fugong.enterprises.models import Enterprise, Industry, SectorTag


class RegistryAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """Edits here bypass the actions; they still tell the roll-ups that the registry changed."""

    def save_model(self, request: Any, obj: Any, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        registry_changed.send(sender=type(obj))

    def save_related(self, request: Any, form: Any, formsets: Any, change: bool) -> None:
        super().save_related(request, form, formsets, change)  # sector tags are saved here
        registry_changed.send(sender=type(form.instance))

    def delete_model(self, request: Any, obj: Any) -> None:
        super().delete_model(request, obj)
        registry_changed.send(sender=type(obj))


@admin.register(Enterprise)
class EnterpriseAdmin(RegistryAdmin):
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
class SectorTagAdmin(RegistryAdmin):
    list_display = ["name", "sort_order", "active"]
    list_editable = ["sort_order", "active"]


@admin.register(Industry)
class IndustryAdmin(RegistryAdmin):
    list_display = ["code", "name", "level", "parent"]
    search_fields = ["code", "name"]
