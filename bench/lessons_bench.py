"""Lessons benchmark: a month calendar among 1,000,000 lessons, and booking under load.

    make bench-lessons                 # scratch data dir, about 5 minutes on 2 cores
    BENCH_DATA_DIR=/tmp/lb make bench-lessons   # keep the data for another run

1. Data: 10,000 tutors with 100 lessons each (1,000,000: 80 % past and completed, 20 %
   ahead and scheduled), inserted with one generate_series statement per 100,000 rows; one
   tutor also has 500 lessons in one month with 500 students of their own.
2. The month calendar of that tutor: `GET /api/lessons/my/?from=..&to=..&role=tutor`
   through the whole Django stack (JWT auth, the view, serializing 500 lessons): p50/p95
   and the SQL statements per request. Targets: p95 <= 50 ms, <= 3 statements.
3. Booking: 20 clients on 20 threads (own connections), each a student booking 25 lessons
   with their tutor through `POST /api/lessons/` (relation lock, availability check, the
   insert the exclusion constraints check, history, activity, mail with an .ics): p50/p95.
"""

from __future__ import annotations

import argparse
import gc
import os
import threading
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from _stack import percentile, start_stack

TUTORS = 10_000
LESSONS_PER_TUTOR = 100
PAST_SHARE = 80  # of the 100 per tutor
HOT_LESSONS = 500
HOT_FIRST_DAY = 21  # the hot month starts this many days ahead
BOOKERS = 20
BOOKINGS_EACH = 25
CHUNK = 100_000


def _users(prefix: str, count: int, role: str) -> list[int]:
    from django.contrib.auth.hashers import make_password

    from web.accounts.models import User

    have = list(User.objects.filter(email__startswith=prefix).order_by("id").values_list("id", flat=True))
    if len(have) >= count:
        return have[:count]
    password = make_password("bench-password")
    User.objects.bulk_create(
        (User(email=f"{prefix}{n}@example.com", full_name=f"Bench {role} {n}", role=role, timezone="Europe/Kyiv",
              password=password) for n in range(len(have), count)),
        batch_size=5000,
    )
    return list(User.objects.filter(email__startswith=prefix).order_by("id").values_list("id", flat=True))


def ensure_data() -> tuple[int, datetime]:
    """Returns the hot tutor's id and the first day of its busy month."""
    from django.db import connection

    from web.lessons.models import Lesson

    today = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    tutors = _users("lbench-tutor-", TUTORS, "tutor")
    students = _users("lbench-student-", TUTORS, "student")
    hot_students = _users("lbench-hot-student-", HOT_LESSONS, "student")
    hot = tutors[0]
    first_day = today + timedelta(days=HOT_FIRST_DAY)
    if Lesson.objects.filter(tutor_id=tutors[-1]).exists():
        print("# data present, reused", flush=True)
        return hot, first_day
    started = time.perf_counter()
    with connection.cursor() as cursor:
        for lower in range(0, TUTORS * LESSONS_PER_TUTOR, CHUNK):
            # Lesson n: tutor n % 10000 with the student of the same number, on day
            # (n / 10000 - 80) from today at hour n % 10: no tutor or student overlaps.
            cursor.execute(
                """
                INSERT INTO lessons_lesson (tutor_id, student_id, status, start, "end", sequence,
                    cancellation_reason, late_cancellation, created_at, updated_at)
                SELECT t.ids[n %% %(tutors)s + 1], s.ids[n %% %(tutors)s + 1],
                       CASE WHEN n / %(tutors)s < %(past)s THEN 'completed' ELSE 'scheduled' END,
                       %(today)s + (n / %(tutors)s - %(past)s) * interval '1 day' + (n %% 10) * interval '1 hour',
                       %(today)s + (n / %(tutors)s - %(past)s) * interval '1 day' + (n %% 10) * interval '1 hour'
                           + interval '1 hour',
                       0, '', false, now(), now()
                FROM generate_series(%(lower)s, %(upper)s) AS g(n),
                     (SELECT %(tutor_ids)s::bigint[] AS ids) t, (SELECT %(student_ids)s::bigint[] AS ids) s
                """,
                {"tutors": TUTORS, "past": PAST_SHARE, "today": today, "lower": lower,
                 "upper": min(lower + CHUNK, TUTORS * LESSONS_PER_TUTOR) - 1, "tutor_ids": tutors,
                 "student_ids": students},
            )
            print(f"# {lower + CHUNK:>9,} lessons, {time.perf_counter() - started:.0f} s", flush=True)
        # The hot month: 17 lessons a day of 40 minutes, every 45 minutes from 05:00 UTC.
        cursor.execute(
            """
            INSERT INTO lessons_lesson (tutor_id, student_id, status, start, "end", sequence,
                cancellation_reason, late_cancellation, created_at, updated_at)
            SELECT %(hot)s, (%(students)s::bigint[])[n + 1], 'scheduled',
                   %(first)s + (n / 17) * interval '1 day' + interval '5 hours' + (n %% 17) * interval '45 minutes',
                   %(first)s + (n / 17) * interval '1 day' + interval '5 hours' + (n %% 17) * interval '45 minutes'
                       + interval '40 minutes',
                   0, '', false, now(), now()
            FROM generate_series(0, %(count)s - 1) AS g(n)
            """,
            {"hot": hot, "students": hot_students, "first": first_day, "count": HOT_LESSONS},
        )
        cursor.execute("ANALYZE lessons_lesson")
    print(f"# {Lesson.objects.count():,} lessons in {time.perf_counter() - started:.0f} s", flush=True)
    return hot, first_day


def _client(user_id: int) -> Any:
    from rest_framework.test import APIClient
    from rest_framework_simplejwt.tokens import RefreshToken

    from web.accounts.models import User

    client = APIClient()
    token = RefreshToken.for_user(User.objects.get(pk=user_id)).access_token
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client


def month_calendar(hot: int, first_day: datetime, repeat: int) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = _client(hot)
    last_day = first_day + timedelta(days=29)
    params = {"from": first_day.date().isoformat(), "to": last_day.date().isoformat(), "role": "tutor"}
    response = client.get("/api/lessons/my/", params)
    assert response.status_code == 200, response.content[:300]
    served = len(response.json()["results"])
    # As a web worker does once it has loaded (config/gunicorn.conf.py post_worker_init):
    # what is loaded by now stays, and the garbage collector stops scanning it.
    gc.collect()
    gc.freeze()
    times, statements = [], []
    for _ in range(repeat):
        with CaptureQueriesContext(connection) as queries:
            t0 = time.perf_counter()
            response = client.get("/api/lessons/my/", params)
            times.append((time.perf_counter() - t0) * 1000)
        assert response.status_code == 200
        statements.append(len(queries))
    print(f"\nmonth calendar ({served} lessons of one tutor among the 1M, {repeat} runs): "
          f"p50 {percentile(times, 50):.1f} ms, p95 {percentile(times, 95):.1f} ms, "
          f"SQL statements per request: {max(statements)}", flush=True)
    with connection.cursor() as cursor:
        from web.lessons.selectors import lessons_in_range  # noqa: F401  (the query measured above)

        cursor.execute(
            "EXPLAIN (ANALYZE, BUFFERS) SELECT * FROM lessons_lesson WHERE tutor_id = %s "
            "AND start >= %s AND start < %s AND \"end\" > %s ORDER BY start, id LIMIT 501",
            [hot, first_day - timedelta(hours=4), last_day + timedelta(days=1), first_day],
        )
        plan = [row[0] for row in cursor.fetchall()]
    print("plan: " + " | ".join(line.strip() for line in plan[:3]), flush=True)


def booking(repeat_each: int) -> None:
    from datetime import time as clock

    from django.db import connection

    from web.profiles.models import END_OF_DAY, AvailabilitySlot, TutorProfile
    from web.relations.models import Initiator, Relation, RelationStatus

    tutors = _users("lbench-booking-tutor-", BOOKERS, "tutor")
    students = _users("lbench-booker-", BOOKERS, "student")
    for tutor_id, student_id in zip(tutors, students, strict=True):
        profile, created = TutorProfile.objects.get_or_create(user_id=tutor_id, defaults={"timezone": "Europe/Kyiv"})
        if created:
            AvailabilitySlot.objects.bulk_create(
                AvailabilitySlot(profile=profile, weekday=d, start=clock(0), end=END_OF_DAY) for d in range(7)
            )
        Relation.objects.get_or_create(tutor_id=tutor_id, student_id=student_id, status=RelationStatus.ACTIVE,
                                       defaults={"initiated_by": Initiator.STUDENT})
    # A fresh stretch of time each run, so a kept database never refuses a slot.
    from web.lessons.models import Lesson

    latest = Lesson.objects.filter(tutor_id__in=tutors).order_by("-start").values_list("start", flat=True).first()
    base = max(datetime.now(UTC) + timedelta(days=60), (latest or datetime.now(UTC)) + timedelta(days=1))
    base = base.replace(minute=0, second=0, microsecond=0)
    clients = [_client(s) for s in students]
    times: list[float] = []
    statuses: list[int] = []
    lock = threading.Lock()
    barrier = threading.Barrier(BOOKERS)

    def run(index: int) -> None:
        try:
            barrier.wait()
            for k in range(repeat_each):
                start = base + timedelta(hours=2 * k)
                body = {"tutor_id": tutors[index], "start": start.isoformat(),
                        "end": (start + timedelta(hours=1)).isoformat()}
                t0 = time.perf_counter()
                response = clients[index].post("/api/lessons/", body, format="json")
                elapsed = (time.perf_counter() - t0) * 1000
                with lock:
                    times.append(elapsed)
                    statuses.append(response.status_code)
        finally:
            connection.close()

    started = time.perf_counter()
    threads = [threading.Thread(target=run, args=(n,)) for n in range(BOOKERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - started
    print(f"\nbooking, {BOOKERS} concurrent clients x {repeat_each}: p50 {percentile(times, 50):.1f} ms, "
          f"p95 {percentile(times, 95):.1f} ms, {len(times) / wall:.0f} bookings/s, "
          f"statuses {sorted(set(statuses))} ({statuses.count(201)} created)", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=100, help="month calendar requests")
    parser.add_argument("--bookings", type=int, default=BOOKINGS_EACH, help="bookings per client")
    args = parser.parse_args()
    os.environ.setdefault("ALLOWED_HOSTS", "testserver,localhost,127.0.0.1")  # the in-process client's host
    stack = start_stack("lessons")
    try:
        hot, first_day = ensure_data()
        month_calendar(hot, first_day, args.repeat)
        booking(args.bookings)
    finally:
        stack.stop()


if __name__ == "__main__":
    main()
