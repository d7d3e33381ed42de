"""Reviews benchmark (not a test): review-to-searchable lag, and the public review list.

    python bench/reviews_bench.py [--reviews 200] [--list-reviews 10000] [--requests 200]

1. Review-to-searchable lag over N reviews posted through the API (Django test client
   with a real JWT, each by another student with a completed lesson) with a real Celery
   worker: from the POST's response (committed) to the tutor's new `reviews_count`
   answering a search; and the whole wait, from sending the POST to searchable.
2. The public list `GET /api/marketplace/tutors/{id}/reviews/` of a tutor with M
   reviews, through the whole Django stack: the first page and a deep page (the cursor
   of review ~M/2), in each order, p50/p95 over R requests.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from datetime import timedelta

from _stack import ROOT, ensure_tutors, percentile, start_stack

# Every request of the benchmark comes from one address and a few accounts.
os.environ.setdefault("REVIEWS_CREATE_PER_ADDRESS_HOUR", "1000000")


def _students(prefix: str, count: int) -> list[int]:
    from web.accounts.models import Role, User

    emails = [f"{prefix}-{n}@example.com" for n in range(count)]
    have = set(User.objects.filter(email__in=emails).values_list("email", flat=True))
    User.objects.bulk_create(
        User(email=email, full_name=f"Bench Student{n}", role=Role.STUDENT, password="!")
        for n, email in enumerate(emails) if email not in have
    )
    return list(User.objects.filter(email__in=emails).order_by("id").values_list("pk", flat=True))


def review_to_searchable(reviews: int) -> dict[str, float]:
    # Imported here: Django models and settings can load only after django.setup() in start_stack().
    from django.db import connection
    from django.test import Client
    from django.utils import timezone
    from rest_framework_simplejwt.tokens import RefreshToken

    from indexer.rebuild import rebuild
    from search.client import write_client
    from search.indexes import TUTORS
    from web.accounts.models import User
    from web.lessons.models import Lesson, LessonStatus
    from web.profiles.selectors import listed_profiles
    from web.reviews.models import Review

    ensure_tutors(max(2000, reviews))
    rebuild()
    tutors = list(listed_profiles().exclude(pk__in=Review.objects.values("tutor")).order_by("?")[:reviews])
    students = _students("bench-reviewer", len(tutors))
    start = timezone.now() - timedelta(days=3)
    Lesson.objects.bulk_create(
        Lesson(tutor_id=t.pk, student_id=s, status=LessonStatus.COMPLETED, start=start, end=start + timedelta(hours=1))
        for t, s in zip(tutors, students, strict=True)
    )
    users = User.objects.in_bulk(students)

    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "config", "worker", "-Q", "index,celery", "--concurrency", "2",
         "--loglevel", "ERROR", "--without-heartbeat", "--without-gossip", "--without-mingle"],
        cwd=ROOT, env=dict(os.environ), start_new_session=True,
    )
    try:
        time.sleep(3)
        client, es = Client(HTTP_HOST="localhost"), write_client()
        lags: list[float] = []
        waits: list[float] = []
        posts: list[float] = []
        for n, (tutor, student_id) in enumerate(zip(tutors, students, strict=True)):
            token = RefreshToken.for_user(users[student_id]).access_token
            sent = time.perf_counter()
            response = client.post(
                f"/api/tutors/{tutor.pk}/reviews/", {"rating": 1 + n % 5, "text": "Benchmark review"},
                content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {token}",
            )
            committed = time.perf_counter()
            if response.status_code != 201:
                raise RuntimeError(f"POST answered {response.status_code}: {response.content[:300]!r}")
            query = {"query": {"bool": {"filter": [{"term": {"id": tutor.pk}}, {"term": {"reviews_count": 1}}]}}}
            while es.count(index=TUTORS.read_alias, body=query)["count"] == 0:
                if time.perf_counter() - committed > 30:
                    raise RuntimeError(f"tutor {tutor.pk} not searchable after 30 s")
                time.sleep(0.002)
            done = time.perf_counter()
            posts.append((committed - sent) * 1000)
            lags.append((done - committed) * 1000)
            waits.append((done - sent) * 1000)
        connection.close()
    finally:
        os.killpg(worker.pid, 15)
        worker.wait(30)
    return {
        "reviews": len(lags),
        "post_p50_ms": round(percentile(posts, 50), 1),
        "post_p95_ms": round(percentile(posts, 95), 1),
        "lag_p50_ms": round(percentile(lags, 50), 1),
        "lag_p95_ms": round(percentile(lags, 95), 1),
        "wait_p50_ms": round(percentile(waits, 50), 1),
        "wait_p95_ms": round(percentile(waits, 95), 1),
    }


def _timed(spent: list[float]):
    """A database execute wrapper adding each query's time to spent[0] (seconds)."""

    def wrapper(execute, sql, params, many, context):  # type: ignore[no-untyped-def]
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            spent[0] += time.perf_counter() - started

    return wrapper


def public_list(count: int, requests: int) -> list[dict[str, object]]:
    from django.db import connection
    from django.test import Client
    from django.utils import timezone

    from web.profiles.selectors import listed_profiles
    from web.reviews.models import Review
    from web.reviews.services import review_aggregate_repair

    tutor = listed_profiles().order_by("pk").first()
    assert tutor is not None
    have = Review.objects.filter(tutor_id=tutor.pk).count()
    if have < count:
        students = _students("bench-list", count)
        taken = set(Review.objects.filter(tutor_id=tutor.pk).values_list("student_id", flat=True))
        now = timezone.now()
        Review.objects.bulk_create(
            (
                Review(tutor_id=tutor.pk, student_id=s, rating=1 + (n * 7) % 5, text=f"Review number {n}",
                       created_at=now - timedelta(minutes=n), updated_at=now - timedelta(minutes=n))
                for n, s in enumerate(students) if s not in taken
            ),
            batch_size=2000,
        )
        review_aggregate_repair(tutor.pk)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE reviews_review")

    client = Client(HTTP_HOST="localhost")
    url = f"/api/marketplace/tutors/{tutor.pk}/reviews/"
    rows: list[dict[str, object]] = []
    for ordering in ("newest", "highest", "lowest"):
        # The cursor at about half the list: walk there with the largest pages.
        cursor_value: str = ""
        seen = 0
        while seen < count // 2:
            params = {"ordering": ordering, "page_size": 50} | ({"cursor": cursor_value} if cursor_value else {})
            body = client.get(url, params).json()
            seen += len(body["results"])
            cursor_value = body["cursor"] or ""
        pages: list[tuple[str, dict[str, str]]] = [("first", {}), (f"deep (~{seen:,})", {"cursor": cursor_value})]
        for depth, extra in pages:
            timings: list[float] = []
            sql: list[float] = []
            for _ in range(requests):
                spent = [0.0]
                started = time.perf_counter()
                with connection.execute_wrapper(_timed(spent)):
                    response = client.get(url, {"ordering": ordering, **extra})
                timings.append((time.perf_counter() - started) * 1000)
                sql.append(spent[0] * 1000)
                if response.status_code != 200 or len(response.json()["results"]) != 20:
                    raise RuntimeError(f"list answered {response.status_code}: {response.content[:300]!r}")
            rows.append({"ordering": ordering, "page": depth, "p50_ms": round(percentile(timings, 50), 2),
                         "p95_ms": round(percentile(timings, 95), 2), "sql_p95_ms": round(percentile(sql, 95), 2)})
    connection.close()
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reviews", type=int, default=200)
    parser.add_argument("--list-reviews", type=int, default=10_000)
    parser.add_argument("--requests", type=int, default=200)
    args = parser.parse_args()
    stack = start_stack("reviews-bench")
    try:
        lag = review_to_searchable(args.reviews)
        print(f"review-to-searchable over {lag['reviews']} API reviews: "
              f"lag p50 {lag['lag_p50_ms']} ms, p95 {lag['lag_p95_ms']} ms "
              f"(POST p50 {lag['post_p50_ms']} ms, p95 {lag['post_p95_ms']} ms; "
              f"POST sent to searchable p50 {lag['wait_p50_ms']} ms, p95 {lag['wait_p95_ms']} ms)", flush=True)
        print(f"\npublic review list, tutor with {args.list_reviews:,} reviews, {args.requests} requests each:")
        print("| ordering | page | p50 ms | p95 ms | SQL p95 ms (2 queries) |")
        print("|---|---|---:|---:|---:|")
        for row in public_list(args.list_reviews, args.requests):
            print(f"| {row['ordering']} | {row['page']} | {row['p50_ms']} | {row['p95_ms']} | {row['sql_p95_ms']} |",
                  flush=True)
    finally:
        stack.stop()


if __name__ == "__main__":
    main()
