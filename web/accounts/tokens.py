"""The tokens of account mails: email verification and password reset.

Verification: a signed (django.core.signing) value naming the account and the address it
confirms, valid for settings.EMAIL_VERIFICATION_MAX_AGE; a token for an address the
account no longer has confirms nothing. Password reset: Django's token generator, which
hashes the password and the last sign-in into the token, so a token works once (the new
password changes the hash) and for settings.PASSWORD_RESET_TIMEOUT.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.core import signing
from django.utils.encoding import force_bytes, force_str
from django.utils.http import urlsafe_base64_decode, urlsafe_base64_encode

VERIFY_SALT = "accounts.verify-email"
TOKEN_MAX = 512

password_reset_tokens = PasswordResetTokenGenerator()


@dataclass(frozen=True)
class EmailClaim:
    user_id: int
    email: str


def email_verification_token(user_id: int, email: str) -> str:
    return signing.dumps({"u": user_id, "e": email}, salt=VERIFY_SALT, compress=True)


def email_verification_claim(token: str) -> EmailClaim | None:
    """The account and address a verification token names; None when it was tampered
    with or is older than settings.EMAIL_VERIFICATION_MAX_AGE."""
    if not isinstance(token, str) or len(token) > TOKEN_MAX:
        return None
    try:
        value = signing.loads(token, salt=VERIFY_SALT, max_age=settings.EMAIL_VERIFICATION_MAX_AGE)
    except signing.BadSignature:  # SignatureExpired included
        return None
    if not isinstance(value, dict) or not isinstance(value.get("u"), int) or not isinstance(value.get("e"), str):
        return None
    return EmailClaim(user_id=value["u"], email=value["e"])


def encode_uid(user_id: int) -> str:
    return urlsafe_base64_encode(force_bytes(user_id))


def decode_uid(uid: str) -> int | None:
    try:
        text = force_str(urlsafe_base64_decode(uid))
    except (ValueError, TypeError):
        return None
    return int(text) if text.isdigit() and len(text) < 19 else None


def link(path: str, **params: str) -> str:
    """An absolute link under settings.SITE_URL."""
    return f"{settings.SITE_URL}{path}?{urlencode(params)}"
