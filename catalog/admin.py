from django.contrib import admin

from catalog.models import CatalogModel


@admin.register(CatalogModel)
class CatalogModelAdmin(admin.ModelAdmin):
    list_display = (
        "name",
        "slug",
        "kind",
        "enabled",
        "text_to_video",
        "image_to_video",
        "credits_per_second",
        "credits_per_image",
        "typical_seconds",
        "learned_seconds",
        "position",
    )
    list_editable = ("enabled", "position")
    list_filter = ("kind", "enabled")
    readonly_fields = ("learned_seconds",)
