from django.contrib import admin

from billing.models import CreditPack, Payment, StripeEvent


@admin.register(CreditPack)
class CreditPackAdmin(admin.ModelAdmin):
    list_display = ["name", "credits", "money", "stripe_price_id", "active", "position"]
    list_editable = ["active", "position"]

    def has_delete_permission(self, request, obj=None):
        return False  # payments point at it: take it off sale instead


class ReadOnlyAdmin(admin.ModelAdmin):
    """What Stripe said, kept as it happened: nobody edits it by hand."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Payment)
class PaymentAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "user", "pack", "credits", "money", "status", "paid_at"]
    list_filter = ["status", "pack"]
    search_fields = ["user__email", "checkout_session_id", "payment_intent_id"]
    list_select_related = ["user", "pack"]


@admin.register(StripeEvent)
class StripeEventAdmin(ReadOnlyAdmin):
    list_display = ["received_at", "type", "id", "payment"]
    list_filter = ["type"]
    search_fields = ["id"]
