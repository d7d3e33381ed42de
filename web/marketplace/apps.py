from django.apps import AppConfig


class MarketplaceConfig(AppConfig):
    name = "web.marketplace"
    label = "marketplace"

    def ready(self) -> None:
        # Registers the Prometheus collectors at start-up, so /metrics shows them at zero.
        from web.marketplace import metrics  # noqa: F401
