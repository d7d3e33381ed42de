"""Writes of the accounts domain."""

from __future__ import annotations

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from web.accounts.models import Role, User
from web.activity.events import activity_log
from web.core.context import request_context
from web.core.errors import InvalidInput, RateLimited
from web.core.ratelimit import Rate, rate_limit_hit
from web.profiles.services import tutor_profile_create
from web.relations.services import relation_invitations_attach

# Sign-in attempts per account (email), right or wrong: enough for a person who mistypes,
# too few to guess a password. Across all clients, so a botnet shares one budget.
LOGIN_SCOPE = "auth.login"
LOGIN_RATES = (Rate(10, 60), Rate(30, 3600))
# Per client address, so trying one password against many accounts (or many new ones,
# each costing a password hash) is limited too; generous enough for a school behind one
# address.
LOGIN_ADDRESS_SCOPE = "auth.login.address"
LOGIN_ADDRESS_RATES = (Rate(60, 60), Rate(600, 3600))
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
    relation_invitations_attach(user)


def login_attempt(email: object, address: str | None = None) -> None:
    """Count a sign-in attempt from `address` (default: the current request's client) for
    `email`; raises RateLimited (429) over LOGIN_ADDRESS_RATES or LOGIN_RATES.

    Anything that is not a plausible email counts for the address only; the credentials
    check refuses it.
    """
    wait = rate_limit_hit(LOGIN_ADDRESS_SCOPE, _address(address), LOGIN_ADDRESS_RATES)
    if wait is not None:
        raise RateLimited(wait, "Too many sign-in attempts from this address, retry later.")
    if not isinstance(email, str) or not email.strip() or len(email) > 254:
        return
    wait = rate_limit_hit(LOGIN_SCOPE, email.strip().lower(), LOGIN_RATES)
    if wait is not None:
        raise RateLimited(wait, "Too many sign-in attempts for this account, retry later.")


def registration_attempt(address: str | None = None) -> None:
    """Count a registration from `address` (default: the current request's client); raises
    RateLimited (429) over REGISTER_ADDRESS_RATES."""
    wait = rate_limit_hit(REGISTER_ADDRESS_SCOPE, _address(address), REGISTER_ADDRESS_RATES)
    if wait is not None:
        raise RateLimited(wait, "Too many registrations from this address, retry later.")
