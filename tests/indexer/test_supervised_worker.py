"""Under the launcher's supervision, a worker killed outright is started again and no
accepted change is lost from the index."""

from __future__ import annotations

import os
import signal
import sys

import pytest

from config.launcher import Supervised, Supervisor
from indexer.models import TutorOutbox
from search.client import write_client
from search.indexes import TUTORS
from tests.factories import TutorProfileFactory
from tests.indexer.conftest import wait_until
from web.profiles.models import TutorProfile

pytestmark = [pytest.mark.pipeline, pytest.mark.django_db(transaction=True)]


def _indexed_version(tutor_id: int) -> int | None:
    found = write_client().get(index=TUTORS.read_alias, id=str(tutor_id), ignore=[404])
    return found["_source"]["version"] if found.get("found") else None


def _all_indexed(tutor_ids: list[int]) -> bool:
    versions = dict(TutorProfile.objects.filter(pk__in=tutor_ids).values_list("pk", "version"))
    return all(_indexed_version(pk) == versions[pk] for pk in tutor_ids) and not TutorOutbox.objects.exists()


def test_a_sigkilled_worker_is_restarted_and_every_accepted_change_is_indexed(
    opensearch, broker, worker_factory, auth_client, tmp_path
) -> None:
    # The environment the pipeline tests give their workers (this test's database, broker
    # and index), under the launcher's supervision with the launcher's commands.
    probe = worker_factory()  # only for its environment
    probe.stop()
    python = sys.executable
    worker = Supervised("worker", [python, "-m", "celery", "-A", "config", "--quiet", "worker", "--concurrency", "1",
                                   "-Q", "celery,index,activity,mail", "--without-heartbeat", "--without-gossip",
                                   "--without-mingle"], env=probe.env, new_session=True)
    beat = Supervised("beat", [python, "-m", "celery", "-A", "config", "--quiet", "beat",
                               "--schedule", str(tmp_path / "beat-schedule")], env=probe.env, new_session=True)
    supervisor = Supervisor([worker, beat], backoff_base=0.5)
    groups: set[int] = set()
    try:
        supervisor.start()
        groups.update(service.proc.pid for service in (worker, beat) if service.proc)
        tutors = [TutorProfileFactory() for _ in range(6)]
        ids = [tutor.pk for tutor in tutors]
        for n, tutor in enumerate(tutors[:3]):
            assert auth_client(tutor.user).patch("/api/me/profile/", {"hourly_rate": 100 + n},
                                                 format="json").status_code == 200
        wait_until(lambda: (supervisor.check(), _all_indexed(ids[:3]))[1], timeout=60)

        first = worker.proc
        assert first is not None
        os.kill(first.pid, signal.SIGKILL)  # the main process only, as `kill -9 <pid>` does
        # Changes accepted while the worker is down or restarting.
        for n, tutor in enumerate(tutors):
            assert auth_client(tutor.user).patch("/api/me/profile/", {"hourly_rate": 200 + n},
                                                 format="json").status_code == 200
        wait_until(lambda: supervisor.check() and worker.proc is not first and worker.proc.poll() is None, timeout=30)
        groups.add(worker.proc.pid)
        wait_until(lambda: (supervisor.check(), _all_indexed(ids))[1], timeout=120)
        assert first.returncode == -signal.SIGKILL
        assert beat.proc is not None and beat.proc.poll() is None
    finally:
        for group in groups:
            try:
                os.killpg(group, signal.SIGKILL)
            except ProcessLookupError:
                pass
        for service in (worker, beat):
            if service.proc is not None:
                service.proc.wait(10)


