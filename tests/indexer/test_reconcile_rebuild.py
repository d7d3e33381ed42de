"""Drift repair, the gated rebuild and rollback, against a real (embedded) index."""

from __future__ import annotations

import copy

import pytest
from django.db import connection

from indexer import rebuild as rebuild_module
from indexer.rebuild import check_gate, ensure_index, rebuild, rollback
from indexer.reconcile import index_versions, reconcile
from indexer.sync import tutor_sync
from search.client import write_client
from search.index_admin import alias_state, aliases_update, index_fingerprint
from search.indexes import TUTORS
from tests.factories import TutorProfileFactory
from web.profiles import services
from web.profiles.models import TutorProfile

pytestmark = pytest.mark.django_db


def _serve_from_an_older_definition(client, drop_field: str | None = None) -> str:
    """Create an index as an older version of the code built it (another fingerprint,
    optionally a field its mapping lacked) and move both aliases onto it."""
    old = TUTORS.new_index_name()
    body = copy.deepcopy(TUTORS.body())
    if drop_field:
        del body["mappings"]["properties"][drop_field]
    body["mappings"]["_meta"] = {"definition": "older"}
    client.indices.create(index=old, body=body)
    state = alias_state(client, TUTORS)
    aliases_update(client, [
        *({"remove": {"index": name, "alias": TUTORS.read_alias}} for name in state.read),
        *({"remove": {"index": name, "alias": TUTORS.write_alias}} for name in state.write),
        {"add": {"index": old, "alias": TUTORS.read_alias}},
        {"add": {"index": old, "alias": TUTORS.write_alias}},
    ])
    return old


def _ids_in_index() -> set[int]:
    client = write_client()
    client.indices.refresh(index=TUTORS.read_alias)
    hits = client.search(index=TUTORS.read_alias, body={"size": 1000, "_source": False})["hits"]["hits"]
    return {int(hit["_id"]) for hit in hits}


def test_reconcile_finds_and_repairs_each_kind_of_drift(opensearch) -> None:
    missing, stale, orphan, hidden, fine = (TutorProfileFactory() for _ in range(5))
    for profile in (stale, orphan, hidden, fine):
        tutor_sync(profile.pk)
    # Drift made behind the pipeline's back:
    TutorProfile.objects.filter(pk=stale.pk).update(headline="Changed quietly", version=stale.version + 1)
    TutorProfile.objects.filter(pk=hidden.pk).update(public_profile_enabled=False, version=hidden.version + 1)
    orphan.user.delete()

    report = reconcile()
    assert (report.missing, report.stale, report.orphaned, report.hidden) == (
        [missing.pk], [stale.pk], [orphan.pk], [hidden.pk]
    )
    assert _ids_in_index() == {missing.pk, stale.pk, fine.pk}
    assert reconcile().counts() == {"missing": 0, "stale": 0, "orphaned": 0, "hidden": 0}


def test_index_versions_walks_every_page_in_id_order(opensearch) -> None:
    profiles = [TutorProfileFactory() for _ in range(7)]
    for profile in profiles:
        tutor_sync(profile.pk)
    client = write_client()
    client.indices.refresh(index=TUTORS.read_alias)
    expected = {p.pk: p.version for p in profiles}
    # Pages of 3 and of 7: a last page that is short, and one that is exactly full.
    assert index_versions(client, TUTORS.read_alias, page=3) == expected
    assert index_versions(client, TUTORS.read_alias, page=7) == expected
    assert index_versions(client, "no-such-index") == {}


def test_reconcile_repairs_drift_that_kept_its_version(opensearch) -> None:
    # e.g. a bulk update in the shell that skipped the services: no version bump.
    hidden = TutorProfileFactory()
    tutor_sync(hidden.pk)
    TutorProfile.objects.filter(pk=hidden.pk).update(public_profile_enabled=False)
    assert reconcile().hidden == [hidden.pk]
    assert hidden.pk not in _ids_in_index()
    assert reconcile().counts() == {"missing": 0, "stale": 0, "orphaned": 0, "hidden": 0}


def test_a_swap_settles_only_the_outbox_rows_the_new_index_made_redundant(opensearch, monkeypatch) -> None:
    from datetime import timedelta

    from django.utils import timezone

    from indexer.models import TutorOutbox

    done, just_now, changed_later, renamed = (TutorProfileFactory() for _ in range(4))
    hidden = TutorProfileFactory(public_profile_enabled=False)
    TutorOutbox.objects.all().delete()
    for profile, at in ((done, timezone.now() - timedelta(minutes=5)), (just_now, timezone.now()),
                        (changed_later, timezone.now()), (hidden, timezone.now())):
        TutorOutbox.objects.create(tutor_id=profile.pk, first_changed_at=at, changed_at=at)
    real_replay = rebuild_module._replay

    def changes_during_the_load(*args, **kwargs):
        # One the load did not see (its version moves), and one that keeps the version
        # (a subject renamed in the catalogue): both rows must stay for the worker.
        TutorProfile.objects.filter(pk=changed_later.pk).update(version=changed_later.version + 1)
        TutorOutbox.objects.create(tutor_id=renamed.pk, first_changed_at=timezone.now(), changed_at=timezone.now())
        return real_replay(*args, **kwargs)

    monkeypatch.setattr(rebuild_module, "_replay", changes_during_the_load)
    report = rebuild()
    assert report.swapped, report.reason
    # Recorded before the load began and still at the version it wrote: nothing left to do.
    assert report.settled == 2
    assert set(TutorOutbox.objects.values_list("tutor_id", flat=True)) == {changed_later.pk, renamed.pk, hidden.pk}


def test_rebuild_swaps_to_a_new_index_equal_to_the_db(opensearch) -> None:
    listed = [TutorProfileFactory() for _ in range(30)]
    TutorProfileFactory(public_profile_enabled=False)
    before = alias_state(write_client(), TUTORS)

    report = rebuild(batch_size=7)
    assert report.swapped, report.reason
    assert report.documents == report.db_count == 30
    after = alias_state(write_client(), TUTORS)
    assert after.read == after.write == [report.index]
    assert before.live in after.all_indices, "the previous index is kept for rollback"
    assert _ids_in_index() == {p.pk for p in listed}
    assert reconcile(repair=False).counts() == {"missing": 0, "stale": 0, "orphaned": 0, "hidden": 0}


def test_the_report_times_the_whole_rebuild_in_phases_that_add_up(opensearch) -> None:
    for _ in range(12):
        TutorProfileFactory()
    report = rebuild(batch_size=5)
    assert report.swapped, report.reason
    assert list(report.phases) == list(rebuild_module.PHASES)
    assert all(seconds >= 0 for seconds in report.phases.values())
    assert sum(report.phases.values()) == pytest.approx(report.seconds, abs=1e-3)
    assert report.seconds > report.phases["load"] > 0
    assert report.docs_per_second == pytest.approx(report.documents / report.seconds, rel=0.05)


def test_a_failed_rebuild_reports_the_phases_it_reached(opensearch) -> None:
    TutorProfileFactory()

    def refuse(client, indexer, index, sample):
        raise rebuild_module.GateFailedError("refused")

    report = rebuild(gate=refuse)
    assert not report.swapped
    assert list(report.phases) == ["create", "load", "replay", "reconcile"]
    assert sum(report.phases.values()) == pytest.approx(report.seconds, abs=1e-3)


def test_the_replay_resends_only_tutors_changed_after_the_load_read_them(opensearch, monkeypatch) -> None:
    """Tutors created or edited just before the rebuild (a fresh start after seeding) are
    loaded at their current version and not sent again; one edited after its batch was
    read is, at its new version."""
    tutors = [TutorProfileFactory() for _ in range(8)]
    real_load = rebuild_module.bulk_load

    def load(*args, **kwargs):
        written = real_load(*args, **kwargs)
        # Read and written by the load, then changed; with no worker running, only the
        # replay brings the new version to the new index.
        services.profile_update(user=tutors[3].user, data={"headline": "Changed during the rebuild"})
        return written

    monkeypatch.setattr(rebuild_module, "bulk_load", load)
    report = rebuild(batch_size=3)
    assert report.swapped, report.reason
    assert report.replayed == 1
    assert report.repaired == {"missing": 0, "stale": 0, "orphaned": 0, "hidden": 0}
    doc = write_client().get(index=report.index, id=str(tutors[3].pk))["_source"]
    assert doc["headline"] == "Changed during the rebuild"

    monkeypatch.setattr(rebuild_module, "bulk_load", real_load)
    assert rebuild().replayed == 0


def test_a_rebuild_whose_gate_fails_does_not_swap(opensearch) -> None:
    [TutorProfileFactory() for _ in range(5)]
    live = alias_state(write_client(), TUTORS).live

    def losing_gate(client, indexer, index, sample):
        # A document lost on the way (as a failed bulk item would): the real gate must notice.
        client.indices.refresh(index=index)
        some = client.search(index=index, body={"size": 1})["hits"]["hits"][0]["_id"]
        client.delete(index=index, id=some, refresh=True)
        return check_gate(client, indexer, index, sample, attempts=1)

    report = rebuild(gate=losing_gate)
    assert not report.swapped
    assert "document count 4" in report.reason
    state = alias_state(write_client(), TUTORS)
    assert state.read == state.write == [live]
    assert report.index not in state.all_indices


def test_a_rebuild_with_a_wrong_document_at_the_right_count_does_not_swap(opensearch) -> None:
    tutors = [TutorProfileFactory() for _ in range(5)]
    live = alias_state(write_client(), TUTORS).live

    def corrupting_gate(client, indexer, index, sample):
        # Same count, same version, wrong content: only the sample comparison can tell.
        client.indices.refresh(index=index)
        doc = client.get(index=index, id=str(tutors[2].pk))
        source = {**doc["_source"], "headline": "Stale headline"}
        client.index(index=index, id=doc["_id"], body=source, version=source["version"],
                     version_type="external_gte", refresh=True)
        return check_gate(client, indexer, index, len(tutors), attempts=1)

    report = rebuild(gate=corrupting_gate)
    assert not report.swapped
    assert f"document {tutors[2].pk} differs from the database" in report.reason
    state = alias_state(write_client(), TUTORS)
    assert state.read == state.write == [live]
    assert report.index not in state.all_indices


def test_catch_up_builds_the_index_when_the_engine_has_none(opensearch) -> None:
    from indexer.tasks import index_catch_up_task

    listed = {TutorProfileFactory().pk for _ in range(4)}
    TutorProfileFactory(public_profile_enabled=False)
    client = write_client()
    for name in alias_state(client, TUTORS).all_indices:  # a restarted in-memory engine
        client.indices.delete(index=name)
    assert alias_state(client, TUTORS).live is None

    index_catch_up_task()
    state = alias_state(client, TUTORS)
    assert state.live is not None and state.read == state.write == [state.live]
    assert _ids_in_index() == listed


def test_rollback_returns_to_the_previous_index_and_repairs_it(opensearch) -> None:
    first = TutorProfileFactory()
    old = alias_state(write_client(), TUTORS).live
    assert rebuild().swapped
    late = TutorProfileFactory()
    tutor_sync(late.pk)  # reaches only the new index

    assert rollback() == old
    state = alias_state(write_client(), TUTORS)
    assert state.read == state.write == [old]
    assert _ids_in_index() == {first.pk, late.pk}


def test_rollback_repairs_the_previous_index_before_searches_read_it(opensearch, monkeypatch) -> None:
    went_private = TutorProfileFactory()
    tutor_sync(went_private.pk)
    old = alias_state(write_client(), TUTORS).live
    assert rebuild().swapped
    # Since the swap: a tutor went private, reaching only the new index.
    services.profile_update(user=went_private.user, data={"public_profile_enabled": False})
    tutor_sync(went_private.pk)

    seen_when_read: list[set[int]] = []
    real_update = rebuild_module.aliases_update

    def watch(client, actions):  # the real update, after noting what the old index holds then
        if {"add": {"index": old, "alias": TUTORS.read_alias}} in actions:
            client.indices.refresh(index=old)
            hits = client.search(index=old, body={"size": 1000, "_source": False})["hits"]["hits"]
            seen_when_read.append({int(hit["_id"]) for hit in hits})
        real_update(client, actions)

    monkeypatch.setattr(rebuild_module, "aliases_update", watch)
    assert rollback() == old
    assert seen_when_read == [set()]
    assert went_private.pk not in _ids_in_index()


def test_rollback_refuses_an_index_built_from_another_mapping(opensearch) -> None:
    client = write_client()
    tutor = TutorProfileFactory()
    # The live index as an older version of the code built it, then a rebuild.
    old = _serve_from_an_older_definition(client, drop_field="available_weekdays")
    for name in alias_state(client, TUTORS).all_indices:
        if name != old:
            client.indices.delete(index=name)
    report = rebuild()
    assert report.swapped, report.reason
    assert alias_state(client, TUTORS).all_indices == [old, report.index]

    with pytest.raises(RuntimeError, match="another mapping"):
        rollback()
    after = alias_state(client, TUTORS)
    assert after.read == after.write == [report.index]
    # Writes still land: a tutor hiding the bio is hidden in what searches read.
    services.profile_update(user=tutor.user, data={"privacy": {"show_bio_publicly": False}})
    tutor_sync(tutor.pk)
    client.indices.refresh(index=TUTORS.read_alias)
    assert "bio" not in client.get(index=TUTORS.read_alias, id=str(tutor.pk))["_source"]


def test_rollback_to_an_index_of_another_analysis_but_the_same_fields_is_allowed(opensearch) -> None:
    client = write_client()
    tutor = TutorProfileFactory()
    old = _serve_from_an_older_definition(client)  # another fingerprint, every field this code writes
    tutor_sync(tutor.pk)
    assert rebuild().swapped
    assert rollback() == old
    assert alias_state(client, TUTORS).read == [old]


def test_a_rebuild_repairs_only_its_new_index(opensearch, monkeypatch) -> None:
    """Drift found in the new index is written there alone: the live index may be of an
    older mapping that refuses this code's documents (a deploy's rebuild)."""
    tutors = [TutorProfileFactory() for _ in range(3)]
    _serve_from_an_older_definition(write_client(), drop_field="available_weekdays")
    real_replay = rebuild_module._replay

    def replay(client, indexer, index, since, **kwargs):
        replayed = real_replay(client, indexer, index, since, **kwargs)
        # A change after the replay whose index task has not run (no worker here).
        services.profile_update(user=tutors[0].user, data={"headline": "Changed after the replay"})
        return replayed

    monkeypatch.setattr(rebuild_module, "_replay", replay)
    report = rebuild()
    assert report.swapped, report.reason
    assert report.repaired["stale"] == 1
    doc = write_client().get(index=report.index, id=str(tutors[0].pk))["_source"]
    assert doc["headline"] == "Changed after the replay"


@pytest.mark.django_db(transaction=True)  # the sender thread's connection sees the tutors
def test_a_tutor_deleted_while_its_batch_is_in_flight_is_not_in_the_new_index(opensearch, monkeypatch) -> None:
    tutors = [TutorProfileFactory() for _ in range(6)]
    doomed = tutors[4]
    for n in range(3):  # a tutor with a history: version 4
        services.profile_update(user=doomed.user, data={"headline": f"Edit {n}"})
    real_send = rebuild_module._send

    def send(client, actions):
        # The batch holding the tutor was read; before it is sent, an admin deletes the
        # tutor and the delete task removes the document from every index.
        if any(action["_id"] == str(doomed.pk) for action in actions) and TutorProfile.objects.filter(
            pk=doomed.pk
        ).exists():
            try:
                doomed.user.delete()
                tutor_sync(doomed.pk)
            finally:
                connection.close()  # this thread's own
        return real_send(client, actions)

    monkeypatch.setattr(rebuild_module, "_send", send)
    report = rebuild(batch_size=2)
    assert report.swapped, report.reason
    assert report.repaired["orphaned"] == 1
    assert doomed.pk not in _ids_in_index()
    assert _ids_in_index() == {t.pk for t in tutors if t is not doomed}


def test_ensure_rebuilds_an_index_made_from_another_definition(opensearch) -> None:
    tutors = {TutorProfileFactory().pk for _ in range(3)}
    client = write_client()
    assert ensure_index(rebuild_outdated=True) is None  # the fixture's index is current
    # An index as an older version of the code would have left it: another mapping.
    old = _serve_from_an_older_definition(client)

    assert ensure_index() is None  # the frequent path only builds a missing index
    assert alias_state(client, TUTORS).live == old

    report = ensure_index(rebuild_outdated=True)
    assert report is not None and report.swapped, report
    live = alias_state(client, TUTORS).live
    assert live != old
    assert index_fingerprint(client, live) == TUTORS.fingerprint()
    assert _ids_in_index() == tutors
