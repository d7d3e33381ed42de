"""Demo relations: every state for the demo tutor and the demo student, and a realistic
spread across the generated tutors and students.

Bulk inserts (relations, then their audit log), one UPDATE for every tutor's
`active_students`; the index rebuild that ends `seed_demo` carries the counts. Repeatable:
the demo tutor's relations are made once, and a generated student who has any relation
is skipped. Deterministic from the seed.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import connection, transaction
from django.utils import timezone

from web.accounts.models import Role, User
from web.profiles.models import TutorProfile
from web.relations.models import Initiator, Relation, RelationStatus, RelationStatusLog

PENDING_DAYS = 14
STATUSES = RelationStatus
# Past relations: how they ended, in proportion.
_CLOSED = [RelationStatus.ARCHIVED] * 5 + [RelationStatus.CANCELLED] * 2 + [RelationStatus.EXPIRED] * 2
_MESSAGES = [
    "Готуюся до НМТ з математики, хотів би двічі на тиждень.",
    "Potrzebuję pomocy z maturą rozszerzoną.",
    "Looking for IELTS speaking practice, evenings preferably.",
    "",
    "Моя донька у 7 класі, потрібна допомога з фізикою.",
    "",
]


@dataclass
class _Row:
    tutor_id: int
    student_id: int | None
    status: str
    initiated_by: str
    created_at: datetime
    changed_at: datetime
    invited_email: str = ""
    message: str = ""


def _row(rng: random.Random, now: datetime, tutor_id: int, student_id: int | None, status: str,
         initiated_by: str | None = None, invited_email: str = "") -> _Row:
    created = now - timedelta(days=rng.randint(1, 13) if status == RelationStatus.PENDING else rng.randint(15, 300),
                              minutes=rng.randint(0, 1440))
    changed = created if status == RelationStatus.PENDING else created + timedelta(
        days=PENDING_DAYS if status == RelationStatus.EXPIRED else rng.randint(0, 10), minutes=rng.randint(5, 600))
    return _Row(
        tutor_id=tutor_id, student_id=student_id, status=status,
        initiated_by=initiated_by or (Initiator.TUTOR if rng.random() < 0.25 else Initiator.STUDENT),
        created_at=created, changed_at=min(changed, now), invited_email=invited_email,
        message=rng.choice(_MESSAGES),
    )


def _demo_rows(rng: random.Random, now: datetime, tutor: User, student: User, tutors: list[int],
               students: list[int]) -> list[_Row]:
    """The demo tutor has relations in every state; the demo student studies with the demo
    tutor and has a past and a pending one elsewhere."""
    rows = [_row(rng, now, tutor.pk, student.pk, RelationStatus.ACTIVE, Initiator.STUDENT)]
    others = iter(rng.sample(students, min(len(students), 24)))
    plan = [(RelationStatus.PENDING, Initiator.STUDENT)] * 4 + [(RelationStatus.PENDING, Initiator.TUTOR)] * 2 + [
        (RelationStatus.ACTIVE, None)] * 6 + [(RelationStatus.ARCHIVED, None)] * 5 + [
        (RelationStatus.CANCELLED, None)] * 3 + [(RelationStatus.EXPIRED, None)] * 3
    for status, initiated_by in plan:
        other = next(others, None)
        if other is None:
            break
        rows.append(_row(rng, now, tutor.pk, other, status, initiated_by))
    rows.append(_row(rng, now, tutor.pk, None, RelationStatus.PENDING, Initiator.TUTOR,
                     invited_email="new.student@example.com"))
    elsewhere = rng.sample(tutors, min(len(tutors), 4))
    for tutor_id, status in zip(elsewhere, [RelationStatus.ARCHIVED, RelationStatus.PENDING,
                                            RelationStatus.CANCELLED, RelationStatus.EXPIRED], strict=False):
        rows.append(_row(rng, now, tutor_id, student.pk, status, Initiator.STUDENT))
    return rows


def _student_rows(rng: random.Random, now: datetime, student_id: int, tutors: list[int]) -> list[_Row]:
    """A generated student: most study with one tutor, some wait on requests, many have a past."""
    picks = iter(rng.sample(tutors, min(len(tutors), 6)))
    rows = []
    if rng.random() < 0.6:
        rows.append(_row(rng, now, next(picks), student_id, RelationStatus.ACTIVE))
    for _ in range(rng.choice([0, 0, 1, 1, 2])):
        rows.append(_row(rng, now, next(picks), student_id, RelationStatus.PENDING, Initiator.STUDENT))
    for _ in range(rng.choice([0, 1, 1, 2, 3])):
        rows.append(_row(rng, now, next(picks), student_id, rng.choice(_CLOSED)))
    return rows


def _insert(rows: list[_Row], now: datetime) -> int:
    relations = Relation.objects.bulk_create(
        Relation(
            tutor_id=r.tutor_id, student_id=r.student_id, invited_email=r.invited_email, status=r.status,
            initiated_by=r.initiated_by, message=r.message, created_at=r.created_at, updated_at=r.changed_at,
            last_sent_at=r.created_at,
            expires_at=r.created_at + timedelta(days=PENDING_DAYS) if r.status == RelationStatus.PENDING else None,
        )
        for r in rows
    )
    logs = []
    for relation, r in zip(relations, rows, strict=True):
        sender = r.student_id if r.initiated_by == Initiator.STUDENT else r.tutor_id
        receiver = r.tutor_id if r.initiated_by == Initiator.STUDENT else r.student_id
        logs.append(RelationStatusLog(
            relation_id=relation.pk, tutor_id=r.tutor_id, prev_status="", new_status=RelationStatus.PENDING,
            actor_id=sender, timestamp=r.created_at,
            metadata={"reason": "requested" if r.initiated_by == Initiator.STUDENT else "invited", "demo": True},
        ))
        if r.status == RelationStatus.PENDING:
            continue
        if r.status == RelationStatus.ACTIVE:
            path = [(RelationStatus.PENDING, RelationStatus.ACTIVE, receiver, "accepted")]
        elif r.status == RelationStatus.CANCELLED:
            path = [(RelationStatus.PENDING, RelationStatus.CANCELLED, sender, "cancelled")]
        elif r.status == RelationStatus.EXPIRED:
            path = [(RelationStatus.PENDING, RelationStatus.EXPIRED, None, "expired")]
        else:  # archived: declined, or accepted and later ended
            if (r.tutor_id + (r.student_id or 0)) % 2:
                path = [(RelationStatus.PENDING, RelationStatus.ARCHIVED, receiver, "declined")]
            else:
                path = [(RelationStatus.PENDING, RelationStatus.ACTIVE, receiver, "accepted"),
                        (RelationStatus.ACTIVE, RelationStatus.ARCHIVED, r.student_id, "ended")]
        for step, (prev, new, actor, reason) in enumerate(path):
            stamp = r.changed_at if step == len(path) - 1 else r.created_at + (r.changed_at - r.created_at) / 2
            logs.append(RelationStatusLog(
                relation_id=relation.pk, tutor_id=r.tutor_id, prev_status=prev, new_status=new, actor_id=actor,
                timestamp=stamp, metadata={"reason": reason, "demo": True},
            ))
    RelationStatusLog.objects.bulk_create(logs, batch_size=2000)
    return len(relations)


def log_unlogged_relations() -> int:
    """An audit row for every relation that has none: the lessons and reviews seeds create
    the relations their demo lessons need directly, and each relation's history must start
    somewhere. One statement; returns how many rows it wrote."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            INSERT INTO {RelationStatusLog._meta.db_table}
                   (relation_id, tutor_id, prev_status, new_status, actor_id, timestamp, metadata)
            SELECT r.id, r.tutor_id, '', r.status, NULL, r.updated_at, '{{"reason": "demo", "demo": true}}'::jsonb
              FROM {Relation._meta.db_table} r
             WHERE NOT EXISTS (SELECT 1 FROM {RelationStatusLog._meta.db_table} l WHERE l.relation_id = r.id)
            """
        )
        return cursor.rowcount


def recount_active_students() -> None:
    """Every tutor's `active_students` from the relations, in one statement (versions bumped
    where the count changed; the rebuild that follows indexes them)."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            UPDATE {TutorProfile._meta.db_table} AS p
               SET active_students = c.n, version = p.version + 1
              FROM (SELECT pr.user_id, COUNT(r.id) AS n
                      FROM {TutorProfile._meta.db_table} pr
                      LEFT JOIN {Relation._meta.db_table} r ON r.tutor_id = pr.user_id AND r.status = %s
                     GROUP BY pr.user_id) AS c
             WHERE p.user_id = c.user_id AND p.active_students <> c.n
            """,
            [RelationStatus.ACTIVE],
        )


def seed_relations(*, tutor: User, student: User, seed: int) -> int:
    """Create the demo relations that do not exist yet; returns how many were created."""
    rng = random.Random(f"{seed}:relations")
    now = timezone.now()
    tutors = sorted(
        TutorProfile.objects.filter(user__role=Role.TUTOR, public_profile_enabled=True, hourly_rate__gt=0)
        .exclude(headline="").exclude(user=tutor).values_list("user_id", flat=True)
    )
    students = sorted(
        User.objects.filter(role=Role.STUDENT, email__startswith="student", email__endswith="@example.com")
        .exclude(pk=student.pk).values_list("pk", flat=True)
    )
    if not tutors:
        return 0
    rows: list[_Row] = []
    with_relations = set(Relation.objects.filter(student_id__in=students).values_list("student_id", flat=True))
    demo_done = Relation.objects.filter(tutor=tutor).exists()
    demo_students: set[int] = set()
    if not demo_done:
        demo = _demo_rows(rng, now, tutor, student, tutors, [s for s in students if s not in with_relations])
        demo_students = {r.student_id for r in demo if r.student_id}
        rows.extend(demo)
    for student_id in students:
        if student_id in with_relations or student_id in demo_students:
            continue
        rows.extend(_student_rows(random.Random(f"{seed}:relations:{student_id}"), now, student_id, tutors))
    if not rows:
        return 0
    with transaction.atomic():
        created = _insert(rows, now)
        recount_active_students()
    return created
