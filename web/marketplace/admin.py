from django.contrib import admin
from django.http import HttpRequest

from web.marketplace.models import MarketplaceMetrics


@admin.register(MarketplaceMetrics)
class MarketplaceMetricsAdmin(admin.ModelAdmin):
    """Read-only telemetry."""

    list_display = [
        "timestamp", "endpoint", "search", "ordering", "result_count", "duration_ms", "engine_ms", "status_code"
    ]
    list_filter = ["endpoint", "status_code", "ordering"]
    search_fields = ["search"]
    ordering = ["-timestamp", "id"]
    show_full_result_count = False

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: MarketplaceMetrics | None = None) -> bool:
        return False
