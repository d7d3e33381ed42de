"""Session-level PostgreSQL advisory locks: released by the server if the holder dies."""

from __future__ import annotations

import zlib
from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connection


class LockBusyError(RuntimeError):
    pass


@contextmanager
def advisory_lock(name: str) -> Iterator[None]:
    key = zlib.crc32(name.encode())
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s)", [key])
        if not cursor.fetchone()[0]:
            raise LockBusyError(f"{name} is already running")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s)", [key])
