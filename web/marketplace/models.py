"""Marketplace telemetry kept locally (the same numbers also go to Prometheus)."""

from __future__ import annotations

from django.db import models
from django.utils import timezone


class MarketplaceMetrics(models.Model):
    """One marketplace request: how long it took and how many results it served.

    Rows are buffered in Redis by the request and bulk-inserted by a periodic task,
    so a search request itself never writes to the database.
    """

    class Endpoint(models.TextChoices):
        LIST = "list"
        DETAIL = "detail"

    timestamp = models.DateTimeField(default=timezone.now, db_index=True)
    endpoint = models.CharField(max_length=16, choices=Endpoint.choices)
    search = models.CharField(max_length=200, blank=True, default="")
    filters = models.JSONField(default=dict, blank=True)
    ordering = models.CharField(max_length=16, blank=True, default="")
    first_page = models.BooleanField(default=True)
    result_count = models.PositiveIntegerField(default=0)
    duration_ms = models.FloatField()
    # The engine's own time for the query (`took`), when it answered.
    engine_ms = models.FloatField(null=True, blank=True)
    status_code = models.PositiveSmallIntegerField()

    class Meta:
        ordering = ["-timestamp", "id"]
        verbose_name_plural = "marketplace metrics"

    def __str__(self) -> str:
        return f"{self.endpoint} {self.status_code} {self.duration_ms:.0f} ms"
