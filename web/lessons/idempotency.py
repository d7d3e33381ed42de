"""`Idempotency-Key` for lesson writes, after Stripe's design.

A client that retries a write (a timeout, a dropped connection) sends the same key, and
gets the response the first attempt got instead of a second lesson. Keys are per user and
kept 24 hours. The first request with a key inserts the record row and runs the write in
the same transaction; a concurrent request with the same key waits on the unique index
until that transaction commits, then reads the stored response. Reusing a key with a
different request (method, path or body) is a 422. Domain errors (4xx) are stored and
replayed too: the outcome of a key does not change when it is retried.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from web.core.errors import DomainError, InvalidInput, error_body
from web.lessons.models import IDEMPOTENCY_KEY_MAX, IdempotencyRecord

HEADER = "Idempotency-Key"
KEPT_FOR = timedelta(hours=24)
REPLAY_HEADER = "Idempotent-Replayed"


class IdempotencyKeyReused(DomainError):
    status = 422
    code = "idempotency_key_reused"
    default_message = gettext_lazy(
        "This Idempotency-Key was used with a different request; use a new key for a new request."
    )


@dataclass(frozen=True)
class Outcome:
    status: int
    body: Any
    replayed: bool = False


def fingerprint(method: str, path: str, body: Any) -> str:
    canonical = json.dumps([method.upper(), path, body], sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def check_key(key: str | None) -> str | None:
    if key is None:
        return None
    if not 1 <= len(key) <= IDEMPOTENCY_KEY_MAX or not key.isprintable() or not key.isascii():
        message = _("1 to %(max)d printable ASCII characters.") % {"max": IDEMPOTENCY_KEY_MAX}
        raise InvalidInput(fields={HEADER: [message]})
    return key


def idempotent(*, user_id: int, key: str | None, fingerprint: str, run: Callable[[], Outcome]) -> Outcome:
    """`run()`'s outcome, or the stored outcome of an earlier request with `key`."""
    key = check_key(key)
    if key is None:
        return run()
    now = timezone.now()
    with transaction.atomic():
        with connection.cursor() as cursor:
            # Waits for a concurrent first request with this key to commit (or roll back).
            cursor.execute(
                """
                INSERT INTO lessons_idempotencyrecord (user_id, key, fingerprint, created_at)
                VALUES (%s, %s, %s, %s)
                ON CONFLICT (user_id, key) DO NOTHING
                """,
                [user_id, key, fingerprint, now],
            )
        record = IdempotencyRecord.objects.select_for_update().get(user_id=user_id, key=key)
        if record.created_at < now - KEPT_FOR:
            # Expired and not purged yet: the key starts afresh.
            record.status_code, record.response, record.created_at = None, None, now
            record.fingerprint = fingerprint
        elif record.fingerprint != fingerprint:
            raise IdempotencyKeyReused()
        elif record.status_code is not None:
            return Outcome(record.status_code, record.response, replayed=True)
        try:
            with transaction.atomic():
                outcome = run()
        except DomainError as exc:
            outcome = Outcome(exc.status, error_body(exc.code, exc.message, exc.fields))
        record.status_code, record.response = outcome.status, outcome.body
        record.save(update_fields=["status_code", "response", "fingerprint", "created_at"])
        # As stored (jsonb orders keys its own way), so the first answer and every replay
        # are the same bytes.
        record.refresh_from_db(fields=["response"])
    return Outcome(outcome.status, record.response)


def idempotency_purge(*, now: Any = None) -> int:
    """Delete records older than 24 hours; returns how many."""
    cutoff = (now or timezone.now()) - KEPT_FOR
    deleted, _kinds = IdempotencyRecord.objects.filter(created_at__lt=cutoff).delete()
    return deleted
