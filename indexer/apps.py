from django.apps import AppConfig

from indexer.metrics import OutboxCollector
from web.core.metrics import register_collector


class IndexerConfig(AppConfig):
    name = "indexer"
    label = "indexer"

    def ready(self) -> None:
        register_collector(OutboxCollector())
