"""Celery tasks of the mail path. They take ids and reload rows."""

from __future__ import annotations

import logging
import random

from celery import shared_task
from django.conf import settings

from web.mail.sending import mail_claim_stale, mail_failed, mail_send

log = logging.getLogger("mash.mail")

MAX_RETRIES = 8
RETRY_BASE_SECONDS = 5.0
RETRY_MAX_SECONDS = 600.0


def retry_delay(retries: int) -> float:
    """Exponential backoff with full jitter, capped."""
    return random.uniform(0, min(RETRY_MAX_SECONDS, RETRY_BASE_SECONDS * 2**retries))


@shared_task(bind=True, acks_late=True, reject_on_worker_lost=True, max_retries=MAX_RETRIES)
def mail_send_task(self, mail_id: int) -> str:
    """Send one recorded mail (skipped if it was sent already)."""
    try:
        return mail_send(mail_id)
    except Exception as exc:  # SMTP refused, connection lost: retry later
        final = self.request.retries >= MAX_RETRIES
        mail_failed(mail_id, f"{type(exc).__name__}: {exc}", final=final)
        log.warning("mail not sent", extra={"mail_id": mail_id, "error": str(exc)[:300], "final": final})
        if final:
            return "failed"
        raise self.retry(exc=exc, countdown=retry_delay(self.request.retries)) from exc


@shared_task(acks_late=True)
def mail_catch_up_task(limit: int = 500) -> int:
    """Hand over pending mails whose task never ran (broker down, worker lost)."""
    claimed = mail_claim_stale(
        min_age_seconds=settings.MAIL_CATCH_UP_MIN_AGE_SECONDS,
        redispatch_after_seconds=settings.MAIL_REDISPATCH_AFTER_SECONDS,
        limit=limit,
    )
    handed = 0
    for mail_id in claimed:
        try:
            mail_send_task.apply_async(args=[mail_id])
            handed += 1
        except Exception as exc:  # broker still down: the next run tries again
            log.warning("mail catch-up could not enqueue", extra={"mail_id": mail_id, "error": str(exc)})
            break
    if claimed:
        log.info("mail catch-up dispatched", extra={"claimed": len(claimed), "dispatched": handed})
    else:
        log.debug("mail catch-up: nothing to send")
    return handed
