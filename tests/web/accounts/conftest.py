"""Fixtures of the accounts tests: the mail a person receives, and tasks run in process."""

from __future__ import annotations

import re
from collections.abc import Callable
from urllib.parse import parse_qsl

import pytest
from django.core import mail as django_mail

from tests.indexer.conftest import broker, worker_factory  # noqa: F401  (a real broker and worker)
from web.mail.models import MailStatus, OutgoingMail
from web.mail.sending import mail_send


@pytest.fixture
def deliver() -> Callable[[], list]:
    """Send every recorded mail still pending through Django's mail framework (the locmem
    outbox of the test run), as the mail worker does after commit; returns the outbox."""

    def run() -> list:
        pending = OutgoingMail.objects.filter(status=MailStatus.PENDING).order_by("id")
        for mail_id in pending.values_list("id", flat=True):
            mail_send(mail_id)
        return django_mail.outbox

    return run


@pytest.fixture
def eager_tasks():
    """Celery tasks run in this process when enqueued (the reset mail's lookup), so a test
    of the API sees their effect in its own transaction."""
    from config.celery import app

    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = False


def link_params(body: str) -> dict[str, str]:
    """The query parameters of the link in a mail body."""
    found = re.search(r"https?://\S+\?(\S+)", body)
    assert found, body
    return dict(parse_qsl(found.group(1)))
