from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from web.mail.models import OutgoingMail


@admin.register(OutgoingMail)
class OutgoingMailAdmin(admin.ModelAdmin):
    """The mail log, read-only: what was sent to whom and when, and what failed."""

    list_display = ("created_at", "template", "to_email", "language", "status", "attempts", "sent_at")
    list_filter = ("status", "template", "language")
    search_fields = ("to_email", "key")
    ordering = ("-created_at",)
    readonly_fields = [field.name for field in OutgoingMail._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
