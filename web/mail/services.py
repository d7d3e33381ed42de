"""The one path for transactional mail.

A domain service calls `mail_enqueue` (or `mail_to_user`) inside the transaction of the
change the mail tells about. The row commits or rolls back with that change; after
commit a task sends it. With the broker down the row waits for the catch-up job, so an
accepted change never loses its mail. The row's unique `key` makes a mail about one
event a single mail, however many times the event is recorded or the task runs.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from web.mail.models import KEY_MAX, MailStatus, OutgoingMail
from web.mail.rendering import check_template, mail_language
from web.mail.tasks import mail_send_task

log = logging.getLogger("mash.mail")


def mail_enqueue(
    *,
    key: str,
    to_email: str,
    template: str,
    language: str | None,
    context: dict[str, Any],
    attachments: Sequence[dict[str, str]] = (),
) -> int | None:
    """Record a mail in the caller's transaction and send it after commit.

    `key` names the event; a key recorded before is not recorded again (returns None).
    `context` and `attachments` must be JSON values: the task renders the mail later,
    from these alone. Returns the new mail's id.
    """
    if not key or len(key) > KEY_MAX:
        raise ValueError(f"mail key must be 1-{KEY_MAX} characters")
    check_template(template)
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO mail_outgoingmail
                (key, to_email, language, template, context, attachments, status, attempts, last_error, created_at)
            VALUES (%s, %s, %s, %s, %s::jsonb, %s::jsonb, %s, 0, '', clock_timestamp())
            ON CONFLICT (key) DO NOTHING
            RETURNING id
            """,
            [
                key, to_email, mail_language(language), template,
                json.dumps(context), json.dumps(list(attachments)), MailStatus.PENDING,
            ],
        )
        row = cursor.fetchone()
    if row is None:
        return None
    mail_id = int(row[0])
    transaction.on_commit(lambda: mail_dispatch(mail_id), robust=True)
    return mail_id


def mail_to_user(
    user: Any,
    template: str,
    *,
    key: str,
    context: dict[str, Any],
    attachments: Sequence[dict[str, str]] = (),
) -> int | None:
    """`mail_enqueue` to a user's address, in their language."""
    return mail_enqueue(
        key=key, to_email=user.email, template=template, language=getattr(user, "language", None),
        context=context, attachments=attachments,
    )


def mail_dispatch(mail_id: int) -> bool:
    """Hand a committed mail to a worker. Never raises: with the broker down it waits for catch-up."""
    try:
        mail_send_task.apply_async(args=[mail_id])
    except Exception as exc:  # any broker failure; catch-up sends the row later
        log.warning("mail task not enqueued, left to catch-up", extra={"mail_id": mail_id, "error": str(exc)})
        return False
    OutgoingMail.objects.filter(pk=mail_id, status=MailStatus.PENDING).update(dispatched_at=timezone.now())
    return True
