from django.contrib import admin

from fugong.problems.models import Category

# Editable in the list: a province adjusts its time limits here, with no release.
EDITABLE = [
    "sort_order",
    "active",
    "sign_workdays",
    "respond_workdays",
    "close_workdays",
    "urgent_sign_hours",
    "urgent_respond_hours",
    "urgent_close_hours",
]


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    """Problem categories with their signing, first-response and closing time limits."""

    list_display = ["name", *EDITABLE]
    list_editable = EDITABLE
    search_fields = ["name"]
