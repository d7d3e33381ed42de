"""Staff delete a user in the admin: the events stay detached, the tutor leaves search."""

from __future__ import annotations

import pytest

from indexer.models import TutorOutbox
from indexer.sync import tutor_sync
from tests.factories import TutorProfileFactory
from web.accounts.models import User
from web.activity.events import activity_log
from web.activity.models import ActivityLog

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    admin = User.objects.create_superuser("root@example.com", "a-long-passphrase-77", full_name="Root")
    client.force_login(admin)
    return client


def _listed(api_client) -> set[int]:
    response = api_client.get("/api/marketplace/tutors/")
    assert response.status_code == 200, response.content
    return {item["id"] for item in response.json()["results"]}


def test_admin_deletes_a_tutor_who_then_leaves_search(admin_client, api_client, opensearch) -> None:
    tutor, kept = TutorProfileFactory(), TutorProfileFactory()
    for profile in (tutor, kept):
        tutor_sync(profile.pk)
    assert _listed(api_client) == {tutor.pk, kept.pk}
    user = tutor.user
    activity_log(user, "ui.click", metadata={"name": user.full_name})
    assert ActivityLog.objects.filter(user=user).count() == 1

    confirm = admin_client.get(f"/admin/accounts/user/{user.pk}/delete/")
    assert confirm.status_code == 200  # was a 403: the activity log refuses deletes
    done = admin_client.post(f"/admin/accounts/user/{user.pk}/delete/", {"post": "yes"})
    assert done.status_code == 302

    assert not User.objects.filter(pk=user.pk).exists()
    # The events are kept for the retention period, naming no one.
    detached = ActivityLog.objects.get(action="ui.click")
    assert (detached.user_id, detached.metadata, detached.referrer) == (None, {}, None)
    # The deletion reached the outbox in its transaction, and the sync removes the document.
    assert TutorOutbox.objects.filter(tutor_id=tutor.pk).exists()
    assert tutor_sync(tutor.pk) == "deleted"
    assert _listed(api_client) == {kept.pk}


def test_admin_bulk_deletion_of_users(admin_client, student) -> None:
    activity_log(student, "ui.click")
    response = admin_client.post(
        "/admin/accounts/user/", {"action": "delete_selected", "_selected_action": [student.pk], "post": "yes"}
    )
    assert response.status_code == 302
    assert not User.objects.filter(pk=student.pk).exists()
    assert ActivityLog.objects.filter(action="ui.click", user=None).count() == 1
