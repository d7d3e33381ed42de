from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from web.accounts.models import User
from web.profiles.services import tutor_account_update


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    ordering = ["email"]
    list_display = ["email", "full_name", "role", "is_active", "date_joined"]
    list_filter = ["role", "is_active", "is_staff"]
    search_fields = ["email", "full_name"]
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        ("Profile", {"fields": ("full_name", "role", "timezone", "language")}),
        ("Permissions", {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")}),
        ("Dates", {"fields": ("last_login", "date_joined")}),
    )
    def save_model(self, request, obj, form, change):  # type: ignore[no-untyped-def]
        """A tutor's name, email or active flag is part of the public profile: version and
        reindex it like any other public change. A new tutor gets its profile."""
        tutor_account_update(user=obj, save=lambda: super(UserAdmin, self).save_model(request, obj, form, change))

    add_fieldsets = (
        (None, {"classes": ("wide",), "fields": ("email", "full_name", "role", "password1", "password2")}),
    )
