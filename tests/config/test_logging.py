"""Logging as configured: LOG_FORMAT picks the format of every process (web, worker, beat),
and the periodic jobs are quiet at INFO unless they moved something."""

from __future__ import annotations

import io
import json
import logging
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from celery.app.trace import LOG_RECEIVED

from tests.search.conftest import clean_buffers  # noqa: F401
from web.activity.buffer import activity_log_buffered
from web.activity.tasks import activity_drain_buffer_task
from web.core.logging import PeriodicTaskChatter
from web.marketplace.tasks import marketplace_metrics_drain_task

ROOT = Path(__file__).resolve().parents[2]
DRAIN = "web.activity.tasks.activity_drain_buffer_task"


@pytest.fixture
def log_output(caplog) -> Iterator[io.StringIO]:
    """What the handler settings.LOGGING installed writes, at LOG_LEVEL=INFO."""
    (handler,) = [
        h for h in logging.getLogger().handlers
        if isinstance(h, logging.StreamHandler) and any(isinstance(f, PeriodicTaskChatter) for f in h.filters)
    ]
    output = io.StringIO()
    previous = handler.setStream(output)
    caplog.set_level(logging.INFO)
    yield output
    handler.setStream(previous)  # type: ignore[arg-type]


@pytest.mark.django_db
@pytest.mark.usefixtures("clean_buffers")
def test_drains_that_moved_nothing_log_nothing_at_info(log_output) -> None:
    assert activity_drain_buffer_task.apply().get() == 0
    assert marketplace_metrics_drain_task.apply().get() == 0
    context = {"id": "a1", "name": DRAIN, "args": "()", "kwargs": "{}", "eta": None}
    logging.getLogger("celery.worker.strategy").info(LOG_RECEIVED, context, extra={"data": context})
    logging.getLogger("celery.beat").info("Scheduler: Sending due task %s (%s)", "activity-drain-buffer", DRAIN)
    assert log_output.getvalue() == ""


@pytest.mark.django_db
@pytest.mark.usefixtures("clean_buffers")
def test_a_drain_that_moved_something_says_so_in_one_line(log_output) -> None:
    activity_log_buffered(None, "marketplace.search", metadata={"query": "physics"})
    activity_log_buffered(None, "marketplace.search", metadata={"query": "algebra"})
    assert activity_drain_buffer_task.apply().get() == 2
    (line,) = log_output.getvalue().splitlines()
    assert {k: v for k, v in json.loads(line).items() if k != "ts"} == {
        "level": "info", "logger": "mash.activity", "message": "activity events drained", "count": 2,
    }


_CELERY_PROCESS = (
    "import logging; from config.celery import app; "
    # What `celery worker` and `celery beat` call to set their logging up.
    "app.log.setup(loglevel='DEBUG'); "
    "logging.getLogger('celery.beat').info('Scheduler: Sending due task %s (%s)', 'x', '" + DRAIN + "'); "
    "logging.getLogger('celery.beat').info('beat: Starting...'); "
    "logging.getLogger('mash.request').info('request', extra={'request_id': 'r', 'method': 'GET', "
    "'path': '/api/health/', 'status': 200, 'duration_ms': 1.5, 'user_id': None})"
)


def _celery_process_output(**env: str) -> list[str]:
    result = subprocess.run(
        [sys.executable, "-c", _CELERY_PROCESS], cwd=ROOT, env={**os.environ, "LOG_LEVEL": "INFO", **env},
        capture_output=True, text=True, timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return [line for line in (result.stdout + result.stderr).splitlines() if line.strip()]


def test_celery_processes_log_in_the_console_format_when_asked() -> None:
    lines = _celery_process_output(LOG_FORMAT="console")
    assert [line.split(" ", 1)[1] for line in lines] == [
        "celery: beat: Starting...",
        "GET /api/health/ 200 1.5 ms",
    ]


def test_celery_processes_log_json_lines_by_default() -> None:
    lines = _celery_process_output()
    assert [(json.loads(line)["logger"], json.loads(line)["message"]) for line in lines] == [
        ("celery.beat", "beat: Starting..."),
        ("mash.request", "request"),
    ]


def test_an_unknown_log_format_is_refused_by_name() -> None:
    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"], cwd=ROOT,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings", "LOG_FORMAT": "xml"},
        capture_output=True, text=True, timeout=60,
    )
    assert result.returncode != 0
    assert "LOG_FORMAT must be one of json, console, got 'xml'" in result.stderr
