"""The direct writer: events of activity_log_buffered while Redis is down, on the real
PostgreSQL of the test run, with real faults (a stopped Redis, a locked table, refused inserts)."""

from __future__ import annotations

import time
import uuid

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from config.embedded import EmbeddedRedis
from tests.support.db import inserts_fail_like_a_lost_connection, table_locked
from web.activity.buffer import (
    BUFFER_KEY,
    activity_buffer_drain,
    activity_log_buffered,
    buffer_push_all,
    direct_writer,
)
from web.activity.events import event_fields
from web.activity.models import ActivityLog
from web.activity.payload import payload_encode
from web.activity.writer import DirectWriter

pytestmark = pytest.mark.django_db


@pytest.mark.django_db(transaction=True)
def test_buffered_falls_back_to_the_direct_writer_after_commit(student, stopped_redis) -> None:
    with CaptureQueriesContext(connection) as queries, transaction.atomic():
        activity_log_buffered(student, "marketplace.search", metadata={"query": "math"}, status_code=200)
        activity_log_buffered(None, "profile.viewed", entity_type="tutor_profile", entity_id=5)
        # Handed over only once the caller's transaction commits.
        assert direct_writer._queue.unfinished_tasks == 0
    # The caller ran no SQL of its own (BEGIN/COMMIT aside): the writer thread inserts.
    assert [q["sql"] for q in queries.captured_queries if "activity" in q["sql"]] == []
    assert direct_writer.flush(10)
    search = ActivityLog.objects.get(action="marketplace.search")
    assert search.user == student
    assert search.metadata == {"query": "math"}
    assert search.status_code == 200
    assert ActivityLog.objects.get(action="profile.viewed").entity_id == "5"


@pytest.mark.django_db(transaction=True)
def test_fallback_is_not_written_if_the_caller_rolls_back(stopped_redis) -> None:
    with pytest.raises(RuntimeError), transaction.atomic():
        activity_log_buffered(None, "marketplace.search", metadata={"query": "rolled back"})
        raise RuntimeError
    activity_log_buffered(None, "marketplace.search", metadata={"query": "kept"})
    assert direct_writer.flush(10)
    assert [e.metadata["query"] for e in ActivityLog.objects.all()] == ["kept"]


@pytest.mark.django_db(transaction=True)
def test_the_direct_writer_retries_until_the_database_takes_the_events(stopped_redis) -> None:
    with inserts_fail_like_a_lost_connection(ActivityLog._meta.db_table):
        activity_log_buffered(None, "marketplace.search", metadata={"query": "waited"})
        assert not direct_writer.flush(1.0)  # refused, kept, tried again
    assert direct_writer.flush(30)
    assert ActivityLog.objects.get(action="marketplace.search").metadata == {"query": "waited"}


@pytest.mark.django_db(transaction=True)
def test_the_direct_writer_does_not_hold_up_the_caller_while_the_table_is_locked(student, stopped_redis) -> None:
    # (Were the caller to insert, it would give up on the lock: a failure, not a hang.)
    with table_locked(ActivityLog._meta.db_table) as release:
        activity_log_buffered(student, "marketplace.search", metadata={"query": "held"})
        assert not direct_writer.flush(1.0)  # the writer waits for the table
        release()
    assert direct_writer.flush(30)
    assert ActivityLog.objects.get(action="marketplace.search").metadata == {"query": "held"}


@pytest.mark.django_db(transaction=True)
def test_a_full_direct_writer_drops_new_events_and_says_so(caplog) -> None:
    payload = _event_payload
    writer = DirectWriter(buffer_push_all, capacity=2, batch_size=1)
    with table_locked(ActivityLog._meta.db_table) as release:
        assert writer.submit(payload(0))
        deadline = time.monotonic() + 10
        while writer._queue.qsize() and time.monotonic() < deadline:  # the thread took it and waits
            time.sleep(0.01)
        assert writer.submit(payload(1)) and writer.submit(payload(2))  # the queue is full now
        with caplog.at_level("ERROR", logger="mash.activity"):
            assert not writer.submit(payload(3))
        release()
    assert writer.flush(30)
    assert sorted(e.metadata["n"] for e in ActivityLog.objects.all()) == [0, 1, 2]
    assert [r.getMessage() for r in caplog.records if r.levelname == "ERROR"] == [
        "activity events dropped: Redis unreachable and the direct writer is full"
    ]


def _event_payload(n: int) -> str:
    fields = event_fields(
        None, "marketplace.search", entity_type="", entity_id=None, metadata={"n": n},
        status_code=200, duration_ms=None,
    )
    return payload_encode({**fields, "event_id": uuid.uuid4()})


@pytest.mark.django_db(transaction=True)
def test_the_direct_writer_hands_its_events_to_redis_once_redis_is_back(settings, tmp_path, redis_conn) -> None:
    running = settings.REDIS_URL  # redis_conn: the test run's Redis
    down = EmbeddedRedis(tmp_path / "redis").start()
    settings.REDIS_URL = down.url
    down.stop()
    writer = DirectWriter(buffer_push_all)
    with inserts_fail_like_a_lost_connection(ActivityLog._meta.db_table):
        assert writer.submit(_event_payload(1))
        assert not writer.flush(1.0)  # neither store takes it: kept, tried again
        settings.REDIS_URL = running  # Redis is back, the database is not
        assert writer.flush(30)
        assert redis_conn.llen(BUFFER_KEY) == 1
    assert activity_buffer_drain() == 1
    assert [e.metadata["n"] for e in ActivityLog.objects.all()] == [1]


@pytest.mark.django_db(transaction=True)
def test_events_neither_store_takes_by_exit_are_counted_as_lost(stopped_redis, caplog) -> None:
    writer = DirectWriter(buffer_push_all, batch_size=1)
    with inserts_fail_like_a_lost_connection(ActivityLog._meta.db_table):
        for n in range(3):
            assert writer.submit(_event_payload(n))
        with caplog.at_level("ERROR", logger="mash.activity"):
            assert writer.at_exit(timeout=0.5) == 3  # one in the thread's hands, two queued
    assert [r.getMessage() for r in caplog.records if r.levelname == "ERROR"] == [
        "activity events lost at exit: neither the database nor Redis took them"
    ]
    assert writer.flush(30)  # (this process goes on: the thread's batch lands before teardown)


@pytest.mark.django_db(transaction=True)
def test_at_exit_what_is_still_queued_goes_to_redis(settings, redis_conn) -> None:
    writer = DirectWriter(buffer_push_all, batch_size=1)
    with table_locked(ActivityLog._meta.db_table) as release:
        for n in range(3):
            assert writer.submit(_event_payload(n))
        # One waits for the table in the thread's hands, two are queued: all three are
        # handed to Redis.
        assert writer.at_exit(timeout=0.5) == 0
        assert redis_conn.llen(BUFFER_KEY) == 3
        release()
    assert writer.flush(30)  # the thread stores its batch too ...
    activity_buffer_drain()  # ... so the drain's copy of it is skipped
    assert sorted(e.metadata["n"] for e in ActivityLog.objects.all()) == [0, 1, 2]
