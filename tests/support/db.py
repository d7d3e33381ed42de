"""Real database faults for tests: PostgreSQL itself refuses, no mock in between."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

import psycopg
from django.db import connection


@contextmanager
def inserts_fail_like_a_lost_connection(table: str, when: str = "true") -> Iterator[None]:
    """While inside, an INSERT into `table` of a row matching the SQL condition `when`
    (over NEW) fails with SQLSTATE 57P01, as when the server ends the connection: Django
    raises OperationalError. Needs a transactional test (the trigger is committed DDL)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE FUNCTION test_lost_connection() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
            f"IF {when} THEN RAISE EXCEPTION 'terminating connection' USING ERRCODE = '57P01'; END IF; "
            "RETURN NEW; END $$"
        )
        cursor.execute(
            f"CREATE TRIGGER test_lost_connection BEFORE INSERT ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION test_lost_connection()"
        )
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"DROP TRIGGER test_lost_connection ON {table}")
            cursor.execute("DROP FUNCTION test_lost_connection()")


@contextmanager
def table_locked(table: str) -> Iterator[Callable[[], None]]:
    """While inside, another connection holds `table` in ACCESS EXCLUSIVE mode (until the
    block ends, or earlier by calling the yielded `release`). This thread's own statements
    on it give up after 200 ms (lock_timeout) with an OperationalError, as against a
    database that is not answering, so a test never hangs on it; other threads' own
    connections wait for the lock."""
    with psycopg.connect(**connection.get_connection_params()) as holder:
        holder.execute(f"LOCK TABLE {table} IN ACCESS EXCLUSIVE MODE")
        with connection.cursor() as cursor:
            cursor.execute("SET lock_timeout = '200ms'")
        try:
            yield holder.rollback
        finally:
            with connection.cursor() as cursor:
                cursor.execute("RESET lock_timeout")
            holder.rollback()
