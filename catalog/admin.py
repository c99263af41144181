from django.contrib import admin, messages
from django.db.models import Q, QuerySet
from django.http import HttpRequest
from django.utils import timezone

from catalog.models import CatalogModel

# The words of two actions, which generations.admin extends.
RESUME = "Resume (send their waiting videos again)"
CLOSE_BREAKER = "Close the breaker now (Pixapi is not busy any more)"


class BreakerFilter(admin.SimpleListFilter):
    title = "at Pixapi"
    parameter_name = "valve"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, str]]:
        return [
            ("shut", "Busy or paused"),
            ("busy", "Breaker open (busy)"),
            ("paused", "Paused for maintenance"),
        ]

    def queryset(self, request: HttpRequest, queryset: QuerySet[CatalogModel]) -> QuerySet[CatalogModel]:
        if self.value() == "shut":
            return queryset.filter(Q(busy_until__gt=timezone.now()) | Q(queue_paused=True))
        if self.value() == "busy":
            return queryset.filter(busy_until__gt=timezone.now())
        if self.value() == "paused":
            return queryset.filter(queue_paused=True)
        return queryset


@admin.register(CatalogModel)
class CatalogModelAdmin(admin.ModelAdmin):
    """generations.admin adds what the queue holds of each model (waiting, at Pixapi) to this list."""

    list_display: tuple[str, ...] = (
        "name",
        "slug",
        "kind",
        "enabled",
        "cap",
        "breaker",
        "queue_paused",
        "text_to_video",
        "image_to_video",
        "credits_per_second",
        "credits_per_image",
        "typical_seconds",
        "learned_seconds",
        "position",
    )
    list_editable = ("enabled", "position")
    list_filter = ("kind", "enabled", BreakerFilter)
    readonly_fields = ("learned_seconds", "breaker")
    actions = ("pause_for_maintenance", "resume", "close_breaker")

    @admin.display(description="Cap", ordering="max_in_flight")
    def cap(self, obj: CatalogModel) -> str | int:
        return "studio's only" if obj.max_in_flight is None else obj.max_in_flight

    @admin.display(description="Breaker")
    def breaker(self, obj: CatalogModel) -> str:
        if not obj.is_busy():
            return "closed"
        answers = f"{obj.busy_strikes} busy answer{'' if obj.busy_strikes == 1 else 's'}"
        return f"open until {timezone.localtime(obj.busy_until):%H:%M:%S}, {answers}"

    @admin.action(description="Pause for maintenance (nothing new is sent to Pixapi)", permissions=["change"])
    def pause_for_maintenance(self, request: HttpRequest, queryset: QuerySet[CatalogModel]) -> None:
        count = queryset.update(queue_paused=True)
        self.message_user(
            request, f"Paused {count} model(s): their videos wait until you resume them.", messages.SUCCESS
        )

    @admin.action(description=RESUME, permissions=["change"])
    def resume(self, request: HttpRequest, queryset: QuerySet[CatalogModel]) -> None:
        count = queryset.update(queue_paused=False)
        self.message_user(request, f"Resumed {count} model(s).", messages.SUCCESS)

    @admin.action(description=CLOSE_BREAKER, permissions=["change"])
    def close_breaker(self, request: HttpRequest, queryset: QuerySet[CatalogModel]) -> None:
        count = queryset.update(busy_until=None, busy_strikes=0)
        self.message_user(request, f"Closed the breaker of {count} model(s).", messages.SUCCESS)
