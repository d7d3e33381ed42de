"""The write-to-index pipeline end to end: API -> outbox -> broker -> real worker -> index."""

from __future__ import annotations

import random
import threading

import pytest
from django.db import connection
from django.utils import timezone

from indexer.models import TutorOutbox
from indexer.outbox import outbox_claim_stale
from indexer.rebuild import rebuild
from indexer.reconcile import reconcile
from indexer.tasks import index_rebuild_task, index_tutor_task
from search.client import reset_clients, write_client
from search.index_admin import alias_state
from search.indexes import TUTORS
from tests.factories import TutorProfileFactory
from tests.indexer.conftest import wait_until
from tests.support.tcp_proxy import TcpProxy
from web.profiles.models import TutorProfile

pytestmark = [pytest.mark.pipeline, pytest.mark.django_db(transaction=True)]

NO_DRIFT = {"missing": 0, "stale": 0, "orphaned": 0, "hidden": 0}


def _indexed_version(tutor_id: int) -> int | None:
    client = write_client()
    found = client.get(index=TUTORS.read_alias, id=str(tutor_id), ignore=[404])
    return found["_source"]["version"] if found.get("found") else None


def _db_version(tutor_id: int) -> int:
    return TutorProfile.objects.values_list("version", flat=True).get(pk=tutor_id)


def _in_sync(tutor_id: int) -> bool:
    return _indexed_version(tutor_id) == _db_version(tutor_id) and not TutorOutbox.objects.exists()


def test_a_patch_becomes_searchable(opensearch, broker, worker_factory, auth_client) -> None:
    tutor = TutorProfileFactory()
    worker_factory()
    body = {"headline": "Quantum kitchen chemistry"}
    response = auth_client(tutor.user).patch("/api/me/profile/", body, format="json")
    assert response.status_code == 200

    def searchable() -> bool:
        client = write_client()
        client.indices.refresh(index=TUTORS.read_alias)
        body = {"query": {"match": {"headline": "quantum kitchen"}}}
        return [h["_id"] for h in client.search(index=TUTORS.read_alias, body=body)["hits"]["hits"]] == [str(tutor.pk)]

    wait_until(searchable, timeout=30)


def test_interleaved_updates_and_shuffled_replays_end_at_the_db_version(
    opensearch, broker, worker_factory, auth_client
) -> None:
    tutor = TutorProfileFactory()
    worker_factory()
    client = auth_client(tutor.user)
    for n in range(200):
        assert client.patch("/api/me/profile/", {"hourly_rate": 100 + n}, format="json").status_code == 200
    wait_until(lambda: _in_sync(tutor.pk), timeout=60)

    replays = [tutor.pk] * 200
    for _ in range(2):
        random.shuffle(replays)
        for tutor_id in replays:
            index_tutor_task.apply_async(args=[tutor_id], countdown=random.random())
    client.patch("/api/me/profile/", {"hourly_rate": 7}, format="json")
    wait_until(lambda: _in_sync(tutor.pk), timeout=60)
    assert _indexed_version(tutor.pk) == _db_version(tutor.pk) == tutor.version + 201


def test_a_deleted_tutor_leaves_the_index(opensearch, broker, worker_factory) -> None:
    tutor, other = TutorProfileFactory(), TutorProfileFactory()
    rebuild()
    assert _indexed_version(tutor.pk) is not None
    worker_factory()
    tutor.user.delete()  # as the admin does; the profile goes with the user
    wait_until(lambda: _indexed_version(tutor.pk) is None and not TutorOutbox.objects.exists(), timeout=30)
    assert _indexed_version(other.pk) is not None


def test_a_handed_over_change_is_not_dispatched_again_by_catch_up(
    opensearch, broker, worker_factory, auth_client
) -> None:
    tutor = TutorProfileFactory()
    # No worker yet: the task waits in the queue, as when the workers are behind.
    response = auth_client(tutor.user).patch("/api/me/profile/", {"hourly_rate": 321}, format="json")
    assert response.status_code == 200
    row = TutorOutbox.objects.get(tutor_id=tutor.pk)
    assert row.dispatched_at is not None
    assert outbox_claim_stale(min_age_seconds=0, redispatch_after_seconds=60, limit=10) == []
    worker_factory()
    wait_until(lambda: _in_sync(tutor.pk), timeout=30)


def test_writes_during_a_broker_outage_are_all_indexed_after_it_returns(
    opensearch, broker, worker_factory, auth_client
) -> None:
    tutors = [TutorProfileFactory() for _ in range(10)]
    worker_factory()
    port = broker.port
    broker.stop()

    for n in range(100):
        tutor = tutors[n % 10]
        response = auth_client(tutor.user).patch("/api/me/profile/", {"hourly_rate": 200 + n}, format="json")
        assert response.status_code == 200
    assert TutorOutbox.objects.count() == 10

    broker.start()  # same port, same append-only file
    assert broker.port == port
    wait_until(lambda: all(_in_sync(t.pk) for t in tutors), timeout=90)


def test_tasks_retry_through_an_opensearch_outage(opensearch, broker, worker_factory, auth_client, settings) -> None:
    host, port = opensearch.removeprefix("http://").split(":")
    proxy = TcpProxy(host, int(port)).start()
    settings.OPENSEARCH_URL = proxy.url
    reset_clients()
    tutor = TutorProfileFactory()
    worker_factory()
    proxy.cut()

    response = auth_client(tutor.user).patch("/api/me/profile/", {"headline": "Written while search was down"},
                                             format="json")
    assert response.status_code == 200
    wait_until(lambda: TutorOutbox.objects.filter(tutor_id=tutor.pk, attempts__gte=1).exists(), timeout=30)

    proxy.restore()
    wait_until(lambda: _in_sync(tutor.pk), timeout=60)
    proxy.cut()


def _bulk_tutors(count: int) -> None:
    from django.contrib.auth.hashers import make_password

    from web.accounts.models import Role, User

    password = make_password("x")
    users = User.objects.bulk_create(
        User(email=f"bulk{n}@example.com", full_name=f"Bulk Tutor {n}", role=Role.TUTOR, password=password,
             email_verified_at=timezone.now())
        for n in range(count)
    )
    TutorProfile.objects.bulk_create(
        TutorProfile(user=user, headline=f"Tutor {user.pk}", subjects=["math"], hourly_rate=100 + user.pk % 400)
        for user in users
    )


def test_a_worker_killed_mid_rebuild_leaves_the_index_equal_to_the_db(
    opensearch, broker, worker_factory, auth_client
) -> None:
    _bulk_tutors(5000)
    assert rebuild().swapped
    worker = worker_factory(INDEX_REBUILD_BATCH_SIZE="10")
    index_rebuild_task.delay()

    def mid_rebuild() -> bool:
        state = alias_state(write_client(), TUTORS)
        new = [name for name in state.write if name not in state.read]
        if not new:
            return False
        write_client().indices.refresh(index=new[0])
        return write_client().count(index=new[0])["count"] > 0

    wait_until(mid_rebuild, timeout=60, interval=0.02)
    worker.kill()
    state = alias_state(write_client(), TUTORS)
    leftover = [name for name in state.write if name not in state.read]
    assert leftover, "the rebuild finished before the worker was killed"

    edited = list(TutorProfile.objects.order_by("?")[:3])
    for profile in edited:
        response = auth_client(profile.user).patch(
            "/api/me/profile/", {"headline": "Edited after the crash"}, format="json"
        )
        assert response.status_code == 200, response.content
    worker_factory()
    wait_until(lambda: not TutorOutbox.objects.exists(), timeout=60)

    write_client().indices.refresh(index=TUTORS.read_alias)
    assert reconcile(repair=False).counts() == NO_DRIFT
    assert write_client().count(index=TUTORS.read_alias)["count"] == 5000
    # The next rebuild clears what the dead one left behind and swaps cleanly.
    report = rebuild()
    assert report.swapped, report.reason
    assert leftover[0] in report.dropped
    assert alias_state(write_client(), TUTORS).write == [report.index]


def test_rebuild_under_concurrent_writes_and_searches(opensearch, broker, worker_factory) -> None:
    from web.profiles import services

    tutors = [TutorProfileFactory() for _ in range(60)]
    assert rebuild().swapped
    worker_factory()
    stop = threading.Event()
    failures: list[str] = []
    searches = [0]

    def search_loop() -> None:
        client = write_client()
        while not stop.is_set():
            try:
                result = client.search(index=TUTORS.read_alias, body={"query": {"term": {"subjects": "math"}}})
                if result["hits"]["total"]["value"] == 0:
                    failures.append("empty result")
                searches[0] += 1
            except Exception as exc:
                failures.append(repr(exc))

    writes = [0]

    def write_loop() -> None:
        try:
            while not stop.is_set():
                tutor = tutors[writes[0] % len(tutors)]
                services.profile_update(user=tutor.user, data={"hourly_rate": 300 + writes[0]})
                writes[0] += 1
        except Exception as exc:  # a dead writer would leave the rebuilds nothing to race
            failures.append(repr(exc))
        finally:
            connection.close()

    threads = [threading.Thread(target=search_loop), threading.Thread(target=write_loop)]
    for thread in threads:
        thread.start()
    try:
        for _ in range(2):
            writes_before = writes[0]
            report = rebuild(batch_size=10)
            assert report.swapped, report.reason
            assert writes[0] > writes_before, "no write raced this rebuild"
    finally:
        stop.set()
        for thread in threads:
            thread.join()
    assert failures == []
    assert searches[0] > 0
    wait_until(lambda: not TutorOutbox.objects.exists(), timeout=60)
    assert reconcile(repair=False).counts() == NO_DRIFT
