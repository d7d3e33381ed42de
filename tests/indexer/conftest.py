"""A real Celery worker (with embedded beat) in a subprocess, for pipeline tests."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import quote

import pytest
from django.db import connection

ROOT = Path(__file__).resolve().parents[2]


def test_database_url() -> str:
    db = connection.settings_dict
    return f"postgresql://{quote(db['USER'] or 'postgres')}@/{db['NAME']}?host={quote(db['HOST'])}"


test_database_url.__test__ = False  # type: ignore[attr-defined]


class Worker:
    def __init__(self, env: dict[str, str], workdir: Path) -> None:
        self.env = env
        self.workdir = workdir
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> Worker:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "config", "worker", "-B",
             "--schedule", str(self.workdir / "beat-schedule"),
             "-Q", "index,celery,mail", "--concurrency", "2", "--loglevel", "WARNING",
             "--without-heartbeat", "--without-gossip", "--without-mingle"],
            cwd=ROOT,
            env=self.env,
            start_new_session=True,
        )
        return self

    def kill(self) -> None:
        """SIGKILL the whole worker (main process, pool children and beat)."""
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.kill()


@pytest.fixture
def worker_factory(settings, tmp_path) -> Iterator[Callable[..., Worker]]:
    """Start workers that see this test's database, broker and index."""
    workers: list[Worker] = []

    def start(**overrides: str) -> Worker:
        env = dict(os.environ)
        env.update(
            DATABASE_URL=test_database_url(),
            REDIS_URL=settings.REDIS_URL,
            CELERY_BROKER_URL=settings.CELERY_BROKER_URL,
            OPENSEARCH_URL=settings.OPENSEARCH_URL,
            INDEX_CATCH_UP_MIN_AGE_SECONDS="1",
            INDEX_REDISPATCH_AFTER_SECONDS="10",
            LOG_LEVEL="WARNING",
        )
        env.update(overrides)
        worker = Worker(env, tmp_path).start()
        workers.append(worker)
        return worker

    yield start
    for worker in workers:
        worker.stop()


def wait_until(predicate: Callable[[], bool], timeout: float = 60.0, interval: float = 0.2) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(interval)
    raise AssertionError(f"condition not met within {timeout} s")


def _switch_broker(url: str) -> None:
    """Point this process's Celery producer at another broker."""
    from config.celery import app

    app.conf.broker_url = url
    if app._pool is not None:
        app._pool.force_close_all()
        app._pool = None
    app.amqp._producer_pool = None


@pytest.fixture
def broker(settings, tmp_path):
    """A Redis of this test's own (so it can be stopped), used as broker by the test and its workers."""
    from config.embedded import EmbeddedRedis

    redis = EmbeddedRedis(tmp_path / "broker").start()
    original = settings.CELERY_BROKER_URL
    settings.REDIS_URL = settings.CELERY_BROKER_URL = redis.url
    _switch_broker(redis.url)
    yield redis
    _switch_broker(original)
    redis.stop()
