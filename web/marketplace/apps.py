from django.apps import AppConfig

from web.core.metrics import register_redis_buffer

# Imported for its side effect: its counters register with prometheus_client, so /metrics
# shows them at zero from start-up.
from web.marketplace import metrics  # noqa: F401


class MarketplaceConfig(AppConfig):
    name = "web.marketplace"
    label = "marketplace"

    def ready(self) -> None:
        # Imported here: the services import models, which load only once the registry is ready.
        from web.marketplace.services import METRICS_BUFFER_KEY

        register_redis_buffer("marketplace_metrics", METRICS_BUFFER_KEY)
