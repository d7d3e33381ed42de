from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models
from django.utils import timezone as dj_timezone
from django.utils.translation import gettext_lazy as _

# What other people see in place of the name of an account that was deleted (its lessons
# and relations stay, for the other party).
DELETED_TUTOR = _("deleted tutor")
DELETED_STUDENT = _("deleted student")
DELETED_USER = _("deleted user")
# Languages the platform speaks (settings.LANGUAGES); a user's `language` is one of them.
ACCOUNT_LANGUAGES = ("uk", "en", "pl")


class Role(models.TextChoices):
    STUDENT = "student", "Student"
    TUTOR = "tutor", "Tutor"
    ADMIN = "admin", "Admin"


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def _create(self, email: str, password: str | None, **extra: Any) -> User:
        if not email:
            raise ValueError("email is required")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def get_by_natural_key(self, username: str | None) -> User:
        # Emails are stored lower-cased, so signing in as "Olena@Example.com" finds the account.
        return self.get(**{self.model.USERNAME_FIELD: (username or "").lower()})

    def create_user(self, email: str, password: str | None = None, **extra: Any) -> User:
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create(email, password, **extra)

    def create_superuser(self, email: str, password: str | None = None, **extra: Any) -> User:
        extra.update(is_staff=True, is_superuser=True, role=Role.ADMIN)
        return self._create(email, password, **extra)


class User(AbstractBaseUser, PermissionsMixin):
    """A person who logs in with an email address; the role decides what they can do."""

    # Stored lower-cased (see save), so uniqueness is case-insensitive.
    email = models.EmailField(max_length=254, unique=True)
    full_name = models.CharField(max_length=150)
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.STUDENT)
    timezone = models.CharField(max_length=64, default="UTC")
    language = models.CharField(max_length=2, default="en")
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField(default=False)
    date_joined = models.DateTimeField(default=dj_timezone.now)
    # When the current email address was confirmed; None until then (and again after an
    # email change). An unverified account works, but a tutor is listed only once verified.
    email_verified_at = models.DateTimeField(null=True, blank=True)
    # When the account was deleted: deactivated with its personal data erased.
    deleted_at = models.DateTimeField(null=True, blank=True)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["full_name"]

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.email = self.email.lower()
        super().save(*args, **kwargs)

    def __str__(self) -> str:
        return self.email

    @property
    def is_tutor(self) -> bool:
        return self.role == Role.TUTOR

    @property
    def email_verified(self) -> bool:
        return self.email_verified_at is not None

    @property
    def public_name(self) -> str:
        """The name other people see: the full name, or "deleted tutor" / "deleted student"
        (in the active language) once the account is deleted."""
        if self.deleted_at is None:
            return self.full_name
        if self.role == Role.TUTOR:
            return str(DELETED_TUTOR)
        return str(DELETED_STUDENT if self.role == Role.STUDENT else DELETED_USER)
