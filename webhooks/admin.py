from django.contrib import admin

from webhooks.models import WebhookDelivery, WebhookEndpoint


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(admin.ModelAdmin):
    list_display = ("url", "user", "created_at")
    search_fields = ("url", "user__email")
    fields = ("user", "url", "description", "events", "created_at")  # never the signing secret
    readonly_fields = ("user", "created_at")
    raw_id_fields = ("user",)


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(admin.ModelAdmin):
    list_display = ("event", "endpoint", "status", "attempts", "response_status", "created_at", "last_attempt_at")
    list_filter = ("status", "event")
    search_fields = ("endpoint__url", "endpoint__user__email")
    readonly_fields = [f.name for f in WebhookDelivery._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
