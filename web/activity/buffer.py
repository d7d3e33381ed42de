"""The Redis buffer of high-volume events: `activity_log_buffered` and its drain.

`activity_log_buffered` is for events that describe no change (marketplace searches,
profile views). It RPUSHes the event, timestamped now, onto a Redis list (one round
trip on a pooled connection); `activity_drain_buffer_task` moves batches into the
table every couple of seconds (`activity_buffer_drain`). Redis runs with appendonly, so
buffered events survive a restart. If Redis is unreachable, the event is handed, once
the caller's transaction commits, to `direct_writer`, a thread of this process that
inserts it: the caller still runs no SQL and does not wait for the database.

The drain never drops an event on a crash: a batch is moved atomically (Lua) from the
buffer to a processing list, bulk-inserted, and only then deleted; a drain that finds
a processing list left behind inserts it first. The price is at-least-once delivery: a
worker killed between the INSERT commit and the DELETE leaves a batch that the next
drain inserts again (its event ids make the second copy a no-op).
"""

from __future__ import annotations

import logging
import time
import uuid
from typing import Any

import redis
from django.conf import settings
from django.db import transaction
from redis.commands.core import Script
from redis.exceptions import LockError

from web.activity.events import event_fields
from web.activity.payload import payload_encode, payloads_store
from web.activity.writer import DirectWriter
from web.core.redis_client import redis_client

logger = logging.getLogger("mash.activity")

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

_buffer_skip_until: dict[str, float] = {}


def buffer_push_all(payloads: list[str]) -> bool:
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


# What this process stores itself while Redis is down; it gives batches back to the
# buffer as soon as Redis answers again.
direct_writer = DirectWriter(buffer_push_all, batch_size=DRAIN_BATCH_SIZE)


def activity_log_buffered(
    actor: Any,
    action: str,
    *,
    entity_type: str = "",
    entity_id: object = None,
    metadata: dict[str, Any] | None = None,
    status_code: int | None = None,
    duration_ms: float | None = None,
) -> None:
    """Record a high-volume event without a database write on the caller's path.

    The event keeps the time of this call; it reaches the table within a few seconds,
    when `activity_drain_buffer_task` runs. It is not part of the caller's transaction.
    Referrer and duration are taken as `activity_log` takes them. If Redis is
    unreachable, the event goes to `direct_writer` once the caller's transaction
    commits (immediately outside one): it is stored by a thread of this process, so
    the caller neither runs SQL nor waits for the database.
    """
    fields = event_fields(
        actor, action, entity_type=entity_type, entity_id=entity_id, metadata=metadata,
        status_code=status_code, duration_ms=duration_ms,
    )
    payload = payload_encode({**fields, "event_id": uuid.uuid4()})  # serialising here surfaces bad metadata
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
            stored += payloads_store(leftover)
            # Still ours? If the lock expired during a slow insert, another drain may have
            # put its batch in the processing list: leave it (a repeat beats a loss).
            lock.reacquire()
            client.delete(PROCESSING_KEY)
        for _ in range(max_batches):
            lock.reacquire()
            batch = _MOVE_BATCH(keys=[BUFFER_KEY, PROCESSING_KEY], args=[batch_size], client=client)
            if not batch:
                break
            stored += payloads_store(batch)
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
