from django.apps import AppConfig


class IndexerConfig(AppConfig):
    name = "indexer"
    label = "indexer"
