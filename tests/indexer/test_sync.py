"""One tutor's document, written and deleted through the outbox path (no worker)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone
from opensearchpy.exceptions import RequestError

from indexer.documents import TutorIndexer
from indexer.models import TutorOutbox
from indexer.sync import tutor_sync, write_document
from search.availability import availability_clause, availability_filter
from search.client import write_client
from search.indexes import TUTORS
from tests.factories import TutorProfileFactory
from web.profiles import services
from web.profiles.models import Subject, TutorProfile

pytestmark = pytest.mark.django_db


def _doc(tutor_id: int) -> dict | None:
    client = write_client()
    client.indices.refresh(index=TUTORS.read_alias)
    found = client.get(index=TUTORS.read_alias, id=str(tutor_id), ignore=[404])
    return found["_source"] if found.get("found") else None


def test_profile_change_reaches_the_index_and_clears_the_outbox(opensearch) -> None:
    tutor = TutorProfileFactory(subjects=["math", "physics"], certifications=["CELTA"])
    services.profile_update(user=tutor.user, data={"headline": "Olympiad physics coach"})
    assert TutorOutbox.objects.filter(tutor_id=tutor.pk).exists()

    assert tutor_sync(tutor.pk) == "indexed"
    doc = _doc(tutor.pk)
    assert doc["headline"] == "Olympiad physics coach"
    assert doc["version"] == tutor.version + 1
    assert doc["subjects"] == ["math", "physics"]
    assert "Математика" in doc["subject_names"] and "Fizyka" in doc["subject_names"]
    assert doc["has_certifications"] is True
    assert not TutorOutbox.objects.filter(tutor_id=tutor.pk).exists()


def test_privacy_change_removes_the_field_from_the_stored_document(opensearch) -> None:
    tutor = TutorProfileFactory(bio="Secret garden methods", certifications=["CELTA"])
    tutor_sync(tutor.pk)
    assert _doc(tutor.pk)["bio"] == "Secret garden methods"
    services.profile_update(
        user=tutor.user, data={"privacy": {"show_bio_publicly": False, "show_certifications_publicly": False}}
    )
    tutor_sync(tutor.pk)
    doc = _doc(tutor.pk)
    assert "bio" not in doc
    assert "certifications" not in doc
    assert doc["has_certifications"] is False
    assert "Secret garden" not in str(doc)


def test_unpublishing_deletes_the_document(opensearch) -> None:
    tutor = TutorProfileFactory()
    tutor_sync(tutor.pk)
    assert _doc(tutor.pk) is not None
    services.profile_update(user=tutor.user, data={"public_profile_enabled": False})
    assert tutor_sync(tutor.pk) == "deleted"
    assert _doc(tutor.pk) is None


def test_a_rolled_back_change_leaves_no_outbox_row(opensearch) -> None:
    tutor = TutorProfileFactory()
    with pytest.raises(RuntimeError), transaction.atomic():
        services.profile_update(user=tutor.user, data={"headline": "Never happened"})
        raise RuntimeError("rollback")
    assert not TutorOutbox.objects.exists()
    tutor_sync(tutor.pk)
    assert _doc(tutor.pk)["headline"] == tutor.headline


def test_an_older_version_never_overwrites_a_newer_document(opensearch) -> None:
    tutor = TutorProfileFactory()
    services.profile_update(user=tutor.user, data={"headline": "Newest"})
    tutor_sync(tutor.pk)
    client = write_client()
    stale = {**_doc(tutor.pk), "headline": "Stale"}
    index = client.indices.get_alias(name=TUTORS.write_alias).popitem()[0]
    assert write_document(client, index, tutor.pk, stale, tutor.version) == "stale"
    assert _doc(tutor.pk)["headline"] == "Newest"


def test_a_change_that_kept_its_version_still_reaches_the_index(opensearch) -> None:
    # The document holds more than the version counts (a renamed subject, a fix in the
    # builder); a sync at the same version must still land, or drift could not be repaired.
    tutor = TutorProfileFactory()
    tutor_sync(tutor.pk)
    TutorProfile.objects.filter(pk=tutor.pk).update(headline="Quietly changed")
    assert tutor_sync(tutor.pk) == "indexed"
    assert _doc(tutor.pk)["headline"] == "Quietly changed"
    TutorProfile.objects.filter(pk=tutor.pk).update(public_profile_enabled=False)
    assert tutor_sync(tutor.pk) == "deleted"
    assert _doc(tutor.pk) is None


def test_deleting_a_tutor_records_the_change_and_the_sync_removes_the_document(opensearch) -> None:
    kept, deleted_user, deleted_profile = (TutorProfileFactory() for _ in range(3))
    for tutor in (kept, deleted_user, deleted_profile):
        tutor_sync(tutor.pk)
    deleted_user.user.delete()  # the profile goes with it (cascade)
    TutorProfile.objects.filter(pk=deleted_profile.pk).delete()
    assert set(TutorOutbox.objects.values_list("tutor_id", flat=True)) == {deleted_user.pk, deleted_profile.pk}
    assert tutor_sync(deleted_user.pk) == "deleted"
    assert tutor_sync(deleted_profile.pk) == "deleted"
    assert (_doc(deleted_user.pk), _doc(deleted_profile.pk)) == (None, None)
    assert _doc(kept.pk) is not None
    assert not TutorOutbox.objects.exists()


def test_renaming_a_subject_reaches_the_documents_of_its_tutors(opensearch) -> None:
    teaches, other = TutorProfileFactory(subjects=["math"]), TutorProfileFactory(subjects=["physics"])
    for tutor in (teaches, other):
        tutor_sync(tutor.pk)
    subject = Subject.objects.get(slug="math")
    subject.aliases = f"{subject.aliases} zetetics"
    subject.save()  # as the catalogue admin does
    assert list(TutorOutbox.objects.values_list("tutor_id", flat=True)) == [teaches.pk]
    tutor_sync(teaches.pk)
    assert "zetetics" in _doc(teaches.pk)["subject_names"]
    assert "zetetics" not in _doc(other.pk)["subject_names"]


def test_a_long_lived_indexer_does_not_write_a_renamed_subject_s_old_names(opensearch) -> None:
    from indexer.documents import TutorIndexer

    teaches = TutorProfileFactory(subjects=["math"])
    tutor_sync(teaches.pk)
    indexer = TutorIndexer()  # as a reconcile or rebuild run holds one
    assert "zetetics" not in indexer.subject_names()["math"]
    subject = Subject.objects.get(slug="math")
    subject.aliases = f"{subject.aliases} zetetics"
    subject.save()
    tutor_sync(teaches.pk, indexer=indexer)
    assert "zetetics" in _doc(teaches.pk)["subject_names"]
    assert not TutorOutbox.objects.filter(tutor_id=teaches.pk).exists()


def test_an_indexer_reads_the_catalogue_again_after_a_while(opensearch) -> None:
    from indexer.documents import TutorIndexer

    teaches = TutorProfileFactory(subjects=["math"])
    indexer = TutorIndexer()
    indexer.subject_names()
    subject = Subject.objects.get(slug="math")
    subject.aliases = f"{subject.aliases} zetetics"
    subject.save()
    TutorOutbox.objects.all().delete()  # the rename's index tasks already ran
    indexer._subject_names_at -= indexer.SUBJECT_NAMES_TTL_SECONDS + 1  # later in a long reconcile run
    tutor_sync(teaches.pk, indexer=indexer)
    assert "zetetics" in _doc(teaches.pk)["subject_names"]


def test_an_index_refusing_a_write_does_not_keep_the_others_stale(opensearch) -> None:
    from search.index_admin import aliases_update

    tutor = TutorProfileFactory()
    client = write_client()
    # A second index behind the write alias (sorted first) that refuses every document:
    # a strict mapping without the fields this code writes.
    refusing = f"{TUTORS.prefix}-00000000000000000000"
    strict = {"mappings": {"dynamic": "strict", "properties": {"id": {"type": "long"}}}}
    client.indices.create(index=refusing, body=strict)
    aliases_update(client, [{"add": {"index": refusing, "alias": TUTORS.write_alias}}])
    services.profile_update(user=tutor.user, data={"headline": "Reaches the live index"})
    with pytest.raises(RequestError, match="strict_dynamic_mapping"):
        tutor_sync(tutor.pk)
    assert _doc(tutor.pk)["headline"] == "Reaches the live index"
    assert TutorOutbox.objects.filter(tutor_id=tutor.pk).exists()  # retried until every index has it


def test_a_hidden_word_never_reaches_the_index(opensearch) -> None:
    tutor = TutorProfileFactory(bio="zanzibarite телескопи", show_bio_publicly=False)
    tutor_sync(tutor.pk)
    client = write_client()
    client.indices.refresh(index=TUTORS.read_alias)
    fields = ["headline", "headline_lemmas", "bio", "bio_lemmas", "full_name", "subject_names", "certifications"]
    # "телескоп" is only in the lemmatised copy of the bio, had it been written.
    query = {"multi_match": {"query": "zanzibarite телескоп", "fields": fields}}
    hits = client.search(index=TUTORS.read_alias, body={"query": query})
    assert hits["hits"]["total"]["value"] == 0, hits["hits"]["hits"]


def _free(day: str, start: str, end: str) -> dict:
    """Tutors free on `day` from `start` to `end` on a Kyiv clock (the factory's zone), as
    the marketplace asks."""
    clause = availability_clause(availability_filter([day], start, end, "Europe/Kyiv", TutorIndexer().reference))
    assert clause is not None
    return clause


def test_availability_reaches_the_index_as_filterable_windows(opensearch) -> None:
    tutor = TutorProfileFactory()
    services.availability_replace(
        user=tutor.user,
        slots=[{"weekday": 1, "start": "16:00", "end": "19:00"}, {"weekday": 5, "start": "09:30", "end": "11:00"}],
    )
    tutor_sync(tutor.pk)
    doc = _doc(tutor.pk)
    assert doc["available_weekdays"] == [1, 5]
    assert "availability_windows" not in doc

    def found(clause: dict) -> bool:
        hits = write_client().search(index=TUTORS.read_alias, body={"query": {"bool": {"filter": [clause]}}})
        return [hit["_id"] for hit in hits["hits"]["hits"]] == [str(tutor.pk)]

    assert found(_free("tue", "17:00", "18:00"))
    assert found(_free("sat", "10:00", "11:00"))

    assert not found(_free("tue", "18:00", "20:00"))  # past the slot's end
    assert not found(_free("sat", "09:00", "10:00"))  # before it starts
    assert found({"term": {"available_weekdays": 5}})
    assert not found({"term": {"available_weekdays": 0}})

    services.availability_replace(user=tutor.user, slots=[])
    tutor_sync(tutor.pk)
    write_client().indices.refresh(index=TUTORS.read_alias)
    assert not found(_free("tue", "17:00", "18:00"))
    assert _doc(tutor.pk)["available_weekdays"] == []

    # A slot to midnight covers the day's last hour, and not the next day's first.
    services.availability_replace(user=tutor.user, slots=[{"weekday": 1, "start": "22:00", "end": "24:00"}])
    tutor_sync(tutor.pk)
    assert found(_free("tue", "23:00", "24:00"))
    assert not found(_free("tue", "23:00", "00:30"))


def test_a_failed_attempt_waiting_for_its_retry_is_not_dispatched_again(opensearch) -> None:
    from indexer.outbox import outbox_claim_stale, outbox_failed

    waiting, lost = TutorProfileFactory(), TutorProfileFactory()
    for tutor in (waiting, lost):
        services.profile_update(user=tutor.user, data={"headline": "Changed"})
    TutorOutbox.objects.update(changed_at=timezone.now() - timedelta(minutes=10))
    # One task failed and retries in 250 s; the other's retry was due 250 s ago.
    outbox_failed(waiting.pk, "ConnectionError: engine down", retry_in=250)
    outbox_failed(lost.pk, "ConnectionError: engine down", retry_in=-250)
    claimed = outbox_claim_stale(min_age_seconds=3, redispatch_after_seconds=60, limit=10)
    assert claimed == [lost.pk]
    row = TutorOutbox.objects.get(tutor_id=waiting.pk)
    assert (row.attempts, row.last_error) == (1, "ConnectionError: engine down")


def test_a_failing_index_task_is_due_for_catch_up_only_when_it_stops_retrying(opensearch) -> None:
    from indexer.tasks import MAX_RETRIES, record_failed_attempt

    tutor = TutorProfileFactory()
    services.profile_update(user=tutor.user, data={"headline": "Changed"})
    before = timezone.now()
    delay = record_failed_attempt(tutor.pk, "ConnectionError: engine down", retries=MAX_RETRIES - 1)
    row = TutorOutbox.objects.get(tutor_id=tutor.pk)
    assert row.dispatched_at >= before + timedelta(seconds=delay)  # waits for the scheduled retry
    record_failed_attempt(tutor.pk, "ConnectionError: engine down", retries=MAX_RETRIES)
    row.refresh_from_db()
    assert before <= row.dispatched_at <= timezone.now()  # no retry follows: catch-up's turn
    assert row.attempts == 2
