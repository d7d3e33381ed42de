"""The direct writer: stores buffered events from a thread of this process while Redis is down.

`activity_log_buffered` normally appends an event to the Redis buffer. When Redis does
not answer, the caller must still run no SQL and not wait for the database, so the
event goes to a `DirectWriter` instead (see `web.activity.buffer.direct_writer`).
The writer knows nothing of Redis: it is given a `handoff`, the function that puts a
batch back into the buffer once Redis answers again.
"""

from __future__ import annotations

import atexit
import logging
import os
import queue
import threading
import time
from collections.abc import Callable

from django.db import DatabaseError, connection

from web.activity.payload import payloads_store

logger = logging.getLogger("mash.activity")

WRITER_CAPACITY = 10_000
WRITER_BATCH_SIZE = 1000


class DirectWriter:
    """Inserts events off the caller's thread while the Redis buffer is unreachable.

    One daemon thread per process takes the queued events in batches and stores them
    with `payloads_store` (a repeat of a copy that reached the buffer after all is
    skipped, a refused row is dropped alone). While the database is unreachable too, it
    retries the batch with a growing pause, and hands it to `handoff` (the Redis buffer)
    as soon as that takes it (the drain stores it; event ids make a second copy
    harmless). The queue is bounded (`capacity`): past it new events are dropped and
    counted in the log, so an outage of both stores cannot grow memory without bound.
    At exit the thread gets a few seconds to finish; what is still queued then goes to
    `handoff` if it can, and whatever is lost is counted in an error line. A forked
    child starts with an empty queue and its own thread.
    """

    def __init__(
        self,
        handoff: Callable[[list[str]], bool],
        *,
        capacity: int = WRITER_CAPACITY,
        batch_size: int = WRITER_BATCH_SIZE,
    ) -> None:
        self.handoff = handoff
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
        """Give the thread `timeout` seconds, then hand what is still queued to `handoff`.
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
        handed = self.handoff(left + in_flight) if left or in_flight else True
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
                payloads_store(batch)
                return
            except DatabaseError as exc:
                if self.handoff(batch):  # Redis is back: the drain stores them
                    return
                logger.warning(
                    "activity events not stored yet, database unavailable",
                    extra={"error": str(exc), "count": len(batch)},
                )
                self._wake.wait(pause)
                pause = min(pause * 2, 30.0)
            finally:
                connection.close()  # this thread's own connection
