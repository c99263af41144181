from django.contrib import admin

from sandbox.models import SandboxTask


@admin.register(SandboxTask)
class SandboxTaskAdmin(admin.ModelAdmin):
    """Read-only: the sandbox's tasks, for operators curious about what the studio sent."""

    list_display = ["id", "kind", "model", "status", "duration", "width", "height", "seconds", "faults", "created_at"]
    list_filter = ["kind", "model", "status"]
    search_fields = ["id", "prompt"]
    exclude = ["input_image"]
    readonly_fields = [f.name for f in SandboxTask._meta.fields if f.name != "input_image"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
