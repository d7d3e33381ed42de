from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from web.relations.models import Relation, RelationStatusLog


class StatusLogInline(admin.TabularInline):
    """The audit trail, read-only: it records what happened."""

    model = RelationStatusLog
    fields = ["timestamp", "prev_status", "new_status", "actor", "metadata"]
    readonly_fields = ["timestamp", "prev_status", "new_status", "actor", "metadata"]
    extra = 0
    can_delete = False
    ordering = ["-timestamp", "-id"]

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Relation)
class RelationAdmin(admin.ModelAdmin):
    """Read-only as well: a status changes only through the services, which keep the log,
    the events and the tutor's active-students count in step."""

    list_display = ["id", "tutor", "student", "invited_email", "status", "initiated_by", "updated_at"]
    list_filter = ["status", "initiated_by"]
    search_fields = ["tutor__email", "student__email", "invited_email"]
    raw_id_fields = ["tutor", "student"]
    inlines = [StatusLogInline]
    ordering = ["-updated_at", "-id"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(RelationStatusLog)
class RelationStatusLogAdmin(admin.ModelAdmin):
    list_display = ["id", "relation", "prev_status", "new_status", "actor", "timestamp"]
    list_filter = ["new_status"]
    raw_id_fields = ["relation", "tutor", "actor"]
    ordering = ["-timestamp", "-id"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
