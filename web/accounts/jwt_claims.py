"""JWT classes whose claims are checked before any code uses them.

simplejwt checks the signature and the expiry, then hands the claims on as the token
carried them: a `user_id` of "abc", a list or 2**70 reaches the user query, and an `exp`
of 1e20 overflows the date conversion. Only the holder of the signing key can make such
a token, yet the answer must still be a 401, not a 500. These classes refuse any token
whose claims are not what this service issues: the settings name them
(`SIMPLE_JWT["AUTH_TOKEN_CLASSES"]`) and the refresh endpoint reads refresh tokens with them.
"""

from __future__ import annotations

import math
from typing import Any

from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.settings import api_settings
from rest_framework_simplejwt.tokens import AccessToken, RefreshToken

# A primary key is a positive PostgreSQL bigint.
_MAX_ID = 2**63 - 1
# 9999-12-31T23:59:59Z, the last second Python's datetime holds.
_MAX_EPOCH = 253402300799


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def user_id_claim(value: Any) -> int | None:
    """The account id a claim names (an int, or a string of digits as some issuers write
    it), or None when it names none."""
    if isinstance(value, bool):
        return None
    if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= 19:
        value = int(value)
    if isinstance(value, int) and 1 <= value <= _MAX_ID:
        return value
    return None


def check_claims(payload: dict[str, Any]) -> None:
    """Raise TokenError unless every claim this service reads has the type and range it issues."""
    for claim in ("exp", "iat", "nbf"):
        if claim in payload and not (_is_number(payload[claim]) and 0 <= payload[claim] <= _MAX_EPOCH):
            raise TokenError(f"Token claim '{claim}' is not a time.")
    if user_id_claim(payload.get(api_settings.USER_ID_CLAIM)) is None:
        raise TokenError("Token contained no recognizable user identification")
    for claim in (api_settings.TOKEN_TYPE_CLAIM, api_settings.JTI_CLAIM, api_settings.REVOKE_TOKEN_CLAIM):
        if claim and claim in payload and not isinstance(payload[claim], str):
            raise TokenError(f"Token claim '{claim}' is not a string.")


class CheckedAccessToken(AccessToken):
    """An access token with checked claims."""

    def verify(self) -> None:
        check_claims(self.payload)  # before simplejwt converts `exp` to a datetime
        super().verify()


class CheckedRefreshToken(RefreshToken):
    """A refresh token with checked claims."""

    def verify(self) -> None:
        check_claims(self.payload)
        super().verify()
