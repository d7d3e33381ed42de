"""factory_boy factories and the fixtures built on them."""

from __future__ import annotations

import factory
import pytest

from web.accounts.models import Role, User

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
