"""Demo data for a fresh local stack. Idempotent: running it twice creates nothing twice.

Tutors get realistic Ukrainian, Polish and English names, headlines and bios (from
`web.demo.vocabulary`) so that search demos mean something, varied subjects, rates,
experience, languages, certifications, availability and privacy settings. Every
generated person has a deterministic email and attributes derived from (seed, number)
alone, so a re-run skips existing people without shifting the data of the others.
Rows are created in batches with bulk_create and one precomputed password hash; bulk
creation bypasses the profile services, so the index is rebuilt from the database at
the end.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import time, timedelta
from typing import Any

from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import timezone
from opensearchpy.exceptions import OpenSearchException

from indexer.locks import LockBusyError
from indexer.rebuild import rebuild
from search.breaker import SearchUnavailable
from search.query import TutorQuery
from search.tutors import tutor_search
from web.accounts.models import Role, User
from web.activity.models import ActivityLog
from web.demo import vocabulary
from web.demo.lessons import seed_lessons
from web.demo.relations import log_unlogged_relations, recount_active_students, seed_relations
from web.demo.reviews import create_demo_reviews, demo_lesson_for_review
from web.profiles.models import AvailabilitySlot, Subject, TutorProfile

log = logging.getLogger("mash.demo")

DEMO_PASSWORD = "demo-password-2026"
ADMIN_EMAIL = "admin@example.com"
DEMO_TUTOR_EMAIL = "tutor@example.com"
DEMO_STUDENT_EMAIL = "student@example.com"
DEFAULT_TUTORS = 3000
DEFAULT_STUDENTS = 200
DEFAULT_SEED = 2026
BATCH_SIZE = 1000
DEMO_EVENTS = 50


def tutor_email(number: int) -> str:
    return f"tutor{number}@example.com"


def student_email(number: int) -> str:
    return f"student{number}@example.com"


@dataclass
class SeedReport:
    users_created: int = 0
    tutors_created: int = 0
    students_created: int = 0
    slots_created: int = 0
    events_created: int = 0
    relations_created: int = 0
    lessons_created: int = 0
    reviews_created: int = 0
    index: dict[str, Any] = field(default_factory=dict)
    demo_search: dict[str, Any] = field(default_factory=dict)


# --- one person, deterministic -----------------------------------------------------------


def _rng(seed: int, kind: str, number: int) -> random.Random:
    return random.Random(f"{seed}:{kind}:{number}")


def _name(rng: random.Random, nationality: str) -> str:
    first, last = {
        "uk": (vocabulary.UK_FIRST, vocabulary.UK_LAST),
        "pl": (vocabulary.PL_FIRST, vocabulary.PL_LAST),
        "en": (vocabulary.EN_FIRST, vocabulary.EN_LAST),
    }[nationality]
    return f"{rng.choice(first)} {rng.choice(last)}"


def tutor_attributes(seed: int, number: int, subjects: list[str]) -> dict[str, Any]:
    """Everything about generated tutor `number`, from (seed, number) alone."""
    rng = _rng(seed, "tutor", number)
    nationality = rng.choices(["uk", "pl", "en"], weights=[55, 30, 15])[0]
    city = rng.choice(vocabulary.CITIES[nationality])
    chosen = rng.sample(subjects, k=rng.choices([1, 2, 3], weights=[55, 35, 10])[0])
    years = None if rng.random() < 0.04 else rng.randint(0, 30)
    languages = [nationality]
    for extra in ("en", "uk", "pl", "de"):
        if extra != nationality and rng.random() < (0.45 if extra == "en" else 0.15):
            languages.append(extra)
    for slug in chosen:
        code = vocabulary.SUBJECT_LANGUAGE.get(slug)
        if code and code not in languages:
            languages.append(code)
    headlines = vocabulary.HEADLINES.get(chosen[0], vocabulary.HEADLINES["math"])
    headline = rng.choice(headlines[nationality]).format(city=city)
    bio = " ".join(rng.sample(vocabulary.BIOS[nationality], k=2)).format(years=years or 1, city=city)
    return {
        "full_name": _name(rng, nationality),
        "timezone": vocabulary.TIMEZONES[nationality],
        "language": nationality,
        "profile": {
            "headline": headline[:120],
            "bio": bio,
            "subjects": chosen,
            "certifications": rng.sample(vocabulary.CERTIFICATIONS, k=rng.randint(1, 2)) if rng.random() < 0.4 else [],
            "languages": languages,
            "hourly_rate": rng.randrange(150, 1500, 10),
            "experience_years": years,
            "avatar_url": f"https://cdn.example.com/avatars/{number % 500}.jpg" if rng.random() < 0.8 else "",
            "timezone": vocabulary.TIMEZONES[nationality],
            "public_profile_enabled": rng.random() >= 0.05,
            "show_email_publicly": rng.random() < 0.1,
            "show_avatar_publicly": rng.random() >= 0.05,
            "show_certifications_publicly": rng.random() >= 0.05,
            "show_subjects_publicly": rng.random() >= 0.03,
            "show_bio_publicly": rng.random() >= 0.1,
        },
        "slots": [
            (weekday, hour, hour + rng.randint(1, 3))
            for weekday in sorted(rng.sample(range(7), k=rng.randint(0, 5)))
            for hour in [rng.randint(8, 19)]
        ],
    }


# --- bulk creation -----------------------------------------------------------------------


def _chunks(start: int, stop: int, size: int) -> Iterator[range]:
    for low in range(start, stop, size):
        yield range(low, min(low + size, stop))


def _new_numbers(numbers: range, email_of: Callable[[int], str]) -> list[int]:
    emails = [email_of(n) for n in numbers]
    existing = set(User.objects.filter(email__in=emails).values_list("email", flat=True))
    return [n for n in numbers if email_of(n) not in existing]


def _create_tutors(count: int, seed: int, password_hash: str, report: SeedReport) -> None:
    subjects = (
        list(Subject.objects.filter(is_active=True).values_list("slug", flat=True)) or vocabulary.FALLBACK_SUBJECTS
    )
    for numbers in _chunks(1, count + 1, BATCH_SIZE):
        todo = _new_numbers(numbers, tutor_email)
        if not todo:
            continue
        people = {n: tutor_attributes(seed, n, subjects) for n in todo}
        with transaction.atomic():
            users = User.objects.bulk_create(
                [
                    User(email=tutor_email(n), full_name=p["full_name"], role=Role.TUTOR, timezone=p["timezone"],
                         language=p["language"], password=password_hash, email_verified_at=timezone.now())
                    for n, p in people.items()
                ]
            )
            TutorProfile.objects.bulk_create(
                [TutorProfile(user_id=user.pk, **people[n]["profile"]) for n, user in zip(todo, users, strict=True)]
            )
            slots = AvailabilitySlot.objects.bulk_create(
                [
                    AvailabilitySlot(profile_id=user.pk, weekday=day, start=time(start), end=time(end))
                    for n, user in zip(todo, users, strict=True)
                    for day, start, end in people[n]["slots"]
                ]
            )
        report.tutors_created += len(users)
        report.users_created += len(users)
        report.slots_created += len(slots)
        log.info("demo tutors created", extra={"up_to": numbers[-1], "tutors_created": report.tutors_created})


def _create_students(count: int, seed: int, password_hash: str, report: SeedReport) -> None:
    for numbers in _chunks(1, count + 1, BATCH_SIZE):
        todo = _new_numbers(numbers, student_email)
        users = []
        for n in todo:
            rng = _rng(seed, "student", n)
            nationality = rng.choice(["uk", "pl", "en"])
            users.append(
                User(email=student_email(n), full_name=_name(rng, nationality), role=Role.STUDENT,
                     timezone=vocabulary.TIMEZONES[nationality], language=nationality, password=password_hash,
                     email_verified_at=timezone.now())
            )
        User.objects.bulk_create(users)
        report.students_created += len(users)
        report.users_created += len(users)


def _account(email: str, full_name: str, role: str, password_hash: str, report: SeedReport, **extra: Any) -> User:
    user = User.objects.filter(email=email).first()
    if user is None:
        user = User(email=email, full_name=full_name, role=role, password=password_hash,
                    email_verified_at=timezone.now(), **extra)
        if role == Role.ADMIN:
            user.is_staff = user.is_superuser = True
        user.save()
        report.users_created += 1
    return user


def _demo_tutor_profile(user: User) -> None:
    profile, created = TutorProfile.objects.get_or_create(
        user=user,
        defaults={
            "headline": "Matematyka i fizyka — matura, Łódź i online",
            "bio": "Uczę od 9 lat. Готую також до НМТ українською. Maths and physics in English too.",
            "subjects": ["math", "physics"],
            "certifications": ["Certyfikat CKE egzaminatora"],
            "languages": ["pl", "uk", "en"],
            "hourly_rate": 420,
            "experience_years": 9,
            "timezone": "Europe/Warsaw",
        },
    )
    if created:
        AvailabilitySlot.objects.bulk_create(
            [AvailabilitySlot(profile=profile, weekday=d, start=time(16), end=time(19)) for d in (0, 2, 4)]
        )


# (action, entity type, metadata from (rng, the demo tutor's id)), as live events have them.
_EVENT_TEMPLATES: list[tuple[str, str, Callable[[random.Random, int], dict[str, Any]]]] = [
    ("marketplace.search", "marketplace", lambda rng, _: {
        "query": rng.choice(["математика", "matematyka", "IELTS", "physics", "фортепіано"]), "filters": {},
        "result_count": rng.randint(0, 400), "duration_ms": rng.randint(8, 90), "status_code": 200}),
    ("marketplace.filter.applied", "marketplace", lambda rng, _: {"query": None, "filters": {
        "subject": rng.choice(["math", "english", "physics"]), "price_max": rng.choice([400, 600, 800])},
        "result_count": rng.randint(20, 900), "duration_ms": rng.randint(5, 60), "status_code": 200}),
    ("marketplace.sort.changed", "marketplace", lambda rng, _: {
        "query": None, "filters": {}, "ordering": rng.choice(["price", "-price", "rating"]),
        "result_count": rng.randint(900, 3000), "duration_ms": rng.randint(5, 60), "status_code": 200}),
    ("profile.viewed", "tutor_profile", lambda rng, tutor_id: {
        "query": None, "filters": {"tutor_id": tutor_id}, "result_count": 1,
        "duration_ms": rng.randint(3, 30), "status_code": 200}),
    ("ui.click", "profile", lambda rng, _: {"button": rng.choice(["save", "preview", "contact"])}),
]


def _create_events(student: User, tutor: User, seed: int, report: SeedReport) -> None:
    if ActivityLog.objects.filter(user__in=[student, tutor], metadata__demo=True).exists():
        return
    rng = _rng(seed, "events", 0)
    now = timezone.now()
    rows = []
    for n in range(DEMO_EVENTS):
        action, entity_type, meta = _EVENT_TEMPLATES[n % len(_EVENT_TEMPLATES)]
        rows.append(
            ActivityLog(
                user=student if n % 4 else tutor,
                action=action,
                entity_type=entity_type,
                entity_id=str(tutor.pk) if action == "profile.viewed" else None,
                metadata={**meta(rng, tutor.pk), "demo": True},
                timestamp=now - timedelta(minutes=7 * (DEMO_EVENTS - n)),
                duration_ms=rng.randint(3, 90),
                status_code=200,
            )
        )
    ActivityLog.objects.bulk_create(rows)
    report.events_created = len(rows)


def _index_and_demo_search(report: SeedReport, rebuild_index: bool) -> None:
    """Make the index agree with the database, then run a demo search through it."""
    try:
        if rebuild_index:
            result = rebuild()
            report.index = {"index": result.index, "documents": result.documents, "swapped": result.swapped,
                            "seconds": result.seconds, "reason": result.reason}
        page = tutor_search(TutorQuery(search="математика", price_max=600), page_size=5)
        report.demo_search = {
            "query": "search=математика&price_max=600",
            "top": [f"{r['full_name']} — {r['headline']} ({r['hourly_rate']})" for r in page.results],
        }
    except (SearchUnavailable, OpenSearchException, LockBusyError, OSError) as exc:
        # The database is seeded either way; `search_index ensure` builds the index later
        # (engine down, or a rebuild already running).
        log.warning("demo index not built", extra={"error": str(exc)})
        report.index = {"error": str(exc)}


def seed_demo(
    *,
    tutors: int = DEFAULT_TUTORS,
    students: int = DEFAULT_STUDENTS,
    seed: int = DEFAULT_SEED,
    index: bool = True,
) -> SeedReport:
    """Create the demo accounts, `tutors` generated tutors, `students` students, 50
    activity events and the demo reviews (on completed lessons), whichever do not exist
    yet; then rebuild the index (if anything was created) and run a demo search."""
    report = SeedReport()
    # One hash for everyone: hashing per user would take minutes at 100k users.
    password_hash = make_password(DEMO_PASSWORD)
    with transaction.atomic():
        _account(ADMIN_EMAIL, "Demo Admin", Role.ADMIN, password_hash, report)
        student = _account(DEMO_STUDENT_EMAIL, "Demo Student", Role.STUDENT, password_hash, report,
                           timezone="Europe/Kyiv", language="uk")
        tutor = _account(DEMO_TUTOR_EMAIL, "Demo Tutor", Role.TUTOR, password_hash, report,
                         timezone="Europe/Warsaw", language="pl")
        _demo_tutor_profile(tutor)
    _create_tutors(tutors, seed, password_hash, report)
    _create_students(students, seed, password_hash, report)
    _create_events(student, tutor, seed, report)
    report.relations_created = seed_relations(tutor=tutor, student=student, seed=seed)
    report.lessons_created = seed_lessons(
        demo_tutor=tutor, demo_student=student,
        tutor_emails=[tutor_email(n) for n in range(1, min(tutors, students) + 1)],
        student_emails=[student_email(n) for n in range(1, min(tutors, students) + 1)],
    )
    # Ratings come from reviews on completed lessons, never from made-up numbers.
    report.reviews_created = create_demo_reviews(
        seed=seed,
        tutor_emails={n: tutor_email(n) for n in range(1, tutors + 1)},
        student_emails={n: student_email(n) for n in range(1, students + 1)},
        demo_tutor=tutor,
    )
    demo_lesson_for_review(student, tutor)
    # Lessons and reviews add the relations they need directly: give each its first audit
    # row and count the active ones once.
    log_unlogged_relations()
    recount_active_students()
    if index:
        changed = report.users_created or report.relations_created or report.reviews_created
        _index_and_demo_search(report, rebuild_index=changed > 0)
    return report


def marketplace_is_empty() -> bool:
    """No tutor profiles yet. Users alone do not count: accounts registered (or a seed
    interrupted) before the first demo load must not leave the marketplace empty for good."""
    return not TutorProfile.objects.exists()
