"""Demo data for a fresh local stack. Idempotent: running it twice creates nothing twice."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction

from web.accounts.models import Role, User

DEMO_PASSWORD = "demo-password-2026"
ADMIN_EMAIL = "admin@example.com"


@dataclass
class SeedReport:
    users_created: int = 0


def _user(email: str, full_name: str, role: str, report: SeedReport, **extra: str) -> User:
    user = User.objects.filter(email=email).first()
    if user is None:
        if role == Role.ADMIN:
            user = User.objects.create_superuser(email, DEMO_PASSWORD, full_name=full_name, **extra)
        else:
            user = User.objects.create_user(email, DEMO_PASSWORD, full_name=full_name, role=role, **extra)
        report.users_created += 1
    return user


@transaction.atomic
def seed_demo() -> SeedReport:
    """Create the demo accounts (admin, a student, a tutor) if they do not exist."""
    report = SeedReport()
    _user(ADMIN_EMAIL, "Demo Admin", Role.ADMIN, report)
    _user("student@example.com", "Demo Student", Role.STUDENT, report, timezone="Europe/Kyiv", language="uk")
    _user("tutor@example.com", "Demo Tutor", Role.TUTOR, report, timezone="Europe/Warsaw", language="pl")
    return report


def database_is_empty() -> bool:
    return not User.objects.exists()
