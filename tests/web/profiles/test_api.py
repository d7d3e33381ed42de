"""The /api/me/profile/ family over HTTP: roles, validation, drafts, rate limit."""

from __future__ import annotations

import pytest

from tests.factories import TutorProfileFactory
from web.activity.models import ActivityLog
from web.core.redis_client import redis_client
from web.profiles.models import ProfileDraft, Subject

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    """Autosave counters live in the real Redis; each test starts and ends with none."""
    from web.core.ratelimit import KEY_PREFIX

    def clean() -> None:
        keys = list(redis_client().scan_iter(match=f"{KEY_PREFIX}:{{profile.autosave:*", count=500))
        if keys:
            redis_client().delete(*keys)

    clean()
    yield
    clean()


def test_tutor_reads_and_patches_own_profile(tutor, auth_client) -> None:
    client = auth_client(tutor.user)
    body = client.get("/api/me/profile/").json()
    assert body["headline"] == tutor.headline
    assert body["listed"] is True

    response = client.patch("/api/me/profile/", {"headline": "Maths for NMT", "privacy": {"show_bio_publicly": False}},
                            format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["headline"] == "Maths for NMT"
    assert response.json()["privacy"]["show_bio_publicly"] is False
    assert response.json()["version"] == tutor.version + 1


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"headline": "x" * 121}, "headline"),
        ({"headline": " " + "x" * 120}, "headline"),  # counted as sent, as the schema counts
        ({"certifications": ["\u00a0" + "x" * 200]}, "certifications"),
        ({"subjects": ["astrology"]}, "subjects"),
        ({"languages": ["xx"]}, "languages"),
        ({"hourly_rate": 0}, "hourly_rate"),
        ({"hourly_rate": "a lot"}, "hourly_rate"),
        ({"timezone": "Mars/Base"}, "timezone"),
        ({"privacy": {"show_bio_publicly": "maybe"}}, "privacy.show_bio_publicly"),
        ({"favourite_colour": "blue"}, "favourite_colour"),
        ({"avatar_url": "javascript:alert(1)"}, "avatar_url"),
    ],
)
def test_bad_input_is_a_400_naming_the_field(tutor, auth_client, body, field) -> None:
    response = auth_client(tutor.user).patch("/api/me/profile/", body, format="json")
    assert response.status_code == 400
    assert field in response.json()["error"]["fields"]


def test_a_student_cannot_use_profile_endpoints(student, auth_client) -> None:
    client = auth_client(student)
    for method, url in [
        ("get", "/api/me/profile/"),
        ("patch", "/api/me/profile/"),
        ("get", "/api/me/profile/autosave/"),
        ("patch", "/api/me/profile/autosave/"),
        ("get", "/api/me/profile/autosave/diff/"),
        ("post", "/api/me/profile/autosave/publish/"),
        ("put", "/api/me/availability/"),
    ]:
        response = getattr(client, method)(url, {}, format="json")
        assert response.status_code == 403, (method, url)
        assert response.json()["error"]["code"] == "permission_denied"


def test_anonymous_is_401(api_client) -> None:
    assert api_client.get("/api/me/profile/").status_code == 401


def test_another_tutor_never_sees_or_changes_my_draft(tutor, auth_client) -> None:
    other = TutorProfileFactory()
    saved = auth_client(tutor.user).patch("/api/me/profile/autosave/", {"headline": "Mine"}, format="json")
    assert saved.status_code == 200
    theirs = auth_client(other.user)
    assert theirs.get("/api/me/profile/autosave/").json()["data"] == {}
    assert theirs.get("/api/me/profile/autosave/diff/").json() == {"dirty": []}
    assert theirs.delete("/api/me/profile/autosave/").status_code == 204
    assert theirs.post("/api/me/profile/autosave/publish/").status_code == 409
    mine = auth_client(tutor.user).get("/api/me/profile/autosave/").json()
    assert mine["data"] == {"headline": "Mine"}


def test_autosave_diff_publish_flow(tutor, auth_client) -> None:
    client = auth_client(tutor.user)
    saved = client.patch("/api/me/profile/autosave/", {"headline": "Draft", "subjects": ["physics"]}, format="json")
    assert saved.status_code == 200
    assert saved.json()["autosaved_at"]
    assert ActivityLog.objects.filter(user=tutor.user, action="profile.autosave").count() == 1
    assert client.get("/api/me/profile/autosave/diff/").json() == {"dirty": ["headline", "subjects"]}
    assert client.get("/api/me/profile/").json()["headline"] == tutor.headline

    published = client.post("/api/me/profile/autosave/publish/")
    assert published.status_code == 200
    assert published.json()["headline"] == "Draft"
    assert published.json()["subjects"] == ["physics"]
    assert client.get("/api/me/profile/autosave/diff/").json() == {"dirty": []}


def test_every_draft_endpoint_is_404_once_the_profile_is_deleted(tutor, auth_client) -> None:
    user = tutor.user
    client = auth_client(user)
    assert client.patch("/api/me/profile/autosave/", {"headline": "Draft"}, format="json").status_code == 200
    tutor.delete()  # as an admin may; the draft belongs to the account and stays
    assert client.get("/api/me/profile/autosave/").status_code == 404
    assert client.get("/api/me/profile/autosave/diff/").status_code == 404
    assert client.post("/api/me/profile/autosave/publish/").status_code == 404
    assert client.delete("/api/me/profile/autosave/").status_code == 404
    assert client.patch("/api/me/profile/autosave/", {"headline": "Again"}, format="json").status_code == 404
    assert ProfileDraft.objects.get(user=user).data == {"headline": "Draft"}


def _deactivate(slug: str) -> None:
    Subject.objects.filter(slug=slug).update(is_active=False)


def test_a_deactivated_subject_a_tutor_teaches_survives_every_edit_path(tutor, auth_client) -> None:
    client = auth_client(tutor.user)
    assert client.patch("/api/me/profile/", {"subjects": ["math", "chemistry"]}, format="json").status_code == 200
    _deactivate("chemistry")
    # A client sending the whole profile back, as forms do.
    whole = client.get("/api/me/profile/").json()
    editable = {key: whole[key] for key in ("headline", "subjects", "languages", "hourly_rate", "privacy")}
    updated = client.patch("/api/me/profile/", {**editable, "headline": "Kept chemistry"}, format="json")
    assert updated.status_code == 200, updated.content
    assert updated.json()["subjects"] == ["math", "chemistry"]
    # A draft that keeps it publishes.
    saved = client.patch("/api/me/profile/autosave/", {"subjects": ["chemistry"]}, format="json")
    assert saved.status_code == 200, saved.content
    published = client.post("/api/me/profile/autosave/publish/")
    assert published.status_code == 200, published.content
    assert published.json()["subjects"] == ["chemistry"]
    # Restoring the snapshot taken before that publish brings math back, chemistry kept.
    snapshot = ActivityLog.objects.filter(user=tutor.user, action="profile.snapshot").latest("id")
    restored = client.post(f"/api/me/profile/snapshots/{snapshot.pk}/restore/")
    assert restored.status_code == 200, restored.content
    assert restored.json()["subjects"] == ["math", "chemistry"]


def test_a_deactivated_subject_cannot_be_newly_added(tutor, auth_client) -> None:
    client = auth_client(tutor.user)
    _deactivate("chemistry")
    version = client.get("/api/me/profile/").json()["version"]
    for path in ("/api/me/profile/", "/api/me/profile/autosave/"):
        response = client.patch(path, {"headline": "New", "subjects": ["math", "chemistry"]}, format="json")
        assert response.status_code == 400, (path, response.content)
        assert list(response.json()["error"]["fields"]) == ["subjects"]
        assert "chemistry" in response.json()["error"]["fields"]["subjects"][0]
    profile = client.get("/api/me/profile/").json()
    assert (profile["headline"], profile["subjects"], profile["version"]) == (tutor.headline, ["math"], version)
    assert not ProfileDraft.objects.filter(user=tutor.user).exists()
    # A slug that was never in the catalogue is still unknown.
    unknown = client.patch("/api/me/profile/", {"subjects": ["astrology"]}, format="json")
    assert "Unknown subject" in unknown.json()["error"]["fields"]["subjects"][0]


def test_a_snapshot_adding_back_a_since_deactivated_subject_is_a_conflict(tutor, auth_client) -> None:
    client = auth_client(tutor.user)
    assert client.patch("/api/me/profile/", {"subjects": ["chemistry"]}, format="json").status_code == 200
    assert client.patch("/api/me/profile/", {"subjects": ["math"]}, format="json").status_code == 200
    _deactivate("chemistry")
    snapshot = ActivityLog.objects.filter(user=tutor.user, action="profile.snapshot").latest("id")
    assert snapshot.metadata["before"]["subjects"] == ["chemistry"]
    response = client.post(f"/api/me/profile/snapshots/{snapshot.pk}/restore/")
    assert response.status_code == 409
    assert list(response.json()["error"]["fields"]) == ["subjects"]
    assert client.get("/api/me/profile/").json()["subjects"] == ["math"]


def test_autosave_is_limited_to_one_save_per_ten_seconds(tutor, auth_client) -> None:
    client = auth_client(tutor.user)
    assert client.patch("/api/me/profile/autosave/", {"headline": "One"}, format="json").status_code == 200
    second = client.patch("/api/me/profile/autosave/", {"headline": "Two"}, format="json")
    assert second.status_code == 429
    assert 1 <= int(second["Retry-After"]) <= 10
    assert second.json()["error"]["code"] == "rate_limited"
    assert client.get("/api/me/profile/autosave/").json()["data"] == {"headline": "One"}


def test_invalid_autosave_does_not_use_up_the_rate_limit(tutor, auth_client) -> None:
    client = auth_client(tutor.user)
    assert client.patch("/api/me/profile/autosave/", {"hourly_rate": "x"}, format="json").status_code == 400
    assert client.patch("/api/me/profile/autosave/", {"hourly_rate": 5}, format="json").status_code == 200


def test_snapshot_restore_over_http(tutor, auth_client) -> None:
    client = auth_client(tutor.user)
    client.patch("/api/me/profile/", {"headline": "Changed"}, format="json")
    snapshot = ActivityLog.objects.filter(user=tutor.user, action="profile.snapshot").latest("id")
    restored = client.post(f"/api/me/profile/snapshots/{snapshot.pk}/restore/")
    assert restored.status_code == 200
    assert restored.json()["headline"] == tutor.headline
    assert client.post("/api/me/profile/snapshots/999999/restore/").status_code == 404


def test_availability_put_and_get(tutor, auth_client) -> None:
    client = auth_client(tutor.user)
    slots = [{"weekday": 2, "start": "18:00", "end": "20:30"}, {"weekday": 0, "start": "09:00", "end": "12:00"}]
    response = client.put("/api/me/availability/", {"slots": slots}, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["slots"] == [slots[1], slots[0]]
    assert client.get("/api/me/availability/").json()["slots"] == [slots[1], slots[0]]

    overlapping = [{"weekday": 2, "start": "18:00", "end": "20:30"}, {"weekday": 2, "start": "19:00", "end": "21:00"}]
    bad = client.put("/api/me/availability/", {"slots": overlapping}, format="json")
    assert bad.status_code == 400
    assert "slots.1.start" in bad.json()["error"]["fields"]
    bad_time = client.put("/api/me/availability/", {"slots": [{"weekday": 1, "start": "25:00", "end": "26:00"}]},
                          format="json")
    assert bad_time.status_code == 400
    assert "slots.0.start" in bad_time.json()["error"]["fields"]


def test_a_slot_can_run_to_midnight(tutor, auth_client, api_client) -> None:
    client = auth_client(tutor.user)
    slots = [{"weekday": 4, "start": "22:00", "end": "24:00"}, {"weekday": 5, "start": "00:00", "end": "24:00"}]
    response = client.put("/api/me/availability/", {"slots": slots}, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["slots"] == slots
    assert client.get("/api/me/availability/").json()["slots"] == slots
    # It overlaps like any other slot ...
    overlapping = [{"weekday": 4, "start": "22:00", "end": "24:00"}, {"weekday": 4, "start": "23:00", "end": "23:30"}]
    bad = client.put("/api/me/availability/", {"slots": overlapping}, format="json")
    assert list(bad.json()["error"]["fields"]) == ["slots.1.start"]
    # ... and 00:00 is never an end (it would end before it began).
    midnight = client.put("/api/me/availability/", {"slots": [{"weekday": 1, "start": "20:00", "end": "00:00"}]},
                          format="json")
    assert midnight.status_code == 400
    assert list(midnight.json()["error"]["fields"]) == ["slots.0.end"]
    assert client.get("/api/me/availability/").json()["slots"] == slots


def test_subject_catalogue_is_public(api_client) -> None:
    slugs = [s["slug"] for s in api_client.get("/api/subjects/").json()]
    assert {"math", "physics", "computer-science", "music"} <= set(slugs)


def test_subject_catalogue_refuses_a_parameter_it_does_not_take(api_client) -> None:
    response = api_client.get("/api/subjects/", {"page_size": 5})
    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {"page_size": ["Unknown parameter; this endpoint takes none."]}


def test_snapshot_list_walks_every_snapshot_once(tutor, auth_client) -> None:
    client = auth_client(tutor.user)
    for n in range(5):
        client.patch("/api/me/profile/", {"headline": f"Headline {n}"}, format="json")
    seen, cursor = [], None
    while True:
        params = {"page_size": 2, **({"cursor": cursor} if cursor else {})}
        page = client.get("/api/me/profile/snapshots/", params).json()
        seen += [row["id"] for row in page["results"]]
        if not page["has_more"]:
            break
        cursor = page["cursor"]
    assert len(seen) == len(set(seen)) == 5
    assert seen == sorted(seen, reverse=True)
    other = auth_client(TutorProfileFactory().user)
    assert other.get("/api/me/profile/snapshots/").json()["results"] == []
    assert other.get("/api/me/profile/snapshots/", {"cursor": cursor}).status_code == 400
    assert client.get("/api/me/profile/snapshots/", {"page_size": 500}).status_code == 400


def test_a_tutor_account_without_a_profile_gets_404(auth_client) -> None:
    from tests.factories import TutorFactory

    client = auth_client(TutorFactory())
    for method, url in [("get", "/api/me/profile/"), ("get", "/api/me/availability/"),
                        ("patch", "/api/me/profile/autosave/"), ("post", "/api/me/profile/autosave/publish/")]:
        response = getattr(client, method)(url, {}, format="json")
        assert response.status_code == 404, (method, url, response.content)
        assert response.json()["error"]["code"] == "not_found"


def test_availability_refuses_a_misspelt_slot_field(tutor, auth_client) -> None:
    client = auth_client(tutor.user)
    response = client.put(
        "/api/me/availability/", {"slots": [{"weekday": 1, "start": "09:00", "end": "10:00", "until": "x"}]},
        format="json",
    )
    assert response.status_code == 400
    assert list(response.json()["error"]["fields"]) == ["slots.0.until"]
    assert client.get("/api/me/availability/").json()["slots"] == []
