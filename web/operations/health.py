"""Readiness probes of each backing service, each timed."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

import redis
from django.conf import settings
from django.db import connection
from opensearchpy import OpenSearch

log = logging.getLogger("mash.health")


@dataclass(frozen=True)
class CheckResult:
    name: str
    ok: bool
    latency_ms: float
    error: str | None = None


def _timed(name: str, probe: Callable[[], None]) -> CheckResult:
    started = time.perf_counter()
    try:
        probe()
    except Exception as exc:  # any failure of a dependency means "not ready"
        # The probe is anonymous: it names the kind of failure, the log has the detail
        # (which can hold host names, user names and driver messages).
        log.warning("readiness check failed", extra={"check": name, "error": f"{type(exc).__name__}: {exc}"[:500]})
        return CheckResult(name, False, _ms(started), type(exc).__name__)
    return CheckResult(name, True, _ms(started))


def _ms(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 2)


def _check_postgres() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()


def _check_redis() -> None:
    client = redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=1, socket_timeout=1)
    try:
        if not client.ping():
            raise RuntimeError("PING not answered")
    finally:
        client.close()


def _check_opensearch() -> None:
    client = OpenSearch(hosts=[settings.OPENSEARCH_URL], timeout=1, max_retries=0)
    try:
        client.cluster.health()
    finally:
        client.close()


CHECKS: dict[str, Callable[[], None]] = {
    "postgres": _check_postgres,
    "redis": _check_redis,
    "opensearch": _check_opensearch,
}


def readiness() -> list[CheckResult]:
    """Probe every backing service; never raises."""
    return [_timed(name, probe) for name, probe in CHECKS.items()]
