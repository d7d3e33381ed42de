"""Sending a recorded mail: the job behind the mail tasks."""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from web.mail.models import MailStatus, OutgoingMail
from web.mail.rendering import render_mail

log = logging.getLogger("mash.mail")


def mail_send(mail_id: int) -> str:
    """Send one pending mail and mark it sent, in one transaction holding its row.

    A mail already sent, or being sent by another worker, is skipped: a task that runs
    again (redelivered after a worker was lost, or dispatched by catch-up as well) does
    not send it twice. A send that fails raises, and the row stays pending for a retry.
    Returns "sent" or "skipped".
    """
    with transaction.atomic():
        mail = (
            OutgoingMail.objects.select_for_update(skip_locked=True)
            .filter(pk=mail_id, status=MailStatus.PENDING)
            .first()
        )
        if mail is None:
            return "skipped"
        rendered = render_mail(mail.template, mail.language, mail.context)
        message = EmailMessage(
            subject=rendered.subject,
            body=rendered.body,
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[mail.to_email],
            headers={"X-Mail-Key": mail.key},
        )
        for attachment in mail.attachments:
            message.attach(attachment["filename"], attachment["content"], attachment.get("mimetype"))
        message.send(fail_silently=False)
        mail.status = MailStatus.SENT
        mail.sent_at = timezone.now()
        mail.attempts += 1
        mail.last_error = ""
        mail.save(update_fields=["status", "sent_at", "attempts", "last_error"])
    log.info("mail sent", extra={"mail_id": mail_id, "template": mail.template})
    return "sent"


def mail_failed(mail_id: int, error: str, *, final: bool) -> None:
    """Note a failed attempt; after the last one the mail is given up (status failed)."""
    OutgoingMail.objects.filter(pk=mail_id, status=MailStatus.PENDING).update(
        attempts=F("attempts") + 1,
        last_error=error[:1000],
        dispatched_at=timezone.now(),
        **({"status": MailStatus.FAILED} if final else {}),
    )


def mail_claim_stale(*, min_age_seconds: float, redispatch_after_seconds: float, limit: int) -> list[int]:
    """Pending mails nobody is handling: never handed to a task, or handed over long ago
    (the task was lost). SKIP LOCKED, so concurrent catch-up runs never claim one twice."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            """
            WITH due AS (
                SELECT id FROM mail_outgoingmail
                WHERE status = %s
                  AND created_at < clock_timestamp() - make_interval(secs => %s)
                  AND (dispatched_at IS NULL OR dispatched_at < clock_timestamp() - make_interval(secs => %s))
                ORDER BY created_at
                LIMIT %s
                FOR UPDATE SKIP LOCKED
            )
            UPDATE mail_outgoingmail m SET dispatched_at = clock_timestamp()
            FROM due WHERE m.id = due.id
            RETURNING m.id
            """,
            [MailStatus.PENDING, min_age_seconds, redispatch_after_seconds, limit],
        )
        return [row[0] for row in cursor.fetchall()]
