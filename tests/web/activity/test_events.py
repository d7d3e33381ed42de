"""activity_log: the synchronous path every app uses, inside its caller's transaction."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import transaction

from web.activity.events import activity_log
from web.activity.models import REFERRER_MAX_LENGTH, ActivityLog

pytestmark = pytest.mark.django_db


def test_records_every_field(student, in_request) -> None:
    in_request(referer="https://app.example.com/a")
    event = activity_log(
        student, "profile.viewed", entity_type="tutor_profile", entity_id=12, metadata={"source": "search"},
        status_code=200, duration_ms=12.5,
    )
    event.refresh_from_db()
    assert event.user == student
    assert (event.action, event.entity_type, event.entity_id) == ("profile.viewed", "tutor_profile", "12")
    assert event.metadata == {"source": "search"}
    assert (event.status_code, event.duration_ms) == (200, 12.5)
    assert event.referrer == "https://app.example.com/a"
    assert event.timestamp.utcoffset().total_seconds() == 0


@pytest.mark.parametrize("actor", [None, AnonymousUser()])
def test_anonymous_actor(actor) -> None:
    event = activity_log(actor, "marketplace.search", metadata={"query": "math"})
    assert event.user_id is None
    assert event.referrer is None and event.duration_ms is None and event.entity_id is None


def test_referrer_is_bounded_and_duration_comes_from_the_request(student, in_request) -> None:
    in_request(referer="https://example.com/" + "x" * 2000, started=0.0)  # arrival as stamped by the middleware
    event = activity_log(student, "ui.click")
    assert len(event.referrer) == REFERRER_MAX_LENGTH
    assert event.duration_ms > 0


def test_referrer_loses_nul_characters_and_an_empty_one_is_null(student, in_request) -> None:
    in_request(referer="https://example.com/\x00a")
    assert activity_log(student, "ui.click").referrer == "https://example.com/a"
    in_request(referer="\x00")
    assert activity_log(student, "ui.click").referrer is None


def test_outside_a_request_there_is_no_referrer_or_duration(student) -> None:
    event = activity_log(student, "ui.click")
    assert event.referrer is None and event.duration_ms is None


def test_metadata_with_dates_and_decimals_is_stored_as_json(student) -> None:
    from datetime import date
    from decimal import Decimal

    event = activity_log(student, "ui.click", metadata={"day": date(2026, 2, 15), "rate": Decimal("350.50")})
    event.refresh_from_db()
    assert event.metadata == {"day": "2026-02-15", "rate": "350.50"}


@pytest.mark.parametrize("action", ["click", "UI.click", "a.b.c.d.e", "ui." + "x" * 62, "", "ui.click\n"])
def test_malformed_action_is_a_programming_error(student, action) -> None:
    with pytest.raises(ValueError):
        activity_log(student, action)


def test_malformed_entity_type_is_a_programming_error(student) -> None:
    with pytest.raises(ValueError):
        activity_log(student, "ui.click", entity_type="TutorProfile")


def test_event_commits_and_rolls_back_with_the_caller(student) -> None:
    with pytest.raises(RuntimeError), transaction.atomic():
        activity_log(student, "profile.updated")
        raise RuntimeError("the change failed")
    assert not ActivityLog.objects.filter(action="profile.updated").exists()
    with transaction.atomic():
        activity_log(student, "profile.updated")
    assert ActivityLog.objects.filter(action="profile.updated").count() == 1


def test_registration_records_user_registered(api_client) -> None:
    response = api_client.post(
        "/api/auth/register/",
        {"email": "new@example.com", "password": "a-long-passphrase-77", "full_name": "New Tutor", "role": "tutor"},
        format="json",
    )
    assert response.status_code == 201, response.json()
    event = ActivityLog.objects.get(action="user.registered")
    assert event.user_id == response.json()["id"]
    assert (event.entity_type, event.entity_id) == ("user", str(event.user_id))
    assert event.metadata == {"role": "tutor"}


def test_failed_registration_records_nothing(api_client, student) -> None:
    response = api_client.post(
        "/api/auth/register/",
        {"email": student.email, "password": "a-long-passphrase-77", "full_name": "Dup", "role": "student"},
        format="json",
    )
    assert response.status_code == 400
    assert not ActivityLog.objects.filter(action="user.registered").exists()


def test_events_outlive_a_deleted_account_without_naming_it(student) -> None:
    activity_log(student, "ui.click", entity_type="user", entity_id=student.pk, metadata={"email": student.email})
    student.delete()
    event = ActivityLog.objects.get()
    assert (event.user_id, event.metadata, event.referrer) == (None, {}, None)
    assert event.action == "ui.click"
