"""The one mail path: recorded with the change, sent once, in the recipient's language."""

from __future__ import annotations

from pathlib import Path

import pytest
import redis
from django.core import mail as django_mail
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from django.template.loader import get_template

from config.env import email_from_url
from tests.factories import UserFactory
from tests.indexer.conftest import wait_until
from web.mail.models import LANGUAGES, MailStatus, OutgoingMail
from web.mail.rendering import UnknownTemplate, render_mail
from web.mail.sending import mail_claim_stale, mail_send
from web.mail.services import mail_enqueue, mail_to_user
from web.mail.tasks import mail_catch_up_task, mail_send_task

TEMPLATES_DIR = Path(__file__).resolve().parents[3] / "web" / "mail" / "templates" / "mail"
CONTEXT = {"full_name": "Olena Kovalenko", "email": "olena@example.com", "link": "https://x.test/v/abc",
           "valid_hours": 48, "valid_minutes": 60}


def _enqueue(key: str = "account.verify:1:1", language: str = "en", **extra) -> int | None:
    return mail_enqueue(key=key, to_email="olena@example.com", template="verify_email", language=language,
                        context=CONTEXT, **extra)


class FailingOnce:
    """An SMTP server that refuses the first mail it is given, then takes them."""

    calls = 0

    def __init__(self, *args, **kwargs) -> None:
        pass

    def send_messages(self, messages):
        type(self).calls += 1
        if type(self).calls == 1:
            raise ConnectionRefusedError("smtp down")
        django_mail.outbox.extend(messages)
        return len(messages)


def test_every_template_exists_in_every_language() -> None:
    templates = sorted(path.name for path in TEMPLATES_DIR.iterdir() if path.is_dir())
    assert templates, "no mail templates"
    for template in templates:
        for language in LANGUAGES:
            source = get_template(f"mail/{template}/{language}.txt").template.source
            assert source.startswith("Subject: "), (template, language)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("language", "subject_word"),
    [("uk", "Підтвердьте"), ("pl", "Potwierdź"), ("en", "Confirm"), ("de", "Confirm"), (None, "Confirm")],
)
def test_a_mail_is_written_in_the_recipients_language(language, subject_word) -> None:
    with transaction.atomic():
        mail_id = mail_enqueue(key=f"k:{language}", to_email="o@example.com", template="verify_email",
                               language=language, context=CONTEXT)
    assert mail_send(mail_id) == "sent"
    [message] = django_mail.outbox
    assert subject_word in message.subject
    assert "https://x.test/v/abc" in message.body
    assert message.to == ["o@example.com"]
    assert message.content_subtype == "plain"


@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_change_sends_no_mail() -> None:
    with pytest.raises(RuntimeError), transaction.atomic():
        _enqueue()
        raise RuntimeError("the change failed")
    assert not OutgoingMail.objects.exists()


@pytest.mark.django_db
def test_the_same_event_is_one_mail(django_capture_on_commit_callbacks) -> None:
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        first = _enqueue()
        second = _enqueue()
    assert first is not None and second is None
    assert OutgoingMail.objects.count() == 1
    assert len(callbacks) == 1  # one task for one mail


@pytest.mark.django_db
def test_a_task_that_runs_again_does_not_send_again() -> None:
    mail_id = _enqueue()
    assert [mail_send(mail_id) for _ in range(3)] == ["sent", "skipped", "skipped"]
    assert len(django_mail.outbox) == 1
    row = OutgoingMail.objects.get(pk=mail_id)
    assert row.status == MailStatus.SENT and row.attempts == 1 and row.sent_at is not None


@pytest.mark.django_db
def test_a_refused_send_stays_pending_and_is_sent_once_on_retry(settings) -> None:
    FailingOnce.calls = 0
    settings.EMAIL_BACKEND = f"{__name__}.FailingOnce"
    mail_id = _enqueue()
    with pytest.raises(ConnectionRefusedError):
        mail_send(mail_id)
    assert OutgoingMail.objects.get(pk=mail_id).status == MailStatus.PENDING
    assert mail_send(mail_id) == "sent"
    assert mail_send(mail_id) == "skipped"
    assert len(django_mail.outbox) == 1


@pytest.mark.django_db
def test_the_task_gives_up_after_its_last_retry(settings) -> None:
    settings.EMAIL_BACKEND = f"{__name__}.FailingOnce"
    FailingOnce.calls = 0
    mail_id = _enqueue()
    # Run the task body as its last retry would: the failure is final.
    result = mail_send_task.apply(args=[mail_id], retries=mail_send_task.max_retries)
    assert result.get() == "failed"
    row = OutgoingMail.objects.get(pk=mail_id)
    assert row.status == MailStatus.FAILED and row.attempts == 1 and "smtp down" in row.last_error
    assert mail_claim_stale(min_age_seconds=0, redispatch_after_seconds=0, limit=10) == []


@pytest.mark.django_db
def test_a_subject_stays_one_line() -> None:
    rendered = render_mail("verify_email", "en", {**CONTEXT, "full_name": "x\nBcc: victim@example.com"})
    assert "\n" not in rendered.subject
    assert "Bcc:" not in rendered.subject


@pytest.mark.django_db
def test_unknown_templates_and_bad_keys_are_refused() -> None:
    with pytest.raises(UnknownTemplate):
        mail_enqueue(key="k", to_email="o@example.com", template="nope", language="en", context={})
    with pytest.raises(ValueError):
        mail_enqueue(key="", to_email="o@example.com", template="verify_email", language="en", context={})
    assert not OutgoingMail.objects.exists()


@pytest.mark.django_db
def test_mail_to_user_uses_the_users_address_and_language() -> None:
    user = UserFactory(email="taras@example.com", language="uk")
    mail_id = mail_to_user(user, "password_reset", key="reset:1", context=CONTEXT)
    mail_send(mail_id)
    [message] = django_mail.outbox
    assert message.to == ["taras@example.com"] and "Скидання" in message.subject


@pytest.mark.django_db
def test_attachments_travel_with_the_mail() -> None:
    mail_id = _enqueue(attachments=[{"filename": "lesson.ics", "content": "BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n",
                                     "mimetype": "text/calendar"}])
    mail_send(mail_id)
    [message] = django_mail.outbox
    assert message.attachments[0][0] == "lesson.ics"
    assert message.attachments[0][2].startswith("text/calendar")


@pytest.mark.django_db
def test_catch_up_claims_only_mails_nobody_handles() -> None:
    waiting = _enqueue(key="a")
    handed_over = _enqueue(key="b")
    OutgoingMail.objects.filter(pk=handed_over).update(dispatched_at=OutgoingMail.objects.get(pk=waiting).created_at)
    claimed = mail_claim_stale(min_age_seconds=0, redispatch_after_seconds=3600, limit=10)
    assert claimed == [waiting]
    # Claimed once: a concurrent or later run does not claim it again before it is due.
    assert mail_claim_stale(min_age_seconds=0, redispatch_after_seconds=3600, limit=10) == []


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("console://", {"EMAIL_BACKEND": "django.core.mail.backends.console.EmailBackend"}),
        ("smtp://u%40x:p%3Aw@mail.example.com", {"EMAIL_HOST": "mail.example.com", "EMAIL_PORT": 587,
                                                  "EMAIL_HOST_USER": "u@x", "EMAIL_HOST_PASSWORD": "p:w",
                                                  "EMAIL_USE_TLS": True, "EMAIL_USE_SSL": False}),
        ("smtps://mail.example.com", {"EMAIL_PORT": 465, "EMAIL_USE_SSL": True, "EMAIL_USE_TLS": False}),
        ("smtp://mail.example.com:25?tls=0&timeout=3",
         {"EMAIL_PORT": 25, "EMAIL_USE_TLS": False, "EMAIL_TIMEOUT": 3.0}),
        ("file:///tmp/mails", {"EMAIL_FILE_PATH": "/tmp/mails"}),
    ],
)
def test_email_url(url, expected) -> None:
    settings = email_from_url(url)
    assert {key: settings[key] for key in expected} == expected


@pytest.mark.parametrize("url", ["http://x", "smtp://", "file://", "smtp://h?timeout=soon"])
def test_a_bad_email_url_is_refused(url) -> None:
    with pytest.raises(ImproperlyConfigured):
        email_from_url(url)


def _mail_files(directory: Path) -> list[Path]:
    return sorted(directory.glob("*.log")) if directory.exists() else []


@pytest.mark.pipeline
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_sends_once_however_often_the_task_arrives(broker, worker_factory, tmp_path) -> None:
    outbox = tmp_path / "sent"
    worker_factory(EMAIL_URL=f"file://{outbox}")
    with transaction.atomic():
        mail_id = _enqueue()
    wait_until(lambda: OutgoingMail.objects.get(pk=mail_id).status == MailStatus.SENT, timeout=30)
    # The same task again, as a redelivery after a lost worker or a catch-up would send it.
    for _ in range(5):
        mail_send_task.apply_async(args=[mail_id])
    OutgoingMail.objects.filter(pk=mail_id).update(dispatched_at=None)
    mail_catch_up_task.apply_async()
    queue = redis.Redis.from_url(broker.url)
    # Every copy taken off the queue and acknowledged: each one ran.
    wait_until(lambda: queue.llen("mail") == 0 and queue.hlen("unacked") == 0, timeout=30)
    wait_until(lambda: len(_mail_files(outbox)) >= 1, timeout=10)
    [sent] = _mail_files(outbox)
    assert sent.read_text().count("Subject: Confirm your email address") == 1


@pytest.mark.pipeline
@pytest.mark.django_db(transaction=True)
def test_a_mail_recorded_while_the_broker_is_down_is_sent_by_catch_up(broker, worker_factory, tmp_path) -> None:
    outbox = tmp_path / "sent"
    broker.stop()
    with transaction.atomic():
        mail_id = _enqueue()
    assert OutgoingMail.objects.get(pk=mail_id).dispatched_at is None  # not handed over
    broker.start()
    worker_factory(EMAIL_URL=f"file://{outbox}", MAIL_CATCH_UP_MIN_AGE_SECONDS="0")
    mail_catch_up_task.apply_async()
    wait_until(lambda: OutgoingMail.objects.get(pk=mail_id).status == MailStatus.SENT, timeout=45)
    assert len(_mail_files(outbox)) == 1
