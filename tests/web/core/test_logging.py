"""The console format (one short line per request or event) and the filter that keeps
Celery's periodic-task chatter out of INFO."""

from __future__ import annotations

import logging
import sys
from datetime import datetime

from celery.app.trace import LOG_RECEIVED, LOG_RETRY, LOG_SUCCESS

from web.core.logging import ConsoleFormatter, PeriodicTaskChatter

DRAIN = "web.activity.tasks.activity_drain_buffer_task"


def _record(name: str, level: int, msg: str, args: object = (), **extra: object) -> logging.LogRecord:
    record = logging.getLogger(name).makeRecord(name, level, __file__, 1, msg, args, None, extra=extra)
    record.created = datetime(2026, 3, 1, 14, 5, 9).timestamp()
    return record


def test_a_request_is_one_line_with_method_path_status_and_duration() -> None:
    record = _record(
        "mash.request", logging.INFO, "request",
        request_id="5b0c7e1f", method="GET", path="/api/marketplace/tutors/", status=200, duration_ms=12.34, user_id=7,
    )
    assert ConsoleFormatter().format(record) == "14:05:09 GET /api/marketplace/tutors/ 200 12.34 ms user=7"


def test_an_anonymous_request_names_no_user() -> None:
    record = _record(
        "mash.request", logging.INFO, "request",
        request_id="x", method="POST", path="/api/auth/token/", status=429, duration_ms=3.0, user_id=None,
    )
    assert ConsoleFormatter().format(record) == "14:05:09 POST /api/auth/token/ 429 3.0 ms"


def test_an_event_names_its_level_logger_and_fields() -> None:
    record = _record(
        "mash.health", logging.WARNING, "readiness check failed",
        check="redis", error="ConnectionError: refused", counts={"missing": 1},
    )
    assert ConsoleFormatter().format(record) == (
        '14:05:09 WARNING health: readiness check failed check=redis error="ConnectionError: refused" '
        'counts={"missing":1}'
    )
    info = _record("mash.indexer", logging.INFO, "rebuild swapped", index="mash-tutors-1", documents=2851)
    assert ConsoleFormatter().format(info) == "14:05:09 indexer: rebuild swapped index=mash-tutors-1 documents=2851"
    mingle = _record("celery.worker.consumer.mingle", logging.INFO, "mingle: all alone")
    assert ConsoleFormatter().format(mingle) == "14:05:09 celery: mingle: all alone"


def test_a_traceback_follows_its_line() -> None:
    try:
        raise ValueError("boom")
    except ValueError:
        record = logging.getLogger("mash.x").makeRecord(
            "mash.x", logging.ERROR, __file__, 1, "failed", (), sys.exc_info()
        )
    first, *rest = ConsoleFormatter().format(record).splitlines()
    assert first.endswith(" ERROR x: failed")
    assert rest[0] == "Traceback (most recent call last):"
    assert rest[-1] == "ValueError: boom"


def _passes(record: logging.LogRecord) -> bool:
    return PeriodicTaskChatter([DRAIN]).filter(record)


def _task_line(name: str, fmt: str, task: str) -> logging.LogRecord:
    # As Celery logs them: the context is the %-argument and, again, `extra={"data": ...}`.
    context = {"id": "a1", "name": task, "runtime": 0.01, "return_value": "0", "exc": "err", "args": "()",
               "kwargs": "{}", "eta": None}
    return _record(name, logging.INFO, fmt, (context,), data=context)


def test_celery_routine_lines_about_a_periodic_task_are_demoted_and_dropped() -> None:
    sent = _record("celery.beat", logging.INFO, "Scheduler: Sending due task %s (%s)", ("activity-drain-buffer", DRAIN))
    received = _task_line("celery.worker.strategy", LOG_RECEIVED, DRAIN)
    succeeded = _task_line("celery.app.trace", LOG_SUCCESS, DRAIN)
    for record in (sent, received, succeeded):
        assert _passes(record) is False
        assert record.levelname == "DEBUG"


def test_other_tasks_retries_and_other_lines_keep_their_level() -> None:
    other_task = _task_line("celery.app.trace", LOG_SUCCESS, "indexer.tasks.index_tutor_task")
    retry = _task_line("celery.app.trace", LOG_RETRY, DRAIN)
    beat_start = _record("celery.beat", logging.INFO, "beat: Starting...")
    request = _record("mash.request", logging.INFO, "request", method="GET")
    for record in (other_task, retry, beat_start, request):
        assert _passes(record) is True
        assert record.levelno == logging.INFO


def test_demoted_lines_show_when_debug_is_on() -> None:
    logger = logging.getLogger("celery.app.trace")
    previous = logger.level
    logger.setLevel(logging.DEBUG)
    try:
        assert _passes(_task_line("celery.app.trace", LOG_SUCCESS, DRAIN)) is True
    finally:
        logger.setLevel(previous)
