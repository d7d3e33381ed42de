"""Shared set-up for benchmark scripts: embedded services in a scratch folder, Django, data."""

from __future__ import annotations

import os
import random
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def start_stack(name: str):
    """Start embedded services (unless URLs are set) and Django; returns the stack to stop."""
    # Imported here: the project root is put on sys.path when this module loads.
    from config.embedded import EmbeddedStack

    os.environ.setdefault("SECRET_KEY", "benchmark-only-secret-key-" + "x" * 30)
    os.environ.setdefault("LOG_LEVEL", "ERROR")
    os.environ.setdefault("OPENSEARCH_INDEX_PREFIX", "bench")
    data_dir = Path(os.environ.get("BENCH_DATA_DIR", tempfile.mkdtemp(prefix=f"mash-{name}-")))
    stack = EmbeddedStack(data_dir).start()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django  # imported here, like everything Django: settings load only after the stack is up

    django.setup()
    from django.core.management import call_command  # after django.setup()

    call_command("migrate", verbosity=0)
    return stack


FIRST = ["Olena", "Andrii", "Iryna", "Taras", "Kasia", "Piotr", "Anna", "John", "Maria", "Oleh", "Zofia", "Emma"]
LAST = ["Kovalenko", "Shevchenko", "Nowak", "Kowalski", "Bondarenko", "Smith", "Melnyk", "Wiśniewska", "Lewandowski"]
SUBJECTS = ["math", "physics", "chemistry", "biology", "english", "ukrainian", "polish", "german", "history",
            "geography", "computer-science", "music"]
LANGS = ["uk", "en", "pl", "de"]
WORDS = ["exam", "olympiad", "patient", "beginner", "advanced", "school", "university", "NMT", "IELTS", "conversation",
         "grammar", "algebra", "geometry", "programming", "piano", "essay", "homework", "experienced", "friendly"]


def ensure_tutors(count: int, seed: int = 7) -> int:
    """Grow the bench database to `count` listed tutors with bulk inserts; returns how many exist."""
    # Imported here: Django models and settings can load only after django.setup() in start_stack().
    from django.contrib.auth.hashers import make_password
    from django.utils import timezone

    from web.accounts.models import Role, User
    from web.profiles.models import AvailabilitySlot, TutorProfile

    have = TutorProfile.objects.count()
    rng = random.Random(seed + have)
    password = make_password("bench-password")
    batch = 2000
    while have < count:
        size = min(batch, count - have)
        users = User.objects.bulk_create(
            User(
                email=f"bench-tutor-{have + n}@example.com",
                full_name=f"{rng.choice(FIRST)} {rng.choice(LAST)}",
                role=Role.TUTOR,
                password=password,
                email_verified_at=timezone.now(),
            )
            for n in range(size)
        )
        profiles = TutorProfile.objects.bulk_create(
            TutorProfile(
                user=user,
                headline=" ".join(rng.sample(WORDS, 4)).capitalize() + " tutor",
                bio=" ".join(rng.choices(WORDS, k=40)),
                subjects=rng.sample(SUBJECTS, rng.randint(1, 3)),
                languages=rng.sample(LANGS, rng.randint(1, 2)),
                certifications=["Certificate " + rng.choice(WORDS)] if rng.random() < 0.4 else [],
                hourly_rate=rng.randrange(150, 1500, 10),
                experience_years=rng.randint(0, 30),
                rating=round(rng.uniform(3, 5), 2),
                reviews_count=rng.randint(0, 200),
            )
            for user in users
        )
        AvailabilitySlot.objects.bulk_create(
            AvailabilitySlot(profile=profile, weekday=rng.randint(0, 6), start="09:00", end="12:00")
            for profile in profiles
        )
        have += size
    return have


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    k = min(len(ordered) - 1, max(0, round(p / 100 * (len(ordered) - 1))))
    return ordered[k]
