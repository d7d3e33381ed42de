"""/metrics: the request metrics of every process and the collectors apps register."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from prometheus_client import REGISTRY
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from tests.search.conftest import clean_buffers  # noqa: F401
from web.activity.buffer import BUFFER_KEY
from web.core import metrics as core_metrics
from web.core.redis_client import redis_client
from web.marketplace.services import METRICS_BUFFER_KEY
from web.operations import metrics as operations_metrics

pytestmark = pytest.mark.django_db


@pytest.mark.usefixtures("clean_buffers")
def test_metrics_show_the_redis_buffers_backlog(api_client) -> None:
    redis_client().rpush(METRICS_BUFFER_KEY, "{}", "{}", "{}")
    body = api_client.get("/metrics").content.decode()
    assert 'mash_redis_buffer_length{buffer="marketplace_metrics"} 3.0' in body
    assert 'mash_redis_buffer_length{buffer="activity"}' in body


@pytest.mark.usefixtures("clean_buffers")
def test_each_buffer_is_one_series_of_one_metric(api_client) -> None:
    redis_client().rpush(BUFFER_KEY, "{}", "{}")
    body = api_client.get("/metrics").content.decode()
    assert body.count("# TYPE mash_redis_buffer_length gauge") == 1
    assert 'mash_redis_buffer_length{buffer="activity"} 2.0' in body
    assert 'mash_redis_buffer_length{buffer="marketplace_metrics"} 0.0' in body


def test_metrics_show_the_outbox_backlog(api_client) -> None:
    body = api_client.get("/metrics").content.decode()
    assert "mash_index_outbox_backlog 0.0" in body
    assert "mash_index_outbox_oldest_age_seconds" in body


class _Probe(Collector):
    def collect(self) -> Iterator[GaugeMetricFamily]:
        yield GaugeMetricFamily("mash_test_probe", "A collector registered by a test", value=7)


@pytest.fixture
def probe(monkeypatch) -> Iterator[_Probe]:
    """A collector registered as an app would, removed again afterwards."""
    monkeypatch.setattr(core_metrics, "_collectors", list(core_metrics.scrape_time_collectors()))
    collector = _Probe()
    yield collector
    if any(known is collector for known in operations_metrics._in_default_registry):
        REGISTRY.unregister(collector)
        operations_metrics._in_default_registry.remove(collector)


def test_a_registered_collector_is_read_at_every_scrape_once(api_client, probe) -> None:
    api_client.get("/metrics")  # the others are in the default registry already
    core_metrics.register_collector(probe)
    core_metrics.register_collector(probe)
    assert core_metrics.scrape_time_collectors().count(probe) == 1
    for _ in range(2):
        body = api_client.get("/metrics").content.decode()
        assert body.count("mash_test_probe 7.0") == 1


def test_multiprocess_mode_reads_the_registered_collectors_too(api_client, probe, monkeypatch, tmp_path) -> None:
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path))
    core_metrics.register_collector(probe)
    body = api_client.get("/metrics").content.decode()
    assert "mash_test_probe 7.0" in body
    assert "mash_index_outbox_backlog" in body
    assert 'mash_redis_buffer_length{buffer="activity"}' in body
