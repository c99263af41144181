from django.contrib import admin, messages
from django.utils import timezone

from api.models import Token


@admin.register(Token)
class TokenAdmin(admin.ModelAdmin):
    """Operators see creators' API tokens (never their secrets: only a hash is kept) and may revoke them."""

    list_display = ("name", "user", "prefix", "scopes", "created_at", "expires_at", "last_used_at", "revoked_at")
    list_filter = ("revoked_at",)
    search_fields = ("name", "prefix", "user__email")
    readonly_fields = ("user", "name", "prefix", "scopes", "created_at", "expires_at", "last_used_at")
    readonly_fields += ("revoked_at", "ended_because")
    exclude = ("digest", "password_stamp")
    actions = ["revoke"]

    def has_add_permission(self, request):
        return False  # a token is made by its creator, who alone sees its secret

    @admin.action(description="Revoke the selected tokens", permissions=["change"])
    def revoke(self, request, queryset):
        count = queryset.filter(revoked_at=None).update(revoked_at=timezone.now(), ended_because=Token.ENDED_REVOKED)
        self.message_user(request, f"Revoked {count} token(s): they no longer work.", messages.SUCCESS)
