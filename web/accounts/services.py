"""Writes of the accounts domain: registration, sign-in limits, self-service (name, time
zone, language, email, password), email verification, password reset, sign-out."""

from __future__ import annotations

import hashlib
import logging
import secrets
from typing import Any

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.settings import api_settings as jwt_settings
from rest_framework_simplejwt.tokens import RefreshToken

from web.accounts import erasure, tokens
from web.accounts.models import Role, User
from web.accounts.signin_limits import signin_check
from web.activity.events import activity_log
from web.core.context import request_context
from web.core.errors import InvalidInput, RateLimited
from web.core.ratelimit import Rate, rate_limit_hit
from web.mail.services import mail_to_user
from web.profiles.services import tutor_account_update, tutor_profile_create
from web.relations.services import relation_invitations_attach

log = logging.getLogger("mash.accounts")

REGISTER_ADDRESS_SCOPE = "auth.register.address"
REGISTER_ADDRESS_RATES = (Rate(20, 3600),)
# Password reset requests: per address (many emails tried from one client) and per email
# (one inbox flooded from many clients).
RESET_ADDRESS_SCOPE = "auth.reset.address"
RESET_ADDRESS_RATES = (Rate(10, 600), Rate(30, 3600))
RESET_EMAIL_SCOPE = "auth.reset.email"
RESET_EMAIL_RATES = (Rate(3, 600), Rate(5, 3600))
# Verification link tries per address: a token is unguessable, this only bounds the work.
VERIFY_ADDRESS_SCOPE = "auth.verify.address"
VERIFY_ADDRESS_RATES = (Rate(30, 600),)

EMAIL_TAKEN = _("A user with this email already exists.")
WRONG_PASSWORD = _("The password is not correct.")
BAD_VERIFY_TOKEN = _("This verification link is invalid or has expired.")
BAD_RESET_TOKEN = _("This password reset link is invalid, expired or already used.")
BAD_REFRESH_TOKEN = _("Token is invalid or expired.")
ENTITY = "user"


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
        raise InvalidInput(fields={"role": [str(_("Only student or tutor accounts can be registered."))]})
    candidate = User(email=email, full_name=full_name, role=role, timezone=timezone, language=language)
    try:
        validate_password(password, user=candidate)
    except ValidationError as exc:
        raise InvalidInput(fields={"password": exc.messages}) from None
    if User.objects.filter(email__iexact=email).exists():
        raise InvalidInput(fields={"email": [str(EMAIL_TAKEN)]})
    candidate.set_password(password)
    try:
        with transaction.atomic():
            candidate.save()
            _on_registered(candidate)
    except IntegrityError:
        # Two registrations raced past the exists() check; the unique index decided.
        raise InvalidInput(fields={"email": [str(EMAIL_TAKEN)]}) from None
    return candidate


def _on_registered(user: User) -> None:
    """Side effects of a new account that belong to the same transaction."""
    if user.role == Role.TUTOR:
        tutor_profile_create(user)
    activity_log(user, "user.registered", entity_type="user", entity_id=user.pk, metadata={"role": user.role})
    send_email_verification(user)


def login_attempt(email: object, address: str | None = None) -> None:
    """Before a sign-in: raises RateLimited (429) past the sign-in limits
    (web/accounts/signin_limits.py); `signin_failed` counts a wrong password."""
    signin_check(email, address)


def registration_attempt(address: str | None = None) -> None:
    """Count a registration from `address` (default: the current request's client); raises
    RateLimited (429) over REGISTER_ADDRESS_RATES."""
    wait = rate_limit_hit(REGISTER_ADDRESS_SCOPE, _address(address), REGISTER_ADDRESS_RATES)
    if wait is not None:
        raise RateLimited(wait, _("Too many registrations from this address, retry later."))


# --- email verification -------------------------------------------------------------


def send_email_verification(user: User) -> None:
    """Mail a verification link for the user's current address (inside the caller's
    transaction: the mail goes only if the change commits)."""
    token = tokens.email_verification_token(user.pk, user.email)
    mail_to_user(
        user,
        "verify_email",
        # One mail per link: a new address or a new request gets its own.
        key=f"account.verify_email:{user.pk}:{hashlib.sha256(token.encode()).hexdigest()[:32]}",
        context={
            "full_name": user.full_name,
            "email": user.email,
            "link": tokens.link("/verify-email", token=token),
            "valid_hours": settings.EMAIL_VERIFICATION_MAX_AGE // 3600,
        },
    )


def verification_attempt(address: str | None = None) -> None:
    wait = rate_limit_hit(VERIFY_ADDRESS_SCOPE, _address(address), VERIFY_ADDRESS_RATES)
    if wait is not None:
        raise RateLimited(wait, _("Too many verification attempts from this address, retry later."))


@transaction.atomic
def email_verify(*, token: str) -> User:
    """Confirm the address a verification token names. Idempotent for a confirmed
    address; a token for an address the account no longer has, a deleted account, a
    tampered or expired token: InvalidInput naming `token`. A tutor who becomes verified
    enters the marketplace (version bump and reindex through the profiles app)."""
    claim = tokens.email_verification_claim(token)
    user = (
        User.objects.select_for_update().filter(pk=claim.user_id, is_active=True, deleted_at__isnull=True).first()
        if claim is not None
        else None
    )
    if claim is None or user is None or user.email != claim.email:
        raise InvalidInput(fields={"token": [str(BAD_VERIFY_TOKEN)]})
    if user.email_verified_at is not None:
        return user
    _mark_verified(user)
    return user


def _mark_verified(user: User) -> None:
    """The address is the account holder's: a tutor enters the marketplace, and the
    invitations that waited for the address become the student's. Only now, so nobody can
    take over an invitation by registering an address they do not own."""
    user.email_verified_at = timezone.now()
    tutor_account_update(user=user, save=lambda: user.save(update_fields=["email_verified_at"]))
    activity_log(user, "account.email_verified", entity_type=ENTITY, entity_id=user.pk)
    relation_invitations_attach(user)


@transaction.atomic
def email_verification_resend(*, user: User) -> bool:
    """Send the verification mail again; False (nothing sent) for a confirmed address."""
    if user.email_verified_at is not None:
        return False
    send_email_verification(user)
    activity_log(user, "account.verification_sent", entity_type=ENTITY, entity_id=user.pk)
    return True


# --- self-service -------------------------------------------------------------------


def _check_password(user: User, password: str, field: str) -> None:
    if not user.check_password(password):
        raise InvalidInput(fields={field: [str(WRONG_PASSWORD)]})


@transaction.atomic
def user_update(
    *,
    user: User,
    full_name: str | None = None,
    timezone_name: str | None = None,
    language: str | None = None,
    email: str | None = None,
    current_password: str | None = None,
) -> User:
    """Change the caller's name, time zone, language or email (validated by the view).

    A new email needs the current password, must be free (400 naming `email`) and is
    unconfirmed until its verification link is opened: a tutor leaves the marketplace
    meanwhile. Records `account.updated` with the changed field names (never values).
    """
    user = User.objects.select_for_update().get(pk=user.pk)
    changes: dict[str, Any] = {}
    if full_name is not None and full_name != user.full_name:
        changes["full_name"] = full_name
    if timezone_name is not None and timezone_name != user.timezone:
        changes["timezone"] = timezone_name
    if language is not None and language != user.language:
        changes["language"] = language
    if email is not None:
        email = User.objects.normalize_email(email).lower()
        if email != user.email:
            _check_password(user, current_password or "", "current_password")
            if User.objects.filter(email__iexact=email).exclude(pk=user.pk).exists():
                raise InvalidInput(fields={"email": [str(EMAIL_TAKEN)]})
            changes["email"] = email
            changes["email_verified_at"] = None
    if not changes:
        return user
    for name, value in changes.items():
        setattr(user, name, value)

    def save() -> None:
        try:
            with transaction.atomic():
                user.save(update_fields=list(changes))
        except IntegrityError:  # the address was taken meanwhile; the unique index decided
            raise InvalidInput(fields={"email": [str(EMAIL_TAKEN)]}) from None

    tutor_account_update(user=user, save=save)
    if "email" in changes:
        send_email_verification(user)
    activity_log(
        user, "account.updated", entity_type=ENTITY, entity_id=user.pk,
        metadata={"fields": sorted(name for name in changes if name != "email_verified_at")},
    )
    return user


@transaction.atomic
def password_change(*, user: User, current_password: str, new_password: str) -> User:
    """Set a new password. Every session signed in before ends (tokens carry a digest of
    the password hash); the caller gets a fresh pair from the view."""
    user = User.objects.select_for_update().get(pk=user.pk)
    _check_password(user, current_password, "current_password")
    _set_password(user, new_password)
    activity_log(user, "account.password_changed", entity_type=ENTITY, entity_id=user.pk)
    return user


def _set_password(user: User, new_password: str) -> None:
    try:
        validate_password(new_password, user=user)
    except ValidationError as exc:
        raise InvalidInput(fields={"new_password": exc.messages}) from None
    user.set_password(new_password)
    user.save(update_fields=["password"])


def token_pair(user: User) -> dict[str, str]:
    refresh = RefreshToken.for_user(user)
    return {"access": str(refresh.access_token), "refresh": str(refresh)}


def logout(*, refresh: str) -> None:
    """Sign out: the refresh token is blacklisted, so it cannot mint access tokens any
    more (its access tokens run out within JWT_ACCESS_MINUTES). An invalid, expired or
    already revoked token: InvalidInput naming `refresh`."""
    try:
        token = RefreshToken(refresh)  # type: ignore[arg-type]
        token.blacklist()
    except TokenError:
        raise InvalidInput(fields={"refresh": [str(BAD_REFRESH_TOKEN)]}) from None
    claim = str(token.payload.get(jwt_settings.USER_ID_CLAIM, ""))
    user = User.objects.filter(pk=int(claim)).first() if claim.isdigit() and len(claim) < 19 else None
    activity_log(user, "account.logged_out", entity_type=ENTITY, entity_id=user.pk if user else None)


# --- password reset ------------------------------------------------------------------


def password_reset_attempt(email: str, address: str | None = None) -> None:
    """Count a reset request per client address and per email; RateLimited (429) over them."""
    wait = rate_limit_hit(RESET_ADDRESS_SCOPE, _address(address), RESET_ADDRESS_RATES)
    if wait is None:
        wait = rate_limit_hit(RESET_EMAIL_SCOPE, email.strip().lower(), RESET_EMAIL_RATES)
    if wait is not None:
        raise RateLimited(wait, _("Too many password reset requests, retry later."))


def password_reset_request(email: str) -> None:
    """Hand the reset request to a worker, so the answer takes as long for an unknown
    address as for an account (looking the account up and mailing it happen later).
    With the broker down it runs here instead: the mail matters more than the timing."""
    # The task module imports this one; imported here to keep the two in one direction.
    from web.accounts.tasks import password_reset_mail_task

    # Names this request: a task delivered twice (a worker lost mid-task) mails once.
    request_key = secrets.token_hex(16)
    try:
        password_reset_mail_task.apply_async(args=[email, request_key])
    except Exception as exc:  # any broker failure
        log.warning("password reset task not enqueued, mailing inline", extra={"error": str(exc)})
        password_reset_mail(email, request_key)


@transaction.atomic
def password_reset_mail(email: str, request_key: str | None = None) -> bool:
    """Mail a reset link if an active account has this email; True if one was mailed.
    Without an account it records nothing. Runs in a worker (`password_reset_request`),
    so how long it takes is not part of the answer."""
    email = User.objects.normalize_email(email).lower()
    user = User.objects.filter(email=email, is_active=True, deleted_at__isnull=True).first()
    if user is None:
        return False
    token = tokens.password_reset_tokens.make_token(user)
    uid = tokens.encode_uid(user.pk)
    mail_to_user(
        user,
        "password_reset",
        key=f"account.password_reset:{user.pk}:{request_key or token}",
        context={
            "full_name": user.full_name,
            "email": user.email,
            "link": tokens.link("/reset-password", uid=uid, token=token),
            "valid_minutes": settings.PASSWORD_RESET_TIMEOUT // 60,
        },
    )
    activity_log(user, "account.password_reset_requested", entity_type=ENTITY, entity_id=user.pk)
    return True


@transaction.atomic
def password_reset_confirm(*, uid: str, token: str, new_password: str) -> User:
    """Set a new password with a reset link's uid and token. The token works once and for
    settings.PASSWORD_RESET_TIMEOUT; every session ends. InvalidInput naming `token`
    otherwise (the same for an unknown uid, so the link reveals no account)."""
    user_id = tokens.decode_uid(uid) if isinstance(uid, str) and len(uid) <= 32 else None
    user = (
        User.objects.select_for_update().filter(pk=user_id, is_active=True, deleted_at__isnull=True).first()
        if user_id is not None
        else None
    )
    if user is None or not tokens.password_reset_tokens.check_token(user, token):
        raise InvalidInput(fields={"token": [str(BAD_RESET_TOKEN)]})
    _set_password(user, new_password)
    # The link went to this address, so opening it confirms the address too.
    if user.email_verified_at is None:
        _mark_verified(user)
    activity_log(user, "account.password_reset", entity_type=ENTITY, entity_id=user.pk)
    return user


# --- deletion -------------------------------------------------------------------------


@transaction.atomic
def account_delete(*, user: User, password: str) -> None:
    """Delete the caller's account after confirming the password: every section of
    `web.accounts.erasure` runs in this one transaction, then the account row is
    anonymised and deactivated (every session ends). Records `account.deleted`."""
    user = User.objects.select_for_update().get(pk=user.pk)
    _check_password(user, password, "password")
    original_email = user.email
    for erase in erasure.ERASERS:
        erase(user, original_email)
    erasure.erase_account(user)
    activity_log(user, "account.deleted", entity_type=ENTITY, entity_id=user.pk, metadata={"role": user.role})
