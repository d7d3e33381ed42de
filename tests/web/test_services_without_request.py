"""Services take the acting user and plain values: a Celery task, the admin or a script
calls them with no HTTP request anywhere (no request context either)."""

from __future__ import annotations

from datetime import time

import pytest

from tests.factories import TutorFactory, TutorProfileFactory
from web.accounts import services as accounts
from web.activity.models import ActivityLog
from web.core.context import request_context
from web.core.errors import InvalidInput, NotFound, RateLimited
from web.profiles import services as profiles
from web.profiles.models import ProfileDraft, TutorProfile
from web.profiles.selectors import profile_snapshots, tutor_profile_of

pytestmark = pytest.mark.django_db


def _task(tutor_id: int) -> None:
    """What a background job would do: load fresh rows by id and call services."""
    user = TutorProfile.objects.select_related("user").get(pk=tutor_id).user
    profiles.profile_update(user=user, data={"headline": "Edited by a task"})
    profiles.availability_replace(user=user, slots=[{"weekday": 1, "start": time(9), "end": time(10)}])
    profiles.draft_autosave(user=user, patch={"bio": "Draft from a task"})
    assert profiles.draft_diff(user) == ["bio"]
    profiles.draft_publish(user=user)


def test_profile_services_run_outside_any_request() -> None:
    assert request_context() is None
    profile = TutorProfileFactory()
    _task(profile.pk)
    profile.refresh_from_db()
    assert (profile.headline, profile.bio) == ("Edited by a task", "Draft from a task")
    assert not ProfileDraft.objects.filter(user=profile.user).exists()
    events = ActivityLog.objects.filter(user=profile.user)
    assert {"profile.updated", "availability.updated", "profile.autosave", "profile.draft.published"} <= set(
        events.values_list("action", flat=True)
    )
    # Nothing about a request to record: no referrer.
    assert set(events.values_list("referrer", flat=True)) == {None}
    page = profile_snapshots(profile.user, page_size=1)
    assert page.has_more and len(page.results) == 1
    assert profile_snapshots(profile.user, cursor=page.cursor, page_size=50).results


def test_domain_errors_reach_a_plain_caller() -> None:
    user = TutorFactory()  # a tutor account without a profile (e.g. an admin deleted it)
    for call in (
        lambda: tutor_profile_of(user),
        lambda: profiles.draft_get(user),
        lambda: profiles.draft_diff(user),
        lambda: profiles.draft_discard(user=user),
        lambda: profiles.profile_update(user=user, data={"headline": "x"}),
        lambda: profiles.availability_replace(user=user, slots=[]),
    ):
        with pytest.raises(NotFound, match="This account has no tutor profile."):
            call()
    profile = TutorProfileFactory()
    with pytest.raises(InvalidInput) as error:
        profiles.availability_replace(
            user=profile.user, slots=[{"weekday": 0, "start": time(10), "end": time(9)}]
        )
    assert error.value.fields == {"slots.0.end": ["End must be after start."]}
    profiles.draft_autosave(user=profile.user, patch={"bio": "one"})
    with pytest.raises(RateLimited) as limited:
        profiles.draft_autosave(user=profile.user, patch={"bio": "two"})
    assert limited.value.status == 429 and 1 <= limited.value.wait <= 10


def test_account_services_run_outside_any_request() -> None:
    user = accounts.user_register(
        email="Script@Example.com", password="a-long-enough-passphrase", full_name="From a script", role="tutor"
    )
    assert user.email == "script@example.com" and tutor_profile_of(user).user == user
    with pytest.raises(InvalidInput) as error:
        accounts.user_register(email="script@example.com", password="a-long-enough-passphrase",
                               full_name="Again", role="student")
    assert error.value.fields == {"email": ["A user with this email already exists."]}
    # Without an address and without a request, attempts count against one shared budget.
    accounts.login_attempt("script@example.com")
    accounts.registration_attempt()
