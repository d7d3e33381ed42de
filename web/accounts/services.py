"""Writes of the accounts domain."""

from __future__ import annotations

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from web.accounts.models import Role, User
from web.accounts.signin_limits import signin_check
from web.activity.events import activity_log
from web.core.context import request_context
from web.core.errors import InvalidInput, RateLimited
from web.core.ratelimit import Rate, rate_limit_hit
from web.profiles.services import tutor_profile_create

REGISTER_ADDRESS_SCOPE = "auth.register.address"
REGISTER_ADDRESS_RATES = (Rate(20, 3600),)
EMAIL_TAKEN = "A user with this email already exists."


def _address(address: str | None) -> str:
    """The client address to count: as given, else the current request's, else "unknown"
    (a caller outside any request, e.g. a script, shares one budget)."""
    if address is not None:
        return address
    context = request_context()
    return context.client_address if context is not None else "unknown"


def user_register(
    *,
    email: str,
    password: str,
    full_name: str,
    role: str,
    timezone: str = "UTC",
    language: str = "en",
) -> User:
    """Create a student or tutor account.

    Raises InvalidInput naming the field for a taken email or a weak password.
    """
    email = User.objects.normalize_email(email).lower()
    if role not in (Role.STUDENT, Role.TUTOR):
        raise InvalidInput(fields={"role": ["Only student or tutor accounts can be registered."]})
    candidate = User(email=email, full_name=full_name, role=role, timezone=timezone, language=language)
    try:
        validate_password(password, user=candidate)
    except ValidationError as exc:
        raise InvalidInput(fields={"password": exc.messages}) from None
    if User.objects.filter(email__iexact=email).exists():
        raise InvalidInput(fields={"email": [EMAIL_TAKEN]})
    candidate.set_password(password)
    try:
        with transaction.atomic():
            candidate.save()
            _on_registered(candidate)
    except IntegrityError:
        # Two registrations raced past the exists() check; the unique index decided.
        raise InvalidInput(fields={"email": [EMAIL_TAKEN]}) from None
    return candidate


def _on_registered(user: User) -> None:
    """Side effects of a new account that belong to the same transaction."""
    if user.role == Role.TUTOR:
        tutor_profile_create(user)
    activity_log(user, "user.registered", entity_type="user", entity_id=user.pk, metadata={"role": user.role})


def login_attempt(email: object, address: str | None = None) -> None:
    """Before a sign-in: raises RateLimited (429) past the sign-in limits
    (web/accounts/signin_limits.py); `signin_failed` counts a wrong password."""
    signin_check(email, address)


def registration_attempt(address: str | None = None) -> None:
    """Count a registration from `address` (default: the current request's client); raises
    RateLimited (429) over REGISTER_ADDRESS_RATES."""
    wait = rate_limit_hit(REGISTER_ADDRESS_SCOPE, _address(address), REGISTER_ADDRESS_RATES)
    if wait is not None:
        raise RateLimited(wait, "Too many registrations from this address, retry later.")
