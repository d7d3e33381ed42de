"""Celery tasks of the accounts domain."""

from __future__ import annotations

import logging

from celery import shared_task
from django.utils import timezone
from rest_framework_simplejwt.token_blacklist.models import OutstandingToken

from web.accounts.services import password_reset_mail

log = logging.getLogger("mash.accounts")


@shared_task(acks_late=True)
def password_reset_mail_task(email: str, request_key: str | None = None) -> bool:
    """Look the address up and mail a reset link if it has an account (see
    `password_reset_request`: the API answers before this runs, whatever the address)."""
    return password_reset_mail(email, request_key)


@shared_task(acks_late=True)
def accounts_flush_expired_tokens_task() -> int:
    """Delete the record of refresh tokens past their expiry (and their blacklist rows):
    an expired token is refused anyway, so the logout blacklist need not remember it."""
    deleted, _ = OutstandingToken.objects.filter(expires_at__lte=timezone.now()).delete()
    if deleted:
        log.info("expired refresh tokens flushed", extra={"deleted": deleted})
    return deleted
