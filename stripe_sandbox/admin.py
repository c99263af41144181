from django.contrib import admin, messages

from stripe_sandbox import events
from stripe_sandbox.models import SentEvent, StripeObject


class ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(StripeObject)
class StripeObjectAdmin(ReadOnly):
    list_display = ["id", "object", "created_at"]
    list_filter = ["object"]
    search_fields = ["id"]


@admin.register(SentEvent)
class SentEventAdmin(ReadOnly):
    """The events sent to the studio; send one again, or twice at once, to see it applied once."""

    list_display = ["id", "type", "attempts", "last_status", "created_at"]
    list_filter = ["type"]
    actions = ["send_again", "send_twice"]

    @admin.action(description="Send the selected events again")
    def send_again(self, request, queryset):
        answers = [events.send(event) for event in queryset]
        messages.info(request, f"Sent {len(answers)}: the webhook answered {answers}.")

    @admin.action(description="Send the selected events twice")
    def send_twice(self, request, queryset):
        answers = [events.send(event) for event in queryset for _ in range(2)]
        messages.info(request, f"Sent {len(answers)}: the webhook answered {answers}.")
