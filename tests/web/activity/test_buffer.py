"""activity_log_buffered and the drain task, on the real Redis and PostgreSQL of the test run."""

from __future__ import annotations

import json
import time
from datetime import timedelta

import pytest
from django.utils import timezone

from web.activity import buffer
from web.activity.buffer import activity_log_buffered
from web.activity.models import REFERRER_MAX_LENGTH, ActivityLog
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
    assert redis_conn.llen(buffer.BUFFER_KEY) == 2

    assert activity_drain_buffer_task() == 2

    assert redis_conn.llen(buffer.BUFFER_KEY) == 0
    assert redis_conn.llen(buffer.PROCESSING_KEY) == 0
    mine = ActivityLog.objects.get(user=student)
    assert mine.action == "marketplace.search"
    assert mine.entity_type == "tutor"
    assert mine.metadata == {"query": "math tutor", "result_count": 128}
    assert (mine.status_code, mine.duration_ms) == (200, 41.2)
    # The event keeps the time it happened, not the time it was drained.
    assert before <= mine.timestamp <= after
    assert ActivityLog.objects.get(user=None).metadata == {"query": "physics"}
    assert activity_drain_buffer_task() == 0


def test_buffered_event_takes_referrer_and_duration_from_the_request(student, in_request) -> None:
    in_request(referer="https://app.example.com/" + "x" * 2000, started=0.0)
    activity_log_buffered(student, "marketplace.search")
    activity_log_buffered(student, "profile.viewed", status_code=200, duration_ms=7.5)
    assert activity_drain_buffer_task() == 2
    search, viewed = (ActivityLog.objects.get(action=action) for action in ("marketplace.search", "profile.viewed"))
    assert search.referrer == viewed.referrer == ("https://app.example.com/" + "x" * 2000)[:REFERRER_MAX_LENGTH]
    assert search.duration_ms > 0
    assert (viewed.status_code, viewed.duration_ms) == (200, 7.5)


def test_drain_works_through_large_backlogs_in_batches(student, redis_conn) -> None:
    for i in range(25):
        activity_log_buffered(student, "marketplace.search", metadata={"i": i})
    assert buffer.activity_buffer_drain(batch_size=10) == 25
    assert sorted(e.metadata["i"] for e in ActivityLog.objects.all()) == list(range(25))
    # A run stops after max_batches; the rest waits for the next run.
    for i in range(25):
        activity_log_buffered(student, "marketplace.search", metadata={"i": i})
    assert buffer.activity_buffer_drain(batch_size=10, max_batches=1) == 10
    assert redis_conn.llen(buffer.BUFFER_KEY) == 15


def test_events_of_a_crashed_drain_are_recovered_once(student, redis_conn) -> None:
    for i in range(3):
        activity_log_buffered(student, "marketplace.search", metadata={"i": i})
    # A drain moved a batch to the processing list and died before inserting it.
    moved = buffer._MOVE_BATCH(
        keys=[buffer.BUFFER_KEY, buffer.PROCESSING_KEY], args=[2], client=redis_conn
    )
    assert len(moved) == 2
    assert redis_conn.llen(buffer.PROCESSING_KEY) == 2

    assert activity_drain_buffer_task() == 3
    assert sorted(e.metadata["i"] for e in ActivityLog.objects.all()) == [0, 1, 2]
    assert redis_conn.llen(buffer.PROCESSING_KEY) == 0


def test_a_drain_that_lost_its_lock_leaves_the_next_drains_batch_alone(student, redis_conn, monkeypatch) -> None:
    activity_log_buffered(student, "marketplace.search", metadata={"i": "slow"})
    activity_log_buffered(student, "marketplace.search", metadata={"i": "next"})
    next_batch = redis_conn.rpop(buffer.BUFFER_KEY)  # what another drain will have moved
    real_store = buffer.payloads_store

    def slow_store(batch):
        # The insert outlives the lock; another drain takes it and moves its own batch.
        redis_conn.delete(buffer.DRAIN_LOCK_KEY)
        assert redis_conn.lock(buffer.DRAIN_LOCK_KEY, timeout=30).acquire(blocking=False)
        redis_conn.rpush(buffer.PROCESSING_KEY, next_batch)
        return real_store(batch)

    monkeypatch.setattr(buffer, "payloads_store", slow_store)
    assert activity_drain_buffer_task() == 1
    monkeypatch.setattr(buffer, "payloads_store", real_store)
    assert redis_conn.lrange(buffer.PROCESSING_KEY, 0, -1)[-1] == next_batch
    redis_conn.delete(buffer.DRAIN_LOCK_KEY)  # the other drain ends
    activity_drain_buffer_task()
    # Nothing lost, and the slow batch, left in the processing list too, is not stored twice.
    assert sorted(e.metadata["i"] for e in ActivityLog.objects.all()) == ["next", "slow"]


def test_an_event_delivered_twice_is_stored_once(student, redis_conn) -> None:
    activity_log_buffered(student, "marketplace.search", metadata={"i": 1})
    activity_log_buffered(student, "marketplace.search", metadata={"i": 2})
    first, second = redis_conn.lrange(buffer.BUFFER_KEY, 0, -1)
    redis_conn.rpush(buffer.BUFFER_KEY, first)  # a push that timed out after Redis applied it, sent again
    activity_drain_buffer_task()
    # A drain that stored its batch but could not clear the processing list: the next one finds it again.
    redis_conn.rpush(buffer.PROCESSING_KEY, first, second)
    activity_drain_buffer_task()
    events = list(ActivityLog.objects.order_by("id"))
    assert [e.metadata["i"] for e in events] == [1, 2]
    assert None not in {e.event_id for e in events}


def test_only_one_drain_runs_at_a_time(student, redis_conn) -> None:
    activity_log_buffered(student, "marketplace.search")
    held = redis_conn.lock(buffer.DRAIN_LOCK_KEY, timeout=30)
    assert held.acquire(blocking=False)
    try:
        assert activity_drain_buffer_task() == 0
        assert redis_conn.llen(buffer.BUFFER_KEY) == 1
    finally:
        held.release()
    assert activity_drain_buffer_task() == 1


def test_unusable_events_are_dropped_without_blocking_the_rest(student, tutor_user, redis_conn) -> None:
    activity_log_buffered(student, "marketplace.search", metadata={"ok": 1})
    redis_conn.rpush(buffer.BUFFER_KEY, b"{not json")
    redis_conn.rpush(buffer.BUFFER_KEY, json.dumps({"v": 999, "action": "x.y"}))
    stamp = timezone.now().isoformat()
    redis_conn.rpush(buffer.BUFFER_KEY, json.dumps({"v": 1, "action": "x.y", "timestamp": stamp, "user_id": "7"}))
    redis_conn.rpush(buffer.BUFFER_KEY, json.dumps({"v": 1, "action": "x.y", "timestamp": stamp, "status_code": "x"}))
    # PostgreSQL's jsonb refuses \u0000: the database rejects this one row.
    activity_log_buffered(student, "marketplace.search", metadata={"query": "a\x00b"})
    # The account is deleted before its event is drained.
    activity_log_buffered(tutor_user, "marketplace.search")
    tutor_user.delete()
    activity_log_buffered(student, "marketplace.search", metadata={"ok": 2})

    assert activity_drain_buffer_task() == 2
    assert sorted(e.metadata["ok"] for e in ActivityLog.objects.all()) == [1, 2]
    assert redis_conn.llen(buffer.BUFFER_KEY) == 0
    assert redis_conn.llen(buffer.PROCESSING_KEY) == 0


def test_bad_metadata_fails_at_the_call_not_in_the_drain(student) -> None:
    with pytest.raises(TypeError):
        activity_log_buffered(student, "marketplace.search", metadata={"x": object()})
    with pytest.raises(ValueError):
        activity_log_buffered(student, "Search")


def test_drain_with_redis_down_does_nothing_and_does_not_raise(stopped_redis) -> None:
    assert activity_drain_buffer_task() == 0


def test_buffered_timestamp_survives_a_slow_drain(student) -> None:
    activity_log_buffered(student, "marketplace.search")
    queued_at = timezone.now()
    time.sleep(0.05)
    activity_drain_buffer_task()
    assert ActivityLog.objects.get().timestamp <= queued_at
    assert queued_at - ActivityLog.objects.get().timestamp < timedelta(seconds=1)
