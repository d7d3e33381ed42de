"""Load test of lessons: tutors and students booking, rescheduling, cancelling and
reading their calendars and iCal feeds.

    make load-lessons                          # 20 users, 60 s, against http://127.0.0.1:8000

Needs the demo data (`make run` seeds it): the demo pairs are tutorN@example.com and
studentN@example.com for N = 1, 6, 11, ... (see web/demo/lessons.py), with the demo
password. A 409 (an overlap, a lesson moved or cancelled by the other side meanwhile, a
time outside the tutor's availability) is an answer the API is meant to give under
contention and counts as a success; anything else unexpected is a failure.
"""

from __future__ import annotations

import itertools
import os
import random
import uuid
from datetime import UTC, datetime, timedelta

from locust import HttpUser, between, task

DEMO_PASSWORD = os.environ.get("DEMO_PASSWORD", "demo-password-2026")
PAIRS = [n for n in range(1, int(os.environ.get("LOAD_DEMO_STUDENTS", "200")) + 1) if (n - 1) % 5 == 0]
EXPECTED = {200, 201, 409}
_TAKEN = {"student": itertools.count(), "tutor": itertools.count()}


def _slot() -> tuple[str, str]:
    start = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) + timedelta(
        days=random.randint(20, 300), hours=random.randint(0, 23), minutes=random.choice([0, 15, 30, 45]))
    return start.isoformat(), (start + timedelta(minutes=random.choice([30, 45, 60, 90]))).isoformat()


class _LessonUser(HttpUser):
    abstract = True
    wait_time = between(0.3, 1.2)
    role = "student"

    def on_start(self) -> None:
        # One account per simulated person: two users of one account would rotate each
        # other's calendar token, and a rotated token is revoked (404) by design.
        self.number = PAIRS[next(_TAKEN[self.role]) % len(PAIRS)]
        email = f"{self.role}{self.number}@example.com"
        response = self.client.post("/api/auth/token/", json={"email": email, "password": DEMO_PASSWORD},
                                    name="/api/auth/token/")
        self.client.headers["Authorization"] = f"Bearer {response.json()['access']}"
        token = self.client.post("/api/me/calendar-token/", name="/api/me/calendar-token/").json()
        self.feed_token = token["token"]
        self.partner: int | None = None

    def _check(self, response, expected=EXPECTED) -> dict | None:
        if response.status_code not in expected:
            response.failure(f"{response.status_code}: {response.text[:200]}")
            return None
        response.success()
        return response.json() if response.status_code < 300 else None

    def _upcoming(self) -> list[dict]:
        today = datetime.now(UTC).date()
        with self.client.get("/api/lessons/my/", params={"from": today.isoformat(),
                                                        "to": (today + timedelta(days=300)).isoformat(),
                                                        "status": "scheduled", "role": self.role},
                             name="/api/lessons/my/ [upcoming]", catch_response=True) as response:
            body = self._check(response, {200})
        lessons = body["results"] if body else []
        if lessons and self.partner is None:
            other = "student" if self.role == "tutor" else "tutor"
            self.partner = lessons[0][other]["id"]
        return lessons

    @task(4)
    def month(self) -> None:
        first = datetime.now(UTC).date() + timedelta(days=random.randint(-60, 200))
        with self.client.get("/api/lessons/my/", params={"from": first.isoformat(),
                                                        "to": (first + timedelta(days=30)).isoformat()},
                             name="/api/lessons/my/ [month]", catch_response=True) as response:
            self._check(response, {200})

    @task(2)
    def feed(self) -> None:
        with self.client.get("/api/lessons/calendar.ics", params={"token": self.feed_token},
                             name="/api/lessons/calendar.ics", catch_response=True) as response:
            if response.status_code != 200 or not response.text.startswith("BEGIN:VCALENDAR"):
                response.failure(f"{response.status_code}: {response.text[:200]}")

    @task(2)
    def reschedule(self) -> None:
        lessons = self._upcoming()
        if not lessons:
            return
        start, end = _slot()
        lesson = random.choice(lessons)
        with self.client.patch(f"/api/lessons/{lesson['id']}/reschedule/", json={"start": start, "end": end},
                               headers={"Idempotency-Key": uuid.uuid4().hex},
                               name="/api/lessons/{id}/reschedule/", catch_response=True) as response:
            self._check(response)

    @task(1)
    def cancel(self) -> None:
        lessons = self._upcoming()
        if len(lessons) < 3:
            return
        with self.client.post(f"/api/lessons/{random.choice(lessons)['id']}/cancel/", json={"reason": "load test"},
                              headers={"Idempotency-Key": uuid.uuid4().hex},
                              name="/api/lessons/{id}/cancel/", catch_response=True) as response:
            self._check(response)


class Tutor(_LessonUser):
    role = "tutor"

    @task(3)
    def book(self) -> None:
        if self.partner is None:
            self._upcoming()
        if self.partner is None:
            return
        start, end = _slot()
        key = uuid.uuid4().hex
        for attempt in range(2):  # a retry with the same key must give the same answer
            with self.client.post("/api/lessons/", json={"student_id": self.partner, "start": start, "end": end},
                                  headers={"Idempotency-Key": key},
                                  name="/api/lessons/ [book]" if attempt == 0 else "/api/lessons/ [retry]",
                                  catch_response=True) as response:
                self._check(response)


class Student(_LessonUser):
    role = "student"

    @task(3)
    def book(self) -> None:
        if self.partner is None:
            self._upcoming()
        if self.partner is None:
            return
        start, end = _slot()
        with self.client.post("/api/lessons/", json={"tutor_id": self.partner, "start": start, "end": end},
                              headers={"Idempotency-Key": uuid.uuid4().hex},
                              name="/api/lessons/ [book]", catch_response=True) as response:
            self._check(response)
