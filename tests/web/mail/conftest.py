from tests.indexer.conftest import broker, worker_factory  # noqa: F401  (a real broker and worker)
