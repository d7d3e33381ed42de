"""activity_log_buffered and the drain task, on the real Redis and PostgreSQL of the test run."""

from __future__ import annotations

import json
import time
from datetime import timedelta

import pytest
from django.utils import timezone

from config.embedded import EmbeddedRedis
from tests.support.db import table_locked
from web.activity import services
from web.activity.models import ActivityLog
from web.activity.services import activity_log_buffered
from web.activity.tasks import activity_drain_buffer_task

pytestmark = pytest.mark.django_db


def test_buffered_event_is_drained_into_the_table(student, redis_conn) -> None:
    before = timezone.now()
    activity_log_buffered(
        student, "marketplace.search", entity_type="tutor", metadata={"query": "math tutor", "result_count": 128},
        status_code=200, duration_ms=41.2,
    )
    activity_log_buffered(None, "marketplace.search", metadata={"query": "physics"})
    after = timezone.now()
    assert not ActivityLog.objects.exists()
    assert redis_conn.llen(services.BUFFER_KEY) == 2

    assert activity_drain_buffer_task() == 2

    assert redis_conn.llen(services.BUFFER_KEY) == 0
    assert redis_conn.llen(services.PROCESSING_KEY) == 0
    mine = ActivityLog.objects.get(user=student)
    assert mine.action == "marketplace.search"
    assert mine.entity_type == "tutor"
    assert mine.metadata == {"query": "math tutor", "result_count": 128}
    assert (mine.status_code, mine.duration_ms) == (200, 41.2)
    # The event keeps the time it happened, not the time it was drained.
    assert before <= mine.timestamp <= after
    assert ActivityLog.objects.get(user=None).metadata == {"query": "physics"}
    assert activity_drain_buffer_task() == 0


def test_drain_works_through_large_backlogs_in_batches(student, redis_conn) -> None:
    for i in range(25):
        activity_log_buffered(student, "marketplace.search", metadata={"i": i})
    assert services.activity_buffer_drain(batch_size=10) == 25
    assert sorted(e.metadata["i"] for e in ActivityLog.objects.all()) == list(range(25))
    # A run stops after max_batches; the rest waits for the next run.
    for i in range(25):
        activity_log_buffered(student, "marketplace.search", metadata={"i": i})
    assert services.activity_buffer_drain(batch_size=10, max_batches=1) == 10
    assert redis_conn.llen(services.BUFFER_KEY) == 15


def test_events_of_a_crashed_drain_are_recovered_once(student, redis_conn) -> None:
    for i in range(3):
        activity_log_buffered(student, "marketplace.search", metadata={"i": i})
    # A drain moved a batch to the processing list and died before inserting it.
    moved = services._MOVE_BATCH(
        keys=[services.BUFFER_KEY, services.PROCESSING_KEY], args=[2], client=redis_conn
    )
    assert len(moved) == 2
    assert redis_conn.llen(services.PROCESSING_KEY) == 2

    assert activity_drain_buffer_task() == 3
    assert sorted(e.metadata["i"] for e in ActivityLog.objects.all()) == [0, 1, 2]
    assert redis_conn.llen(services.PROCESSING_KEY) == 0


def test_a_drain_that_lost_its_lock_leaves_the_next_drains_batch_alone(student, redis_conn, monkeypatch) -> None:
    activity_log_buffered(student, "marketplace.search", metadata={"i": "slow"})
    activity_log_buffered(student, "marketplace.search", metadata={"i": "next"})
    next_batch = redis_conn.rpop(services.BUFFER_KEY)  # what another drain will have moved
    real_store = services._store

    def slow_store(batch):
        # The insert outlives the lock; another drain takes it and moves its own batch.
        redis_conn.delete(services.DRAIN_LOCK_KEY)
        assert redis_conn.lock(services.DRAIN_LOCK_KEY, timeout=30).acquire(blocking=False)
        redis_conn.rpush(services.PROCESSING_KEY, next_batch)
        return real_store(batch)

    monkeypatch.setattr(services, "_store", slow_store)
    assert activity_drain_buffer_task() == 1
    monkeypatch.setattr(services, "_store", real_store)
    assert redis_conn.lrange(services.PROCESSING_KEY, 0, -1)[-1] == next_batch
    redis_conn.delete(services.DRAIN_LOCK_KEY)  # the other drain ends
    activity_drain_buffer_task()
    # Nothing lost, and the slow batch, left in the processing list too, is not stored twice.
    assert sorted(e.metadata["i"] for e in ActivityLog.objects.all()) == ["next", "slow"]


def test_an_event_delivered_twice_is_stored_once(student, redis_conn) -> None:
    activity_log_buffered(student, "marketplace.search", metadata={"i": 1})
    activity_log_buffered(student, "marketplace.search", metadata={"i": 2})
    first, second = redis_conn.lrange(services.BUFFER_KEY, 0, -1)
    redis_conn.rpush(services.BUFFER_KEY, first)  # a push that timed out after Redis applied it, sent again
    activity_drain_buffer_task()
    # A drain that stored its batch but could not clear the processing list: the next one finds it again.
    redis_conn.rpush(services.PROCESSING_KEY, first, second)
    activity_drain_buffer_task()
    events = list(ActivityLog.objects.order_by("id"))
    assert [e.metadata["i"] for e in events] == [1, 2]
    assert None not in {e.event_id for e in events}


def test_only_one_drain_runs_at_a_time(student, redis_conn) -> None:
    activity_log_buffered(student, "marketplace.search")
    held = redis_conn.lock(services.DRAIN_LOCK_KEY, timeout=30)
    assert held.acquire(blocking=False)
    try:
        assert activity_drain_buffer_task() == 0
        assert redis_conn.llen(services.BUFFER_KEY) == 1
    finally:
        held.release()
    assert activity_drain_buffer_task() == 1


def test_unusable_events_are_dropped_without_blocking_the_rest(student, tutor_user, redis_conn) -> None:
    activity_log_buffered(student, "marketplace.search", metadata={"ok": 1})
    redis_conn.rpush(services.BUFFER_KEY, b"{not json")
    redis_conn.rpush(services.BUFFER_KEY, json.dumps({"v": 999, "action": "x.y"}))
    stamp = timezone.now().isoformat()
    redis_conn.rpush(services.BUFFER_KEY, json.dumps({"v": 1, "action": "x.y", "timestamp": stamp, "user_id": "7"}))
    redis_conn.rpush(services.BUFFER_KEY, json.dumps({"v": 1, "action": "x.y", "timestamp": stamp, "status_code": "x"}))
    # PostgreSQL's jsonb refuses \u0000: the database rejects this one row.
    activity_log_buffered(student, "marketplace.search", metadata={"query": "a\x00b"})
    # The account is deleted before its event is drained.
    activity_log_buffered(tutor_user, "marketplace.search")
    tutor_user.delete()
    activity_log_buffered(student, "marketplace.search", metadata={"ok": 2})

    assert activity_drain_buffer_task() == 2
    assert sorted(e.metadata["ok"] for e in ActivityLog.objects.all()) == [1, 2]
    assert redis_conn.llen(services.BUFFER_KEY) == 0
    assert redis_conn.llen(services.PROCESSING_KEY) == 0


def test_bad_metadata_fails_at_the_call_not_in_the_drain(student) -> None:
    with pytest.raises(TypeError):
        activity_log_buffered(student, "marketplace.search", metadata={"x": object()})
    with pytest.raises(ValueError):
        activity_log_buffered(student, "Search")


@pytest.fixture
def stopped_redis(settings, tmp_path):
    """settings.REDIS_URL pointing at a Redis that has been stopped."""
    server = EmbeddedRedis(tmp_path / "redis").start()
    settings.REDIS_URL = server.url
    server.stop()
    return server


@pytest.mark.django_db(transaction=True)
def test_buffered_falls_back_to_the_direct_writer_after_commit(student, stopped_redis) -> None:
    from django.db import connection, transaction
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries, transaction.atomic():
        activity_log_buffered(student, "marketplace.search", metadata={"query": "math"}, status_code=200)
        activity_log_buffered(None, "profile.viewed", entity_type="tutor_profile", entity_id=5)
        # Handed over only once the caller's transaction commits.
        assert services.direct_writer._queue.unfinished_tasks == 0
    # The caller ran no SQL of its own (BEGIN/COMMIT aside): the writer thread inserts.
    assert [q["sql"] for q in queries.captured_queries if "activity" in q["sql"]] == []
    assert services.direct_writer.flush(10)
    search = ActivityLog.objects.get(action="marketplace.search")
    assert search.user == student
    assert search.metadata == {"query": "math"}
    assert search.status_code == 200
    assert ActivityLog.objects.get(action="profile.viewed").entity_id == "5"


@pytest.mark.django_db(transaction=True)
def test_fallback_is_not_written_if_the_caller_rolls_back(stopped_redis) -> None:
    from django.db import transaction

    with pytest.raises(RuntimeError), transaction.atomic():
        activity_log_buffered(None, "marketplace.search", metadata={"query": "rolled back"})
        raise RuntimeError
    activity_log_buffered(None, "marketplace.search", metadata={"query": "kept"})
    assert services.direct_writer.flush(10)
    assert [e.metadata["query"] for e in ActivityLog.objects.all()] == ["kept"]


@pytest.mark.django_db(transaction=True)
def test_the_direct_writer_retries_until_the_database_takes_the_events(stopped_redis) -> None:
    from tests.support.db import inserts_fail_like_a_lost_connection

    with inserts_fail_like_a_lost_connection(ActivityLog._meta.db_table):
        activity_log_buffered(None, "marketplace.search", metadata={"query": "waited"})
        assert not services.direct_writer.flush(1.0)  # refused, kept, tried again
    assert services.direct_writer.flush(30)
    assert ActivityLog.objects.get(action="marketplace.search").metadata == {"query": "waited"}


@pytest.mark.django_db(transaction=True)
def test_the_direct_writer_does_not_hold_up_the_caller_while_the_table_is_locked(student, stopped_redis) -> None:
    # (Were the caller to insert, it would give up on the lock: a failure, not a hang.)
    with table_locked(ActivityLog._meta.db_table) as release:
        activity_log_buffered(student, "marketplace.search", metadata={"query": "held"})
        assert not services.direct_writer.flush(1.0)  # the writer waits for the table
        release()
    assert services.direct_writer.flush(30)
    assert ActivityLog.objects.get(action="marketplace.search").metadata == {"query": "held"}


def test_drain_with_redis_down_does_nothing_and_does_not_raise(stopped_redis) -> None:
    assert activity_drain_buffer_task() == 0


def test_buffered_timestamp_survives_a_slow_drain(student) -> None:
    activity_log_buffered(student, "marketplace.search")
    queued_at = timezone.now()
    time.sleep(0.05)
    activity_drain_buffer_task()
    assert ActivityLog.objects.get().timestamp <= queued_at
    assert queued_at - ActivityLog.objects.get().timestamp < timedelta(seconds=1)


@pytest.mark.django_db(transaction=True)
def test_a_full_direct_writer_drops_new_events_and_says_so(caplog) -> None:
    payload = _event_payload
    writer = services.DirectWriter(capacity=2, batch_size=1)
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
    import uuid

    fields = services._event_fields(
        None, "marketplace.search", entity_type="", entity_id=None, metadata={"n": n},
        request=None, status_code=200, duration_ms=None,
    )
    return services._to_payload({**fields, "event_id": uuid.uuid4()})


@pytest.mark.django_db(transaction=True)
def test_the_direct_writer_hands_its_events_to_redis_once_redis_is_back(settings, tmp_path, redis_conn) -> None:
    from tests.support.db import inserts_fail_like_a_lost_connection

    running = settings.REDIS_URL  # redis_conn: the test run's Redis
    down = EmbeddedRedis(tmp_path / "redis").start()
    settings.REDIS_URL = down.url
    down.stop()
    writer = services.DirectWriter()
    with inserts_fail_like_a_lost_connection(ActivityLog._meta.db_table):
        assert writer.submit(_event_payload(1))
        assert not writer.flush(1.0)  # neither store takes it: kept, tried again
        settings.REDIS_URL = running  # Redis is back, the database is not
        assert writer.flush(30)
        assert redis_conn.llen(services.BUFFER_KEY) == 1
    assert services.activity_buffer_drain() == 1
    assert [e.metadata["n"] for e in ActivityLog.objects.all()] == [1]


@pytest.mark.django_db(transaction=True)
def test_events_neither_store_takes_by_exit_are_counted_as_lost(stopped_redis, caplog) -> None:
    from tests.support.db import inserts_fail_like_a_lost_connection

    writer = services.DirectWriter(batch_size=1)
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
    writer = services.DirectWriter(batch_size=1)
    with table_locked(ActivityLog._meta.db_table) as release:
        for n in range(3):
            assert writer.submit(_event_payload(n))
        # One waits for the table in the thread's hands, two are queued: all three are
        # handed to Redis.
        assert writer.at_exit(timeout=0.5) == 0
        assert redis_conn.llen(services.BUFFER_KEY) == 3
        release()
    assert writer.flush(30)  # the thread stores its batch too ...
    services.activity_buffer_drain()  # ... so the drain's copy of it is skipped
    assert sorted(e.metadata["n"] for e in ActivityLog.objects.all()) == [0, 1, 2]
