"""The admin shows the log read-only, with filters."""

from __future__ import annotations

import pytest
from django.utils import timezone

from web.accounts.models import User
from web.activity.models import ActivityLog

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    admin = User.objects.create_superuser("root@example.com", "a-long-passphrase-77", full_name="Root")
    client.force_login(admin)
    return client


def test_changelist_lists_and_filters_events(admin_client, student) -> None:
    ActivityLog.objects.create(user=student, action="ui.click", entity_type="profile", timestamp=timezone.now())
    ActivityLog.objects.create(user=None, action="marketplace.search", timestamp=timezone.now())
    response = admin_client.get("/admin/activity/activitylog/")
    assert response.status_code == 200
    assert b"ui.click</td>" in response.content and b"marketplace.search</td>" in response.content
    filtered = admin_client.get("/admin/activity/activitylog/", {"action": "ui.click"})
    assert filtered.status_code == 200
    assert b"marketplace.search</td>" not in filtered.content
    assert admin_client.get("/admin/activity/activitylog/", {"q": student.email}).status_code == 200


def test_events_cannot_be_added_changed_or_deleted(admin_client, student) -> None:
    event = ActivityLog.objects.create(user=student, action="ui.click", timestamp=timezone.now())
    assert admin_client.get("/admin/activity/activitylog/add/").status_code == 403
    detail = admin_client.get(f"/admin/activity/activitylog/{event.pk}/change/")
    assert detail.status_code == 200  # view only
    assert b'name="_save"' not in detail.content
    assert admin_client.get(f"/admin/activity/activitylog/{event.pk}/delete/").status_code == 403
