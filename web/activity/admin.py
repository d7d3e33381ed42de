from django.contrib import admin
from django.http import HttpRequest

from web.activity.models import ActivityLog


@admin.register(ActivityLog)
class ActivityLogAdmin(admin.ModelAdmin):
    """Read-only: the log is append-only and pruned by the retention job, never edited by hand."""

    list_display = ["timestamp", "user", "action", "entity_type", "entity_id", "status_code", "duration_ms"]
    list_filter = ["action", "entity_type", "status_code"]
    search_fields = ["user__email", "entity_id"]
    list_select_related = ["user"]
    ordering = ["-timestamp", "id"]
    # COUNT(*) over a large log on every page load is not worth it.
    show_full_result_count = False

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: ActivityLog | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: ActivityLog | None = None) -> bool:
        return False
