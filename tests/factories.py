"""factory_boy factories and the fixtures built on them."""

from __future__ import annotations

import factory
import pytest
from django.utils import timezone as dj_timezone

from web.accounts.models import Role, User
from web.profiles import ratings
from web.reviews.prior import reviews_prior_default

PASSWORD = "correct-horse-battery-staple"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@example.com")
    full_name = factory.Faker("name")
    role = Role.STUDENT
    timezone = "Europe/Kyiv"
    language = "uk"
    # Confirmed, as most accounts are; tests of verification pass email_verified_at=None.
    email_verified_at = factory.LazyFunction(dj_timezone.now)
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):  # noqa: N805 - factory_boy hook signature
        if create:
            obj.save()


class StudentFactory(UserFactory):
    role = Role.STUDENT


class TutorFactory(UserFactory):
    role = Role.TUTOR


@pytest.fixture
def student(db) -> User:
    return StudentFactory()


@pytest.fixture
def tutor_user(db) -> User:
    return TutorFactory()


class TutorProfileFactory(factory.django.DjangoModelFactory):
    """A listed tutor: active, public, with a headline, subjects and a rate."""

    class Meta:
        model = "profiles.TutorProfile"

    user = factory.SubFactory(TutorFactory)
    headline = factory.Sequence(lambda n: f"Experienced tutor number {n}")
    bio = "Patient lessons with clear explanations."
    subjects = factory.LazyFunction(lambda: ["math"])
    certifications = factory.LazyFunction(list)
    languages = factory.LazyFunction(lambda: ["uk", "en"])
    hourly_rate = 400
    experience_years = 5
    timezone = "Europe/Kyiv"
    # A tutor given a rating directly gets the aggregates reviews would have left:
    # the sum behind the mean and the Bayesian score the index ranks by.
    rating = 0
    reviews_count = 0
    rating_sum = factory.LazyAttribute(lambda p: round(float(p.rating) * p.reviews_count))
    rating_score = factory.LazyAttribute(
        lambda p: ratings.rating_score(p.rating_sum, p.reviews_count, reviews_prior_default())
    )


@pytest.fixture
def tutor(db):
    """A listed tutor profile (its user is `tutor.user`)."""
    return TutorProfileFactory()
