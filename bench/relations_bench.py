"""Tutor dashboard benchmark (not a test): one tutor with 10,000 relations and 50,000
audit-log rows; the dashboard's first page and page 200, each with its counters.

    python bench/relations_bench.py [--relations 10000] [--log-rows 50000] [--repeat 200]

Each request goes through the whole API (URL routing, JWT authentication, the strict query
parser, the page, the counters, serialization) with Django's test client and a real JWT,
so the time is what a tutor waits for minus the network. Page 200 is reached by walking
the cursor once; its request is then repeated with that cursor (keyset: the same cost at
any depth). Prints p50/p95 in milliseconds and the SQL statements per request.
"""

from __future__ import annotations

import argparse
import statistics
import time
from datetime import timedelta
from typing import Any

from _stack import percentile, start_stack

PAGE_SIZE = 50  # page 200 at 50 a page is the 10,000th relation


def seed(relations: int, log_rows: int) -> Any:
    # Imported here: Django models and settings can load only after django.setup() in start_stack().
    from django.contrib.auth.hashers import make_password
    from django.utils import timezone

    from web.accounts.models import Role, User
    from web.profiles.models import TutorProfile
    from web.relations.models import Initiator, Relation, RelationStatus, RelationStatusLog

    tutor = User.objects.filter(email="bench-dashboard-tutor@example.com").first()
    if tutor is not None and Relation.objects.filter(tutor=tutor).count() >= relations:
        return tutor
    password = make_password("bench-password")
    tutor = User.objects.create(email="bench-dashboard-tutor@example.com", full_name="Bench Tutor",
                                role=Role.TUTOR, password=password)
    TutorProfile.objects.create(user=tutor, headline="Bench", subjects=["math"], hourly_rate=400)
    students = User.objects.bulk_create(
        (User(email=f"bench-student-{n}@example.com", full_name=f"Student Number{n}", role=Role.STUDENT,
              password=password) for n in range(relations)),
        batch_size=2000,
    )
    # The spread of a busy tutor: mostly past relations, some active, a few waiting.
    cycle = [RelationStatus.ARCHIVED] * 5 + [RelationStatus.ACTIVE] * 2 + [RelationStatus.EXPIRED,
                                                                          RelationStatus.CANCELLED,
                                                                          RelationStatus.PENDING]
    now = timezone.now()
    rows = Relation.objects.bulk_create(
        (Relation(tutor=tutor, student=s, status=cycle[n % len(cycle)],
                  initiated_by=Initiator.STUDENT if n % 4 else Initiator.TUTOR,
                  created_at=now - timedelta(minutes=n * 7), updated_at=now - timedelta(minutes=n * 5),
                  expires_at=now + timedelta(days=10) if cycle[n % len(cycle)] == RelationStatus.PENDING else None)
         for n, s in enumerate(students)),
        batch_size=2000,
    )
    per = max(1, log_rows // len(rows))
    RelationStatusLog.objects.bulk_create(
        (RelationStatusLog(relation=r, tutor=tutor, prev_status="pending", new_status=r.status, actor=tutor,
                           timestamp=r.updated_at - timedelta(seconds=k), metadata={"reason": "bench"})
         for r in rows for k in range(per)),
        batch_size=5000,
    )
    from django.db import connection

    with connection.cursor() as cursor:  # as autovacuum would have by now (visibility map, statistics)
        for table in ("relations_relation", "relations_relationstatuslog", "accounts_user"):
            cursor.execute(f"VACUUM ANALYZE {table}")
    return tutor


def measure(client, url: str, params: dict, repeat: int) -> dict[str, float]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        response = client.get(url, params)
        times.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, response.content[:300]
    with CaptureQueriesContext(connection) as queries:
        client.get(url, params)
    sqls = [q["sql"] for q in queries.captured_queries]
    relation_sqls = [s for s in sqls if "relations_relation" in s]
    # The database's share: the same statements again, timed alone (EXPLAIN ANALYZE's execution time).
    sql_ms = []
    with connection.cursor() as cursor:
        for sql in relation_sqls:
            cursor.execute("EXPLAIN (ANALYZE, FORMAT JSON) " + sql)
            sql_ms.append(cursor.fetchone()[0][0]["Execution Time"])
    return {
        "p50": round(statistics.median(times), 2), "p95": round(percentile(times, 95), 2),
        "sql": len(sqls), "sql_relations": len(relation_sqls), "sql_ms": round(sum(sql_ms), 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--relations", type=int, default=10_000)
    parser.add_argument("--log-rows", type=int, default=50_000)
    parser.add_argument("--repeat", type=int, default=200)
    args = parser.parse_args()
    stack = start_stack("relations")
    try:
        from django.test import Client
        from rest_framework_simplejwt.tokens import RefreshToken

        from web.relations.models import Relation, RelationStatusLog

        started = time.perf_counter()
        tutor = seed(args.relations, args.log_rows)
        print(f"seeded {Relation.objects.filter(tutor=tutor).count()} relations and "
              f"{RelationStatusLog.objects.filter(tutor=tutor).count()} log rows in "
              f"{time.perf_counter() - started:.1f} s")
        client = Client(HTTP_HOST="localhost", HTTP_AUTHORIZATION=f"Bearer {RefreshToken.for_user(tutor).access_token}")
        url = "/api/tutor/relations/"
        params: dict = {"page_size": PAGE_SIZE}
        cursor_200 = None
        for page in range(1, 200):
            body = client.get(url, params).json()
            params = {"page_size": PAGE_SIZE, "cursor": body["cursor"]}
            if page == 199:
                cursor_200 = body["cursor"]
        assert cursor_200
        feed = client.get("/api/tutor/relations/recent_actions/", {"page_size": PAGE_SIZE}).json()
        cases = [
            ("dashboard, first page + counters", url, {"page_size": PAGE_SIZE}),
            ("dashboard, first page of 20 + counters", url, {"page_size": 20}),
            ("dashboard, page 200 + counters", url, {"page_size": PAGE_SIZE, "cursor": cursor_200}),
            ("dashboard, status=active + counters", url, {"page_size": PAGE_SIZE, "status": "active"}),
            ("dashboard, search + counters", url, {"page_size": PAGE_SIZE, "search": "number123"}),
            ("recent_actions, first page", "/api/tutor/relations/recent_actions/", {"page_size": PAGE_SIZE}),
            ("recent_actions, second page", "/api/tutor/relations/recent_actions/",
             {"page_size": PAGE_SIZE, "cursor": feed["cursor"]}),
        ]
        print(f"\n{'request':<40} {'p50 ms':>8} {'p95 ms':>8} {'SQL':>4} {'SQL on relations':>17} "
              f"{'their DB ms':>12}")
        for name, path, query in cases:
            client.get(path, query)  # warm
            result = measure(client, path, query, args.repeat)
            print(f"{name:<40} {result['p50']:>8} {result['p95']:>8} {result['sql']:>4} "
                  f"{result['sql_relations']:>17} {result['sql_ms']:>12}")
    finally:
        stack.stop()


if __name__ == "__main__":
    main()
