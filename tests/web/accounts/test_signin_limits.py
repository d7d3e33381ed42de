"""Sign-in limits: guessers are slowed, the account holder is not locked out by them."""

from __future__ import annotations

import pytest

from tests.factories import PASSWORD
from web.core.ratelimit import Rate, rate_limit_record, rate_limit_wait

pytestmark = pytest.mark.django_db


def _sign_in(client, email: str, password: str, address: str):
    return client.post("/api/auth/token/", {"email": email, "password": password}, format="json",
                       REMOTE_ADDR=address)


def test_thirty_wrong_passwords_from_three_addresses_leave_the_owner_a_clean_address(api_client, student) -> None:
    # The attack as it was reported: 30 wrong passwords from three addresses, spread so
    # that no one address is stopped by its own (account, address) limit first.
    refused = 0
    for n in range(30):
        response = _sign_in(api_client, student.email, f"guess-{n}", f"198.51.100.{n % 3 + 1}")
        assert response.status_code in (401, 429), response.content
        refused += response.status_code == 429
    assert refused > 0  # the guessers were slowed
    # Each guessing address is now held to the account's ceiling, even with the right password...
    held = _sign_in(api_client, student.email, PASSWORD, "198.51.100.1")
    assert held.status_code == 429
    assert held.json()["error"]["code"] == "rate_limited"
    assert int(held["Retry-After"]) >= 1
    # ...while the owner, from an address that never failed on this account, signs in.
    owner = _sign_in(api_client, student.email, PASSWORD, "203.0.113.50")
    assert owner.status_code == 200, owner.content
    assert "access" in owner.json()


def test_failures_per_account_and_address_are_limited(api_client, student) -> None:
    for n in range(5):
        assert _sign_in(api_client, student.email, f"guess-{n}", "198.51.100.7").status_code == 401
    refused = _sign_in(api_client, student.email, PASSWORD, "198.51.100.7")
    assert refused.status_code == 429
    assert "from this address" in refused.json()["error"]["message"]
    # Another account from the same address is unaffected.
    assert _sign_in(api_client, "nobody@example.com", "guess", "198.51.100.7").status_code == 401


def test_successful_sign_ins_do_not_count_as_failures(api_client, student) -> None:
    for _ in range(12):  # more than the pair's and the account's failure limits per minute
        assert _sign_in(api_client, student.email, PASSWORD, "198.51.100.8").status_code == 200


def test_the_account_ceiling_holds_every_address_that_failed(api_client, student) -> None:
    # Ten addresses, one failure each: the account's 10-a-minute ceiling is reached.
    for n in range(10):
        assert _sign_in(api_client, student.email, "guess", f"192.0.2.{n + 1}").status_code == 401
    for n in range(10):
        assert _sign_in(api_client, student.email, "guess", f"192.0.2.{n + 1}").status_code == 429
    # A fresh address gets its attempt; once it fails, it is held too.
    assert _sign_in(api_client, student.email, "guess", "192.0.2.200").status_code == 401
    assert _sign_in(api_client, student.email, PASSWORD, "192.0.2.200").status_code == 429


def test_a_wait_counts_nothing_and_a_record_always_counts() -> None:
    rates = (Rate(2, 60),)
    assert rate_limit_wait("auth.test", "x", rates, now=1000.0) is None
    rate_limit_record("auth.test", "x", rates, now=1000.0)
    assert rate_limit_wait("auth.test", "x", rates, now=1001.0) is None
    rate_limit_record("auth.test", "x", rates, now=1002.0)
    rate_limit_record("auth.test", "x", rates, now=1003.0)  # recorded past the limit
    wait = rate_limit_wait("auth.test", "x", rates, now=1004.0)
    assert wait == pytest.approx(58.0)  # the 1002.0 hit leaves the window at 1062
    assert rate_limit_wait("auth.test", "x", rates, now=1063.5) is None
