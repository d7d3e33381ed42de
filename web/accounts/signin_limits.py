"""Sign-in limits that guessing cannot turn against the account holder.

A limit per account alone (N attempts, then a wait) lets anyone lock anyone out: thirty
wrong passwords from anywhere, and the owner's right one is refused for an hour. OWASP's
Authentication Cheat Sheet ("Protect Against Automated Attacks", "Account Lockout") asks
for the lockout to slow guessing while not becoming a denial of service against the
owner, and names the ways: count per (account, source), lock for a time rather than
for good, and let the owner in by a route the attacker does not hold. So three counters:

- per client address, every attempt, across accounts (`LOGIN_ADDRESS_RATES`): one address
  trying one password against many accounts, or hashing passwords at our cost;
- per (account, address), failures only (`LOGIN_PAIR_RATES`): one address guessing one
  account's password;
- per account, failures from every address (`LOGIN_ACCOUNT_RATES`): a botnet sharing the
  guesses of one account. This ceiling applies only to addresses that have themselves
  failed on that account within `LOGIN_ACCOUNT_RATES`' longest period: guessers, who by
  definition fail, are held to it, while the owner signing in from an address with no
  failures for the account is not, so a stranger's guesses cannot lock the owner out.

A botnet still gets one guess per fresh address per account and window; the per-address
counter and strong passwords (the validators at registration) bound what that buys.
Successful sign-ins count only against the address. Counters live in Redis and fail open
while it is unreachable (logged), like every limit here.
"""

from __future__ import annotations

from django.utils.translation import gettext as _

from web.core.context import request_context
from web.core.errors import RateLimited
from web.core.ratelimit import Rate, rate_limit_hit, rate_limit_record, rate_limit_wait

LOGIN_ADDRESS_SCOPE = "auth.login.address"
LOGIN_ADDRESS_RATES = (Rate(60, 60), Rate(600, 3600))
LOGIN_PAIR_SCOPE = "auth.login.pair"
LOGIN_PAIR_RATES = (Rate(5, 60), Rate(20, 3600))
LOGIN_ACCOUNT_SCOPE = "auth.login.account"
LOGIN_ACCOUNT_RATES = (Rate(10, 60), Rate(30, 3600))
# Whether an address has failed on an account lately: a one-member log per pair.
_PAIR_FAILED_SCOPE = "auth.login.pair.failed"


def _address(address: str | None) -> str:
    if address is not None:
        return address
    context = request_context()
    return context.client_address if context is not None else "unknown"


def _account(email: object) -> str | None:
    """The account an attempt names, as counted; None for what is no plausible email."""
    if not isinstance(email, str) or not email.strip() or len(email) > 254:
        return None
    return email.strip().lower()


def _has_failed(pair: str) -> bool:
    window = max(rate.period_seconds for rate in LOGIN_ACCOUNT_RATES)
    return rate_limit_wait(_PAIR_FAILED_SCOPE, pair, (Rate(1, window),)) is not None


def signin_check(email: object, address: str | None = None) -> None:
    """Before checking a password: count the attempt for `address` (default: the current
    request's client) and raise RateLimited (429) if this address may not try `email` now."""
    address = _address(address)
    wait = rate_limit_hit(LOGIN_ADDRESS_SCOPE, address, LOGIN_ADDRESS_RATES)
    if wait is not None:
        raise RateLimited(wait, _("Too many sign-in attempts from this address, retry later."))
    account = _account(email)
    if account is None:
        return  # the credentials check refuses it
    pair = f"{account}|{address}"
    wait = rate_limit_wait(LOGIN_PAIR_SCOPE, pair, LOGIN_PAIR_RATES)
    if wait is not None:
        raise RateLimited(wait, _("Too many failed sign-ins for this account from this address, retry later."))
    if _has_failed(pair):
        wait = rate_limit_wait(LOGIN_ACCOUNT_SCOPE, account, LOGIN_ACCOUNT_RATES)
        if wait is not None:
            raise RateLimited(wait, _("Too many failed sign-ins for this account, retry later."))


def signin_failed(email: object, address: str | None = None) -> None:
    """After a wrong password (or an unknown account): count the failure for the account
    and for (account, address)."""
    account = _account(email)
    if account is None:
        return
    address = _address(address)
    pair = f"{account}|{address}"
    window = max(rate.period_seconds for rate in LOGIN_ACCOUNT_RATES)
    rate_limit_record(LOGIN_PAIR_SCOPE, pair, LOGIN_PAIR_RATES)
    rate_limit_record(_PAIR_FAILED_SCOPE, pair, (Rate(1, window),))
    rate_limit_record(LOGIN_ACCOUNT_SCOPE, account, LOGIN_ACCOUNT_RATES)
