"""One winner: concurrent transitions on real threads, each with its own database
connection, against the real PostgreSQL (transactional tests: every thread commits)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from functools import partial
from typing import Any

import pytest
from django.db import connection

from tests.factories import StudentFactory, TutorProfileFactory
from web.core.errors import Conflict
from web.profiles.models import TutorProfile
from web.relations import services
from web.relations.models import Relation, RelationStatus, RelationStatusLog

pytestmark = pytest.mark.django_db(transaction=True)


def _race(calls: list[Callable[[], Any]]) -> list[Any]:
    """Run `calls` at once (a barrier releases them together); each result or exception."""
    barrier = threading.Barrier(len(calls))
    results: list[Any] = [None] * len(calls)

    def run(index: int, call: Callable[[], Any]) -> None:
        try:
            barrier.wait()
            results[index] = call()
        except Exception as exc:  # the outcome under test
            results[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def test_twenty_concurrent_accepts_of_one_request_have_one_winner() -> None:
    tutor, ann = TutorProfileFactory().user, StudentFactory()
    relation = services.relation_request(student=ann, tutor_id=tutor.pk)
    results = _race([lambda: services.relation_accept(actor=tutor, relation_id=relation.pk)] * 20)
    winners = [r for r in results if isinstance(r, Relation)]
    losers = [r for r in results if not isinstance(r, Relation)]
    assert len(winners) == 1
    assert len(losers) == 19 and all(isinstance(r, Conflict) and "already active" in r.message for r in losers)
    assert RelationStatusLog.objects.filter(relation=relation, new_status=RelationStatus.ACTIVE).count() == 1
    assert TutorProfile.objects.get(pk=tutor.pk).active_students == 1


def test_accept_racing_cancel_has_one_winner() -> None:
    for _ in range(5):
        tutor, ann = TutorProfileFactory().user, StudentFactory()
        relation = services.relation_request(student=ann, tutor_id=tutor.pk)
        accept, cancel = _race([
            partial(services.relation_accept, actor=tutor, relation_id=relation.pk),
            partial(services.relation_cancel, actor=ann, relation_id=relation.pk),
        ])
        relation.refresh_from_db()
        outcomes = [isinstance(accept, Relation), isinstance(cancel, Relation)]
        assert outcomes.count(True) == 1, (accept, cancel)
        loser = cancel if outcomes[0] else accept
        assert isinstance(loser, Conflict) and relation.status in loser.message
        assert relation.status == (RelationStatus.ACTIVE if outcomes[0] else RelationStatus.CANCELLED)
        assert relation.log.count() == 2  # the request and the winner's transition
        assert TutorProfile.objects.get(pk=tutor.pk).active_students == (1 if outcomes[0] else 0)


def test_two_tutors_accepting_the_same_student_at_once_leave_one_active_relation() -> None:
    for _ in range(5):
        ann = StudentFactory()
        first, second = (
            services.relation_request(student=ann, tutor_id=TutorProfileFactory().user.pk) for _ in range(2)
        )
        results = _race([
            partial(services.relation_accept, actor=first.tutor, relation_id=first.pk),
            partial(services.relation_accept, actor=second.tutor, relation_id=second.pk),
        ])
        assert Relation.objects.filter(student=ann, status=RelationStatus.ACTIVE).count() == 1
        failures = [r for r in results if not isinstance(r, Relation)]
        # Either one lost on the database's one-active-tutor rule (a 409 naming it), or the
        # two ran one after the other and the second archived the first.
        for failure in failures:
            assert isinstance(failure, Conflict) and "already has an active tutor" in failure.message
        counts = TutorProfile.objects.filter(pk__in=[first.tutor_id, second.tutor_id]).values_list(
            "active_students", flat=True)
        assert sorted(counts) == [0, 1]


def test_concurrent_resends_send_once() -> None:
    from datetime import timedelta

    from django.utils import timezone

    tutor, ann = TutorProfileFactory().user, StudentFactory()
    relation = services.relation_request(student=ann, tutor_id=tutor.pk)
    Relation.objects.filter(pk=relation.pk).update(last_sent_at=timezone.now() - timedelta(days=2))
    results = _race([lambda: services.relation_resend(actor=ann, relation_id=relation.pk)] * 8)
    assert sum(isinstance(r, Relation) for r in results) == 1
    relation.refresh_from_db()
    assert relation.resend_count == 1


def test_a_recount_waits_for_an_accept_in_flight_and_keeps_it() -> None:
    from django.db import transaction

    tutor = TutorProfileFactory().user
    gone, stays, newcomer = StudentFactory(), StudentFactory(), StudentFactory()
    for student in (gone, stays):
        services.relation_accept(
            actor=tutor, relation_id=services.relation_request(student=student, tutor_id=tutor.pk).pk
        )
    gone.delete()  # outright: the relation goes with it, the count stays at 2
    pending = services.relation_request(student=newcomer, tutor_id=tutor.pk)
    accepted, release = threading.Event(), threading.Event()

    def accept_and_hold() -> None:
        try:
            with transaction.atomic():
                services.relation_accept(actor=tutor, relation_id=pending.pk)  # profile row locked: 3
                accepted.set()
                release.wait(10)
        finally:
            connection.close()

    def recount() -> list[int]:
        try:
            return services.relations_recount_active_students()
        finally:
            connection.close()

    holder = threading.Thread(target=accept_and_hold)
    holder.start()
    assert accepted.wait(10)
    result: list[Any] = []
    counter = threading.Thread(target=lambda: result.append(recount()))
    counter.start()
    counter.join(0.5)
    assert counter.is_alive()  # waiting for the accept's lock on the profile row
    release.set()
    holder.join(10)
    counter.join(10)
    # The accept committed 3; the recount, counting after the lock, set the true 2 (not the
    # 1 it would have counted before the accept committed).
    assert result == [[tutor.pk]]
    assert TutorProfile.objects.get(pk=tutor.pk).active_students == 2
    assert Relation.objects.filter(tutor=tutor, status=RelationStatus.ACTIVE).count() == 2
