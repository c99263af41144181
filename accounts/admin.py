from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from accounts.models import User


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = ("email", "display_name", "username", "is_staff", "is_active", "date_joined")
    search_fields = ("email", "display_name", "username")
    ordering = ("-date_joined",)
    fieldsets = BaseUserAdmin.fieldsets + (
        ("Studio", {"fields": ("display_name", "notify_by_email")}),
    )
    # Email is how a creator signs in, so an account added here needs one from the start.
    add_fieldsets = (
        (None, {
            "classes": ("wide",),
            "fields": ("email", "username", "display_name", "usable_password", "password1", "password2"),
        }),
    )
