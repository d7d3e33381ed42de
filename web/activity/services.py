"""Writes of the activity domain: the one way every app records an event.

Two paths:

- `activity_log` inserts synchronously in the caller's transaction. Use it for
  events that describe a change (the event commits or rolls back with it).
- `activity_log_buffered` is for high-volume events that describe no change
  (marketplace searches, profile views). It RPUSHes the event, timestamped now,
  onto a Redis list (one round trip on a pooled connection);
  `activity_drain_buffer_task` moves batches into the table every couple of
  seconds. Redis runs with appendonly, so buffered events survive a restart. If
  Redis is unreachable, the event is handed, once the caller's transaction commits,
  to a writer thread of this process that inserts it (`DirectWriter`): the caller
  still runs no SQL and does not wait for the database.

The drain never drops an event on a crash: a batch is moved atomically (Lua)
from the buffer to a processing list, bulk-inserted, and only then deleted; a
drain that finds a processing list left behind inserts it first. The price is
at-least-once delivery: a worker killed between the INSERT commit and the
DELETE leaves a batch that the next drain inserts again.
"""

from __future__ import annotations

import atexit
import json
import logging
import os
import queue
import threading
import time
import uuid
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any, TypeAlias

import redis
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.serializers.json import DjangoJSONEncoder
from django.db import DatabaseError, DataError, IntegrityError, connection, transaction
from django.http import HttpRequest
from django.utils import timezone
from redis.commands.core import Script
from redis.exceptions import LockError
from rest_framework.request import Request

from web.activity.models import (
    ACTION_MAX_LENGTH,
    ACTION_RE,
    ENTITY_ID_MAX_LENGTH,
    ENTITY_TYPE_MAX_LENGTH,
    ENTITY_TYPE_RE,
    REFERRER_MAX_LENGTH,
    ActivityLog,
)
from web.core.db import insert_all_or_each
from web.core.errors import RateLimited
from web.core.identity import user_id_of
from web.core.ratelimit import Rate, rate_limit_hit
from web.core.redis_client import redis_client

logger = logging.getLogger("mash.activity")

AnyRequest: TypeAlias = HttpRequest | Request

# The hash tag keeps both lists in one Redis Cluster slot, as the Lua move needs.
BUFFER_KEY = "{activity}:buffer"
PROCESSING_KEY = "{activity}:buffer:processing"
DRAIN_LOCK_KEY = "{activity}:buffer:drain-lock"
DRAIN_BATCH_SIZE = 1000
DRAIN_MAX_BATCHES = 50
# Longer than a drain run can take (DRAIN_MAX_BATCHES bulk inserts); renewed per batch.
DRAIN_LOCK_SECONDS = 120
# After a failed RPUSH, skip Redis for this long: a blackholed Redis would otherwise
# cost every buffered call its connect timeout.
BUFFER_BACKOFF_SECONDS = 5.0
PAYLOAD_VERSION = 1

PURGE_BATCH_SIZE = 5000

TRIGGER_SCOPE = "activity.trigger"
TRIGGER_RATES = (Rate(limit=5, period_seconds=1), Rate(limit=30, period_seconds=60))
RATE_LIMITED_ACTION = "activity.trigger.rate_limited"
# The limiter's own event is written at most once per user per longest trigger window,
# so hammering the endpoint cannot turn into one row per refused request.
RATE_LIMITED_EVENT_RATE = Rate(limit=1, period_seconds=max(rate.period_seconds for rate in TRIGGER_RATES))

_buffer_skip_until: dict[str, float] = {}


# --- building an event ----------------------------------------------------------


def _referrer(request: AnyRequest | None) -> str | None:
    if request is None:
        return None
    value = request.META.get("HTTP_REFERER") or ""
    value = value.replace("\x00", "")[:REFERRER_MAX_LENGTH]
    return value or None


def _duration_since_arrival(request: AnyRequest | None) -> float | None:
    """Milliseconds since the request reached the middleware (which stamps the arrival)."""
    started = getattr(request, "started_perf_counter", None) if request is not None else None
    if started is None:
        return None
    return round((time.perf_counter() - started) * 1000, 3)


def check_event(action: str, entity_type: str) -> None:
    """Refuse names outside the documented formats (a bug in the caller, not user input)."""
    if len(action) > ACTION_MAX_LENGTH or not ACTION_RE.fullmatch(action):
        raise ValueError(f"activity action {action!r} must match {ACTION_RE.pattern} (at most {ACTION_MAX_LENGTH})")
    if entity_type and (len(entity_type) > ENTITY_TYPE_MAX_LENGTH or not ENTITY_TYPE_RE.fullmatch(entity_type)):
        raise ValueError(f"activity entity_type {entity_type!r} must match {ENTITY_TYPE_RE.pattern}")


def _event_fields(
    actor: Any,
    action: str,
    *,
    entity_type: str,
    entity_id: object,
    metadata: dict[str, Any] | None,
    request: AnyRequest | None,
    status_code: int | None,
    duration_ms: float | None,
) -> dict[str, Any]:
    check_event(action, entity_type)
    if metadata is not None and not isinstance(metadata, dict):
        raise TypeError("activity metadata must be a dict")
    return {
        "user_id": user_id_of(actor),
        "action": action,
        "entity_type": entity_type,
        "entity_id": None if entity_id is None else str(entity_id)[:ENTITY_ID_MAX_LENGTH],
        "metadata": metadata or {},
        "timestamp": timezone.now(),
        "duration_ms": duration_ms if duration_ms is not None else _duration_since_arrival(request),
        "status_code": status_code,
        "referrer": _referrer(request),
    }


# --- synchronous ----------------------------------------------------------------


def activity_log(
    actor: Any,
    action: str,
    *,
    entity_type: str = "",
    entity_id: object = None,
    metadata: dict[str, Any] | None = None,
    request: AnyRequest | None = None,
    status_code: int | None = None,
    duration_ms: float | None = None,
) -> ActivityLog:
    """Insert one event now, inside the caller's transaction (it commits or rolls back with it).

    `actor` is a User, or None / AnonymousUser for an anonymous visitor. With a
    `request`, the referrer comes from its Referer header and, unless given,
    `duration_ms` is the time since the request arrived. `action` must match
    ACTION_RE and `entity_type` ENTITY_TYPE_RE (ValueError otherwise).
    """
    fields = _event_fields(
        actor, action, entity_type=entity_type, entity_id=entity_id, metadata=metadata,
        request=request, status_code=status_code, duration_ms=duration_ms,
    )
    return ActivityLog.objects.create(**fields)


# --- buffered -------------------------------------------------------------------


def _to_payload(fields: dict[str, Any]) -> str:
    # isoformat() keeps microseconds; DjangoJSONEncoder would cut the timestamp to milliseconds.
    payload = {"v": PAYLOAD_VERSION, **fields, "timestamp": fields["timestamp"].isoformat()}
    return json.dumps(payload, cls=DjangoJSONEncoder, separators=(",", ":"))


def _from_payload(raw: bytes | str) -> ActivityLog:
    """Rebuild an event from its buffered JSON; raises ValueError/TypeError/KeyError if malformed."""
    data = json.loads(raw)
    if not isinstance(data, dict) or data.get("v") != PAYLOAD_VERSION:
        raise ValueError("unknown payload format")
    user_id = data.get("user_id")
    if (
        not isinstance(data["action"], str)
        or not isinstance(data.get("metadata") or {}, dict)
        or not (user_id is None or (isinstance(user_id, int) and not isinstance(user_id, bool)))
    ):
        raise TypeError("malformed event")
    timestamp = datetime.fromisoformat(data["timestamp"])
    if timezone.is_naive(timestamp):
        raise ValueError("timestamp without a time zone")
    event_id = data.get("event_id")
    return ActivityLog(
        event_id=uuid.UUID(event_id) if event_id is not None else None,  # ValueError if malformed
        user_id=user_id,
        action=data["action"],
        entity_type=data.get("entity_type") or "",
        entity_id=data.get("entity_id"),
        metadata=data.get("metadata") or {},
        timestamp=timestamp,
        duration_ms=data.get("duration_ms"),
        status_code=data.get("status_code"),
        referrer=data.get("referrer"),
    )


def _buffer_push_all(payloads: list[str]) -> bool:
    """Append events to the Redis buffer in one command; False if Redis does not take them."""
    try:
        redis_client().rpush(BUFFER_KEY, *payloads)
    except redis.RedisError:
        return False
    return True


def _buffer_push(payload: str) -> bool:
    url = settings.REDIS_URL
    if time.monotonic() < _buffer_skip_until.get(url, 0.0):
        return False
    try:
        redis_client().rpush(BUFFER_KEY, payload)
    except redis.RedisError as exc:
        _buffer_skip_until[url] = time.monotonic() + BUFFER_BACKOFF_SECONDS
        logger.warning("activity buffer unavailable, writing events directly", extra={"error": str(exc)})
        return False
    _buffer_skip_until.pop(url, None)
    return True


class DirectWriter:
    """Inserts events off the caller's thread while the Redis buffer is unreachable.

    One daemon thread per process takes the queued events in batches and stores them
    with `_store` (a repeat of a copy that reached the buffer after all is skipped, a
    refused row is dropped alone). While the database is unreachable too, it retries
    the batch with a growing pause, and hands it to the Redis buffer as soon as Redis
    answers again (the drain stores it; event ids make a second copy harmless). The
    queue is bounded (`capacity`): past it new events are dropped and counted in the
    log, so an outage of both stores cannot grow memory without bound. At exit the
    thread gets a few seconds to finish; what is still queued then goes to Redis if it
    can, and whatever is lost is counted in an error line. A forked child starts with an
    empty queue and its own thread.
    """

    def __init__(self, capacity: int = 10_000, batch_size: int = DRAIN_BATCH_SIZE) -> None:
        self.capacity = capacity
        self.batch_size = batch_size
        self._lock = threading.Lock()
        self._exit_flush_registered = False  # a forked child inherits the registration
        self._queue: queue.Queue[str] = queue.Queue(capacity)
        self._thread: threading.Thread | None = None
        self._dropped = 0
        self._in_flight: list[str] = []  # the batch the thread is storing
        self._wake = threading.Event()  # cuts a retry pause short (at exit)
        os.register_at_fork(after_in_child=self._forget_parent)

    def _forget_parent(self) -> None:
        """In a forked child: the parent's thread is not here, and its lock or queue may
        have been held mid-operation by a thread that no longer exists."""
        self._lock = threading.Lock()
        self._queue = queue.Queue(self.capacity)
        self._thread = None
        self._in_flight = []
        self._wake = threading.Event()

    def submit(self, payload: str) -> bool:
        """Queue one event payload; False (and an error log line) if the queue is full."""
        pending = self._running_queue()
        try:
            pending.put_nowait(payload)
        except queue.Full:
            self._dropped += 1
            if self._dropped == 1 or self._dropped % 1000 == 0:  # a line per thousand, not per event
                logger.error(
                    "activity events dropped: Redis unreachable and the direct writer is full",
                    extra={"dropped": self._dropped},
                )
            return False
        return True

    def flush(self, timeout: float = 5.0) -> bool:
        """Wait until every queued event is stored (or dropped as refused); False on timeout."""
        deadline = time.monotonic() + timeout
        while self._queue.unfinished_tasks:
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.01)
        return True

    def at_exit(self, timeout: float = 5.0) -> int:
        """Give the thread `timeout` seconds, then hand what is still queued to Redis.
        Returns the number of events lost (and logs it)."""
        self._wake.set()  # a thread pausing between retries tries again now
        if self.flush(timeout):
            return 0
        left: list[str] = []
        while True:
            try:
                left.append(self._queue.get_nowait())
            except queue.Empty:
                break
        # The thread's own batch too: if it is stored after all, event ids make the
        # drain skip the second copy.
        in_flight = list(self._in_flight)
        handed = _buffer_push_all(left + in_flight) if left or in_flight else True
        for _ in left:
            self._queue.task_done()
        lost = 0 if handed else len(left) + len(in_flight)
        if lost:
            logger.error("activity events lost at exit: neither the database nor Redis took them",
                         extra={"count": lost})
        return lost

    def _running_queue(self) -> queue.Queue[str]:
        with self._lock:
            if not self._exit_flush_registered:
                atexit.register(self.at_exit)
                self._exit_flush_registered = True
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(
                    target=self._run, args=(self._queue,), name="activity-direct-writer", daemon=True
                )
                self._thread.start()
            return self._queue

    def _run(self, pending: queue.Queue[str]) -> None:
        while True:
            batch = [pending.get()]
            while len(batch) < self.batch_size:
                try:
                    batch.append(pending.get_nowait())
                except queue.Empty:
                    break
            self._in_flight = batch
            try:
                self._store_until_taken(batch)
            except Exception:  # never let one batch end the thread
                logger.exception("activity events dropped by the direct writer", extra={"count": len(batch)})
            finally:
                self._in_flight = []
                for _ in batch:
                    pending.task_done()

    def _store_until_taken(self, batch: list[str]) -> None:
        pause = 0.5
        while True:
            try:
                _store(batch)
                return
            except DatabaseError as exc:
                if _buffer_push_all(batch):  # Redis is back: the drain stores them
                    return
                logger.warning(
                    "activity events not stored yet, database unavailable",
                    extra={"error": str(exc), "count": len(batch)},
                )
                self._wake.wait(pause)
                pause = min(pause * 2, 30.0)
            finally:
                connection.close()  # this thread's own connection


direct_writer = DirectWriter()


def activity_log_buffered(
    actor: Any,
    action: str,
    *,
    entity_type: str = "",
    entity_id: object = None,
    metadata: dict[str, Any] | None = None,
    request: AnyRequest | None = None,
    status_code: int | None = None,
    duration_ms: float | None = None,
) -> None:
    """Record a high-volume event without a database write on the caller's path.

    The event keeps the time of this call; it reaches the table within a few seconds,
    when `activity_drain_buffer_task` runs. It is not part of the caller's transaction.
    If Redis is unreachable, the event goes to `direct_writer` once the caller's
    transaction commits (immediately outside one): it is stored by a thread of this
    process, so the caller neither runs SQL nor waits for the database.
    """
    fields = _event_fields(
        actor, action, entity_type=entity_type, entity_id=entity_id, metadata=metadata,
        request=request, status_code=status_code, duration_ms=duration_ms,
    )
    payload = _to_payload({**fields, "event_id": uuid.uuid4()})  # serialising here surfaces bad metadata
    if _buffer_push(payload):
        return
    # The push may have reached Redis after all (a timeout after it was applied): the
    # drain's copy and this one share an event_id, and whichever comes second is skipped.
    # Outside a transaction it is handed over at once: on_commit would first open a
    # database connection to ask whether one is running (in_atomic_block opens none).
    if transaction.get_connection().in_atomic_block:
        transaction.on_commit(lambda: direct_writer.submit(payload), robust=True)
        return
    try:
        direct_writer.submit(payload)
    except Exception:  # e.g. no thread can be started: telemetry never fails the request
        logger.exception("activity event dropped, the direct writer could not take it")


# Moves up to ARGV[1] events from the head of the buffer to the processing list, atomically.
# Not bound to a client: the pooled client is passed at each call.
_MOVE_BATCH = Script(
    None,  # type: ignore[arg-type]
    b"""
local items = redis.call('LRANGE', KEYS[1], 0, tonumber(ARGV[1]) - 1)
if #items > 0 then
    redis.call('RPUSH', KEYS[2], unpack(items))
    redis.call('LTRIM', KEYS[1], #items, -1)
end
return items
""",
)


# What one bad row can raise (a value the column or jsonb refuses); anything else, such as
# the database being down, propagates and leaves the batch in the processing list.
_REFUSED = (DataError, IntegrityError, ValueError, TypeError)


def _store(raw_events: Iterable[bytes | str]) -> int:
    """Insert buffered events; drops (and logs) the ones that can never be inserted."""
    rows: list[ActivityLog] = []
    for raw in raw_events:
        try:
            rows.append(_from_payload(raw))
        except (ValueError, TypeError, KeyError) as exc:
            logger.error("dropping a malformed buffered activity event", extra={"error": str(exc), "raw": raw[:200]})
    # An account deleted since the event was buffered took its events with it.
    user_ids = {row.user_id for row in rows if row.user_id is not None}
    if user_ids:
        existing = set(get_user_model().objects.filter(pk__in=user_ids).values_list("pk", flat=True))
        rows = [row for row in rows if row.user_id is None or row.user_id in existing]
    # An event delivered twice carries the same event_id: the second copy is skipped.
    return insert_all_or_each(
        rows, refused=_REFUSED, log=logger, what="buffered activity events", skip_duplicates=True
    )


def activity_buffer_drain(*, batch_size: int = DRAIN_BATCH_SIZE, max_batches: int = DRAIN_MAX_BATCHES) -> int:
    """Move buffered events into the table; returns how many were inserted.

    One drain at a time (a Redis lock); events a crashed drain left in the processing
    list are inserted first. Redis being down is logged and retried on the next run;
    a database error propagates and leaves the batch in the processing list.
    """
    client = redis_client(timeout=10.0)
    lock = client.lock(DRAIN_LOCK_KEY, timeout=DRAIN_LOCK_SECONDS, blocking=False)
    try:
        if not lock.acquire(blocking=False):
            return 0
    except redis.RedisError as exc:
        logger.warning("activity buffer not drained, Redis unavailable", extra={"error": str(exc)})
        return 0
    stored = 0
    try:
        leftover = client.lrange(PROCESSING_KEY, 0, -1)
        if leftover:
            logger.warning("recovering activity events of an interrupted drain", extra={"count": len(leftover)})
            stored += _store(leftover)
            # Still ours? If the lock expired during a slow insert, another drain may have
            # put its batch in the processing list: leave it (a repeat beats a loss).
            lock.reacquire()
            client.delete(PROCESSING_KEY)
        for _ in range(max_batches):
            lock.reacquire()
            batch = _MOVE_BATCH(keys=[BUFFER_KEY, PROCESSING_KEY], args=[batch_size], client=client)
            if not batch:
                break
            stored += _store(batch)
            lock.reacquire()
            client.delete(PROCESSING_KEY)
            if len(batch) < batch_size:
                break
    except (redis.RedisError, LockError) as exc:
        # Whatever was moved stays in the processing list for the next run.
        logger.warning("activity buffer drain interrupted", extra={"error": str(exc), "stored": stored})
    finally:
        try:
            lock.release()
        except (redis.RedisError, LockError):
            pass  # expired or Redis gone: the lock times out on its own
    return stored


# --- client telemetry -----------------------------------------------------------


def activity_trigger(
    *,
    user: Any,
    action: str,
    entity_type: str = "",
    entity_id: object = None,
    metadata: dict[str, Any] | None = None,
    request: AnyRequest | None = None,
) -> ActivityLog:
    """Record an event reported by the client (UI telemetry), rate-limited per user.

    At most 5 a second and 30 a minute across all of the user's sessions. Over the
    limit it raises RateLimited (429 + Retry-After) and records one
    `activity.trigger.rate_limited` event per user per minute at most.
    """
    wait = rate_limit_hit(TRIGGER_SCOPE, str(user.pk), TRIGGER_RATES)
    if wait is not None:
        if rate_limit_hit(RATE_LIMITED_ACTION, str(user.pk), [RATE_LIMITED_EVENT_RATE]) is None:
            activity_log(
                user, RATE_LIMITED_ACTION, entity_type="user", entity_id=user.pk,
                metadata={"attempted_action": action, "retry_after": round(wait, 3)},
                request=request, status_code=429,
            )
        raise RateLimited(wait, "Too many events: at most 5 a second and 30 a minute.")
    return activity_log(
        user, action, entity_type=entity_type, entity_id=entity_id, metadata=metadata,
        request=request, status_code=201,
    )


# --- retention ------------------------------------------------------------------


def activity_purge_old(*, retention_days: int | None = None, batch_size: int = PURGE_BATCH_SIZE) -> int:
    """Delete events older than the retention period (settings.ACTIVITY_RETENTION_DAYS).

    Deletes by primary key in batches, each its own short transaction, so a large
    backlog never holds long locks or one giant transaction. Returns the number deleted.
    """
    days = settings.ACTIVITY_RETENTION_DAYS if retention_days is None else retention_days
    cutoff = timezone.now() - timedelta(days=days)
    old = ActivityLog.objects.filter(timestamp__lt=cutoff).order_by()
    deleted = 0
    while True:
        ids = list(old.values_list("id", flat=True)[:batch_size])
        if not ids:
            return deleted
        count, _ = ActivityLog.objects.filter(id__in=ids).delete()
        deleted += count
        if len(ids) < batch_size:
            return deleted
