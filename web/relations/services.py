"""Writes of the relations domain: requests, invitations and their transitions.

Every transition is one conditional UPDATE on the status the caller read (`WHERE id = %s
AND status = <expected>`), inside the transaction that also writes its RelationStatusLog
row, its activity event, the tutor's `active_students` (through the profiles app) and
its mail. Of two concurrent transitions of one relation exactly one updates the row; the
other updates nothing, re-reads and gets a Conflict naming the status it found. A
partial unique constraint the update would break (the student already has an active
tutor) is a Conflict naming the rule, never a server error.

Transitions (anything else is a Conflict naming the current status):

    pending -> active     accept    the receiver (the tutor for a request, the student for an invitation)
    pending -> archived   decline   the receiver
    pending -> cancelled  cancel    the sender
    pending -> expired    the expiry job, 14 days after the last send
    active  -> archived   end       either side; or replaced when the student accepts another tutor
"""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.db import IntegrityError, OperationalError, transaction
from django.db.models import Count, F, OuterRef, Q, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from psycopg.errors import DeadlockDetected

from web.accounts.models import Role, User
from web.activity.events import activity_log, event_fields
from web.activity.models import ActivityLog
from web.core.context import current_request_id
from web.core.errors import Conflict, InvalidInput, Message, NotFound, PermissionDenied, RateLimited
from web.core.ratelimit import Rate, rate_limit_hit
from web.mail.services import mail_enqueue, mail_to_user
from web.profiles.selectors import tutor_is_listed, tutor_profile_get
from web.profiles.services import profile_active_students_add, profile_active_students_correct
from web.relations.models import OPEN_STATUSES, Initiator, Relation, RelationStatus, RelationStatusLog

PENDING_DAYS = 14
RESEND_INTERVAL = timedelta(hours=24)
RESEND_MAX = 3
# A student may wait on this many requests at once (each one mails a tutor).
MAX_PENDING_REQUESTS = 10
# Invitations mail arbitrary addresses: bounded per tutor.
INVITE_RATES = [Rate(limit=20, period_seconds=3600), Rate(limit=100, period_seconds=86400)]
INVITE_SCOPE = "relations.invite"
BATCH_MAX = 100
ENTITY = "relation"
NO_RELATION = gettext_lazy("No such relation.")
BUSY = gettext_lazy("Another change of this relation is in progress; retry.")

# The partial unique constraints, by name, as the Conflict a violation becomes.
_CONSTRAINT_MESSAGES = {
    constraint.name: constraint.violation_error_message
    for constraint in Relation._meta.constraints
    if getattr(constraint, "violation_error_message", None)
}


class RelationConflict(Conflict):
    """A refused transition; `short` is its one-line form in a batch answer ("already active")."""

    def __init__(self, detail: Message, *, short: str, status: str | None = None) -> None:
        super().__init__(detail, {"status": [_("Currently %(status)s.") % {"status": status}]} if status else None)
        self.short = short


def _request_metadata(reason: str, batch_id: str | None = None, **extra: Any) -> dict[str, Any]:
    metadata: dict[str, Any] = {"reason": reason, "request_id": current_request_id()}
    if batch_id:
        metadata["batch_id"] = batch_id
    metadata.update(extra)
    return metadata


def _constraint_conflict(exc: IntegrityError) -> Conflict:
    """The Conflict for a violated relation constraint; re-raises anything else."""
    cause = exc.__cause__
    name = getattr(getattr(cause, "diag", None), "constraint_name", None)
    message = _CONSTRAINT_MESSAGES.get(name) if name else None
    if name and message is not None:
        short = {
            "relation_one_open_per_pair": "already requested or active",
            "relation_one_active_tutor_per_student": "the student already has an active tutor",
            "relation_one_invitation_per_address": "already invited",
        }.get(name, "conflict")
        conflict = RelationConflict(message, short=short)
        conflict.fields = {"constraint": [name]}
        return conflict
    raise exc


def _log(relation: Relation, prev: str, new: str, actor: User | None, metadata: dict[str, Any]) -> None:
    RelationStatusLog.objects.create(
        relation=relation, tutor_id=relation.tutor_id, prev_status=prev, new_status=new, actor=actor,
        timestamp=relation.updated_at, metadata=metadata,
    )


def _event(actor: User | None, action: str, relation: Relation, metadata: dict[str, Any]) -> None:
    activity_log(
        actor, action, entity_type=ENTITY, entity_id=relation.pk,
        metadata={"tutor_id": relation.tutor_id, "student_id": relation.student_id, **metadata},
    )


def _refuse(relation: Relation, current: str, verb: str, target: str) -> RelationConflict:
    if current == target:
        return RelationConflict(
            _("The relation is already %(status)s.") % {"status": current}, short=f"already {current}", status=current
        )
    refusals = {
        "accepted": _("The relation is %(status)s; only a pending relation can be accepted."),
        "declined": _("The relation is %(status)s; only a pending relation can be declined."),
        "cancelled": _("The relation is %(status)s; only a pending relation can be cancelled."),
        "resent": _("The relation is %(status)s; only a pending relation can be resent."),
        "ended": _("The relation is %(status)s; only an active relation can be ended."),
    }
    return RelationConflict(
        refusals[verb] % {"status": current}, short=f"relation is {current}",
        status=current,
    )


def _update_status(
    relation: Relation, *, to: str, verb: str, extra: Q | None = None, now: datetime | None = None,
    **fields: Any,
) -> str:
    """The conditional UPDATE of one transition: from the status `relation` holds to `to`.
    Returns the previous status; raises Conflict if the row moved meanwhile (naming its
    status now) or a partial unique constraint refuses the new status."""
    now = now or timezone.now()
    prev = relation.status
    values: dict[str, Any] = {"status": to, "updated_at": now, **fields}
    if to != RelationStatus.PENDING:
        values["expires_at"] = None
    condition = Q(pk=relation.pk, status=prev) & (extra or Q())
    try:
        # A savepoint: a refused row leaves the caller's transaction usable (a batch goes on).
        with transaction.atomic():
            updated = Relation.objects.filter(condition).update(**values)
    except IntegrityError as exc:
        raise _constraint_conflict(exc) from None
    if not updated:
        current = Relation.objects.filter(pk=relation.pk).values_list("status", "expires_at").first()
        if current is None:
            raise NotFound(NO_RELATION)
        status, expires_at = current
        if status == RelationStatus.PENDING and status == prev and expires_at is not None and expires_at <= now:
            raise RelationConflict(_("The relation has expired."), short="expired", status=RelationStatus.EXPIRED)
        raise _refuse(relation, status, verb, to)
    relation.status = to
    relation.updated_at = now
    for name, value in values.items():
        if not hasattr(value, "resolve_expression"):
            setattr(relation, name, value)
    return prev


# --- reading the relation an actor may act on ------------------------------------------


def _side(actor: User) -> str:
    if actor.role == Role.TUTOR:
        return Initiator.TUTOR
    if actor.role == Role.STUDENT:
        return Initiator.STUDENT
    raise PermissionDenied(_("Only tutors and students have relations."))


def _relation_of(actor: User, relation_id: int) -> Relation:
    """The relation if `actor` is its tutor or its student, else NotFound (never whose it is)."""
    owner = Q(tutor=actor) if _side(actor) == Initiator.TUTOR else Q(student=actor)
    relation = Relation.objects.select_related("tutor", "student").filter(owner, pk=relation_id).first()
    if relation is None:
        raise NotFound(NO_RELATION)
    return relation


def _check_receiver(actor: User, relation: Relation, verb: str) -> None:
    if relation.initiated_by == _side(actor):
        kind = "request" if relation.initiated_by == Initiator.STUDENT else "invitation"
        refusals = {
            ("request", "accept"): _(
                "You sent this request; only the other side can accept it (you can cancel it)."
            ),
            ("request", "decline"): _(
                "You sent this request; only the other side can decline it (you can cancel it)."
            ),
            ("invitation", "accept"): _(
                "You sent this invitation; only the other side can accept it (you can cancel it)."
            ),
            ("invitation", "decline"): _(
                "You sent this invitation; only the other side can decline it (you can cancel it)."
            ),
        }
        raise PermissionDenied(refusals[kind, verb])


def _check_sender(actor: User, relation: Relation, verb: str) -> None:
    if relation.initiated_by != _side(actor):
        refusals = {
            "cancel": _("Only the sender can cancel this; decline it instead."),
            "resend": _("Only the sender can resend this; decline it instead."),
        }
        raise PermissionDenied(refusals[verb])


def _other_party(actor: User, relation: Relation) -> User | None:
    return relation.student if actor.pk == relation.tutor_id else relation.tutor


def _mail_context(relation: Relation, **extra: Any) -> dict[str, Any]:
    return {
        "tutor_name": relation.tutor.full_name,
        "student_name": relation.student.full_name if relation.student else relation.invited_email,
        "message": relation.message,
        "relation_id": relation.pk,
        "expires_days": PENDING_DAYS,
        **extra,
    }


def _signup_link(email: str) -> str:
    return f"{settings.SITE_URL}/signup/?{urlencode({'email': email, 'role': 'student'})}"


def _send_open_mail(relation: Relation, key: str) -> None:
    """The mail of a request or an invitation (first send or resend) to its receiver."""
    if relation.initiated_by == Initiator.STUDENT:
        mail_to_user(
            relation.tutor, "relation_request", key=key,
            context=_mail_context(relation, link=f"{settings.SITE_URL}/tutor/relations/"),
        )
    elif relation.student is not None:
        mail_to_user(
            relation.student, "relation_invitation", key=key,
            context=_mail_context(relation, link=f"{settings.SITE_URL}/student/relations/", signup=False),
        )
    else:
        mail_enqueue(
            key=key, to_email=relation.invited_email, template="relation_invitation",
            language=relation.tutor.language,
            context=_mail_context(relation, link=_signup_link(relation.invited_email), signup=True),
        )


# --- opening a relation ------------------------------------------------------------------


@transaction.atomic
def relation_request(*, student: User, tutor_id: int, message: str = "") -> Relation:
    """A student asks a tutor listed in the marketplace to teach them (pending, 14 days).

    Conflict if the pair already has a pending or active relation (in either direction)
    or the student already waits on MAX_PENDING_REQUESTS requests; InvalidInput on
    `tutor_id` for a tutor the marketplace does not list."""
    if _side(student) != Initiator.STUDENT:
        raise PermissionDenied(_("Only students can request a tutor."))
    profile = tutor_profile_get(tutor_id)
    if profile is None or not tutor_is_listed(profile):
        raise InvalidInput(fields={"tutor_id": [_("No listed tutor has this id.")]})
    waiting = Relation.objects.filter(
        student=student, status=RelationStatus.PENDING, initiated_by=Initiator.STUDENT
    ).count()
    if waiting >= MAX_PENDING_REQUESTS:
        raise Conflict(
            _("You already wait for %(count)d tutors to answer; cancel a request first.") % {"count": waiting},
            {"tutor_id": [_("At most %(count)d pending requests.") % {"count": MAX_PENDING_REQUESTS}]},
        )
    now = timezone.now()
    relation = Relation(
        tutor=profile.user, student=student, status=RelationStatus.PENDING, initiated_by=Initiator.STUDENT,
        message=message, created_at=now, updated_at=now, last_sent_at=now,
        expires_at=now + timedelta(days=PENDING_DAYS),
    )
    try:
        with transaction.atomic():
            relation.save(force_insert=True)
    except IntegrityError as exc:
        raise _constraint_conflict(exc) from None
    _log(relation, "", RelationStatus.PENDING, student, _request_metadata("requested"))
    _event(student, "relation.requested", relation, {})
    _send_open_mail(relation, key=f"relation.{relation.pk}.sent.0")
    return relation


@transaction.atomic
def relation_invite(*, tutor: User, email: str, message: str = "") -> Relation:
    """A tutor invites a student by email. An address with a student account gets the
    invitation at once; an address without an account gets a sign-up link, and the
    invitation waits for it to register (`relation_invitations_attach`)."""
    if _side(tutor) != Initiator.TUTOR:
        raise PermissionDenied(_("Only tutors can invite students."))
    email = email.strip().lower()
    if email == tutor.email:
        raise InvalidInput(fields={"email": [_("You cannot invite yourself.")]})
    wait = rate_limit_hit(INVITE_SCOPE, str(tutor.pk), INVITE_RATES)
    if wait is not None:
        raise RateLimited(wait, _("Too many invitations, retry later."))
    account = User.objects.filter(email=email).first()
    if account is not None and (account.role != Role.STUDENT or not account.is_active):
        raise InvalidInput(fields={"email": [_("This address belongs to an account that cannot study with a tutor.")]})
    now = timezone.now()
    relation = Relation(
        tutor=tutor, student=account, invited_email=email, status=RelationStatus.PENDING,
        initiated_by=Initiator.TUTOR, message=message, created_at=now, updated_at=now, last_sent_at=now,
        expires_at=now + timedelta(days=PENDING_DAYS),
    )
    try:
        with transaction.atomic():
            relation.save(force_insert=True)
    except IntegrityError as exc:
        raise _constraint_conflict(exc) from None
    _log(relation, "", RelationStatus.PENDING, tutor, _request_metadata("invited", account=account is not None))
    _event(tutor, "relation.invited", relation, {"has_account": account is not None})
    _send_open_mail(relation, key=f"relation.{relation.pk}.sent.0")
    return relation


def relation_invitations_attach(user: User) -> int:
    """Give a student the invitations that waited for their address, once the address is
    confirmed to be theirs (called in the verification's transaction). An invitation from a
    tutor the student already has an open relation with keeps waiting (one open relation
    per pair). Returns how many were attached."""
    if user.role != Role.STUDENT:
        return 0
    open_with = Relation.objects.filter(student=user, status__in=OPEN_STATUSES).values("tutor_id")
    return (
        Relation.objects.filter(student__isnull=True, invited_email=user.email.lower(), status=RelationStatus.PENDING)
        .exclude(tutor_id__in=open_with)
        .update(student=user, updated_at=timezone.now())
    )


# --- transitions ---------------------------------------------------------------------------


def _do_accept(actor: User, relation: Relation, batch_id: str | None, counts: Counter[int]) -> Relation:
    _check_receiver(actor, relation, "accept")
    if relation.status != RelationStatus.PENDING:
        raise _refuse(relation, relation.status, "accepted", RelationStatus.ACTIVE)
    now = timezone.now()
    # One active tutor per student: the student's other active relation ends here, in
    # this transaction. Locked, so it cannot end twice or change under us.
    others = list(
        Relation.objects.select_for_update().select_related("tutor", "student")
        .filter(student_id=relation.student_id, status=RelationStatus.ACTIVE).exclude(pk=relation.pk)
    )
    for other in others:
        _update_status(other, to=RelationStatus.ARCHIVED, verb="ended", now=now)
        metadata = _request_metadata("replaced", batch_id, replaced_by=relation.pk)
        _log(other, RelationStatus.ACTIVE, RelationStatus.ARCHIVED, actor, metadata)
        _event(actor, "relation.archived", other, {"reason": "replaced", "replaced_by": relation.pk})
        counts[other.tutor_id] -= 1
    _update_status(relation, to=RelationStatus.ACTIVE, verb="accepted", extra=Q(expires_at__gt=now), now=now)
    _log(relation, RelationStatus.PENDING, RelationStatus.ACTIVE, actor, _request_metadata("accepted", batch_id))
    _event(actor, "relation.accepted", relation, {"batch_id": batch_id} if batch_id else {})
    counts[relation.tutor_id] += 1
    sender = _other_party(actor, relation)
    if sender is not None:
        mail_to_user(sender, "relation_accepted", key=f"relation.{relation.pk}.accepted",
                     context=_mail_context(relation, link=f"{settings.SITE_URL}/"))
    return relation


def _do_decline(
    actor: User, relation: Relation, batch_id: str | None, counts: Counter[int], reason: str = "declined"
) -> Relation:
    _check_receiver(actor, relation, "decline")
    if relation.status != RelationStatus.PENDING:
        raise _refuse(relation, relation.status, "declined", RelationStatus.ARCHIVED)
    _update_status(relation, to=RelationStatus.ARCHIVED, verb="declined")
    _log(relation, RelationStatus.PENDING, RelationStatus.ARCHIVED, actor, _request_metadata(reason, batch_id))
    _event(actor, "relation.declined", relation, {"batch_id": batch_id} if batch_id else {})
    sender = _other_party(actor, relation)
    if sender is not None:
        mail_to_user(sender, "relation_declined", key=f"relation.{relation.pk}.declined",
                     context=_mail_context(relation, link=f"{settings.SITE_URL}/"))
    return relation


def _do_cancel(
    actor: User, relation: Relation, batch_id: str | None, counts: Counter[int], reason: str = "cancelled"
) -> Relation:
    _check_sender(actor, relation, "cancel")
    if relation.status != RelationStatus.PENDING:
        raise _refuse(relation, relation.status, "cancelled", RelationStatus.CANCELLED)
    _update_status(relation, to=RelationStatus.CANCELLED, verb="cancelled")
    _log(relation, RelationStatus.PENDING, RelationStatus.CANCELLED, actor, _request_metadata(reason, batch_id))
    _event(actor, "relation.cancelled", relation, {"batch_id": batch_id} if batch_id else {})
    return relation


def _do_end(actor: User, relation: Relation, batch_id: str | None, counts: Counter[int]) -> Relation:
    if relation.status != RelationStatus.ACTIVE:
        raise _refuse(relation, relation.status, "ended", RelationStatus.ARCHIVED)
    _update_status(relation, to=RelationStatus.ARCHIVED, verb="ended")
    _log(relation, RelationStatus.ACTIVE, RelationStatus.ARCHIVED, actor, _request_metadata("ended", batch_id))
    _event(actor, "relation.archived", relation, {"reason": "ended", **({"batch_id": batch_id} if batch_id else {})})
    counts[relation.tutor_id] -= 1
    return relation


def _do_archive(actor: User, relation: Relation, batch_id: str | None, counts: Counter[int]) -> Relation:
    """The tutor's "archive": end an active relation, decline a request, withdraw an invitation."""
    if relation.status == RelationStatus.PENDING:
        if relation.initiated_by == _side(actor):
            return _do_cancel(actor, relation, batch_id, counts, reason="archived")
        return _do_decline(actor, relation, batch_id, counts, reason="archived")
    return _do_end(actor, relation, batch_id, counts)


def _single(do: Callable[..., Relation], actor: User, relation_id: int) -> Relation:
    """One transition, then the tutors' `active_students` it changed (last, in id order)."""
    counts: Counter[int] = Counter()
    relation = do(actor, _relation_of(actor, relation_id), None, counts)
    profile_active_students_add(dict(counts))
    return relation


@transaction.atomic
def relation_accept(*, actor: User, relation_id: int) -> Relation:
    """Accept a pending request (tutor) or invitation (student): it becomes active, and the
    student's other active relation is archived in the same transaction."""
    return _single(_do_accept, actor, relation_id)


@transaction.atomic
def relation_decline(*, actor: User, relation_id: int) -> Relation:
    """Decline a pending request or invitation addressed to the actor (-> archived)."""
    return _single(_do_decline, actor, relation_id)


@transaction.atomic
def relation_cancel(*, actor: User, relation_id: int) -> Relation:
    """Withdraw the actor's own pending request or invitation (-> cancelled)."""
    return _single(_do_cancel, actor, relation_id)


@transaction.atomic
def relation_end(*, actor: User, relation_id: int) -> Relation:
    """End an active relation, from either side (-> archived)."""
    return _single(_do_end, actor, relation_id)


@transaction.atomic
def relation_archive(*, actor: User, relation_id: int) -> Relation:
    """The tutor dashboard's archive: ends an active relation, declines a request,
    withdraws an invitation."""
    return _single(_do_archive, actor, relation_id)


@transaction.atomic
def relation_resend(*, actor: User, relation_id: int) -> Relation:
    """Send a pending request or invitation again (the sender only) and extend its expiry.

    At most once per RESEND_INTERVAL and RESEND_MAX times in all: RateLimited (429 with
    Retry-After) otherwise. The limit is held by the row itself (one conditional update),
    so two concurrent resends send once."""
    relation = _relation_of(actor, relation_id)
    _check_sender(actor, relation, "resend")
    if relation.status != RelationStatus.PENDING:
        raise _refuse(relation, relation.status, "resent", RelationStatus.PENDING)
    now = timezone.now()
    updated = Relation.objects.filter(
        pk=relation.pk, status=RelationStatus.PENDING, resend_count__lt=RESEND_MAX,
        last_sent_at__lte=now - RESEND_INTERVAL, expires_at__gt=now,
    ).update(
        resend_count=F("resend_count") + 1, last_sent_at=now, updated_at=now,
        expires_at=now + timedelta(days=PENDING_DAYS),
    )
    if not updated:
        current = Relation.objects.get(pk=relation.pk)
        if current.status != RelationStatus.PENDING:
            raise _refuse(current, current.status, "resent", RelationStatus.PENDING)
        if current.expires_at is not None and current.expires_at <= now:
            raise RelationConflict(_("The relation has expired."), short="expired", status=RelationStatus.EXPIRED)
        if current.resend_count >= RESEND_MAX:
            # Never again for this one; a new request is possible once it expires.
            wait = (current.expires_at - now).total_seconds() if current.expires_at else 86400
            again = _("Already sent again %(count)d times; it expires on its own.") % {"count": RESEND_MAX}
            raise RateLimited(wait, again)
        wait = (current.last_sent_at + RESEND_INTERVAL - now).total_seconds()
        raise RateLimited(wait, _("At most one resend every 24 hours."))
    relation.refresh_from_db()
    _log(relation, RelationStatus.PENDING, RelationStatus.PENDING, actor,
         _request_metadata("resent", resend=relation.resend_count))
    _event(actor, "relation.resent", relation, {"resend": relation.resend_count})
    _send_open_mail(relation, key=f"relation.{relation.pk}.sent.{relation.resend_count}")
    return relation


# --- batch actions --------------------------------------------------------------------------


@dataclass
class BatchResult:
    batch_id: str
    processed: list[int] = field(default_factory=list)
    failed: list[dict[str, Any]] = field(default_factory=list)


BATCH_ACTIONS = {"accept": _do_accept, "archive": _do_archive}


@transaction.atomic
def relations_batch(*, tutor: User, action: str, ids: Iterable[int]) -> BatchResult:
    """Accept or archive many of the tutor's relations: each id succeeds or fails on its own
    (a savepoint per id), in the order given; all share one batch id in the audit log. An id
    that is not the tutor's fails as "not found", whosever it is."""
    if _side(tutor) != Initiator.TUTOR:
        raise PermissionDenied(_("Only tutors have batch actions."))
    do = BATCH_ACTIONS[action]
    ids = list(ids)
    result = BatchResult(batch_id=uuid.uuid4().hex)
    relations = {
        r.pk: r for r in Relation.objects.select_related("tutor", "student").filter(tutor=tutor, pk__in=ids)
    }
    # The tutors' active_students change once, at the end, in id order: the batch takes no
    # profile row lock while it still takes relation row locks, as a single transition does.
    counts: Counter[int] = Counter()
    for relation_id in ids:
        relation = relations.get(relation_id)
        if relation is None:
            result.failed.append({"id": relation_id, "error": "not found", "message": str(NO_RELATION)})
            continue
        item: Counter[int] = Counter()
        try:
            with transaction.atomic():
                do(tutor, relation, result.batch_id, item)
        except RelationConflict as exc:
            result.failed.append({"id": relation_id, "error": exc.short, "message": str(exc.message)})
        except (Conflict, PermissionDenied) as exc:
            code = "not allowed" if isinstance(exc, PermissionDenied) else "conflict"
            result.failed.append({"id": relation_id, "error": code, "message": str(exc.message)})
        except OperationalError as exc:
            # A deadlock with another batch: this id is rolled back to its savepoint alone.
            if not isinstance(exc.__cause__, DeadlockDetected):
                raise
            result.failed.append({"id": relation_id, "error": "busy, retry", "message": str(BUSY)})
        else:
            result.processed.append(relation_id)
            counts.update(item)
    profile_active_students_add(dict(counts))
    return result


# --- expiry ----------------------------------------------------------------------------------


def relations_recount_active_students() -> list[int]:
    """Correct the tutors whose `active_students` disagrees with their active relations
    (the beat job); returns them. The services keep the count in step; this repairs what
    changed behind them, such as an account deleted outright in the admin, whose
    relations go with it."""
    active = Relation.objects.filter(status=RelationStatus.ACTIVE)
    per_tutor = (
        active.filter(tutor_id=OuterRef("pk")).order_by().values("tutor_id").annotate(n=Count("pk")).values("n")
    )
    return profile_active_students_correct(
        Subquery(per_tutor), lambda tutor_id: active.filter(tutor_id=tutor_id).count()
    )


def relations_expire(*, now: datetime | None = None, chunk: int = 500) -> int:
    """Expire pending relations past `expires_at` (the beat job), each with its log row
    (actor null) and `relation.expired` event, a chunk per transaction. Rows another
    transaction holds are skipped (it is deciding them; the next run sees them)."""
    now = now or timezone.now()
    total = 0
    while True:
        with transaction.atomic():
            rows = list(
                Relation.objects.select_for_update(skip_locked=True)
                .filter(status=RelationStatus.PENDING, expires_at__lte=now)
                .order_by("expires_at", "pk")[:chunk]
            )
            if not rows:
                return total
            ids = [r.pk for r in rows]
            stamp = timezone.now()
            Relation.objects.filter(pk__in=ids, status=RelationStatus.PENDING).update(
                status=RelationStatus.EXPIRED, expires_at=None, updated_at=stamp
            )
            RelationStatusLog.objects.bulk_create(
                RelationStatusLog(
                    relation_id=r.pk, tutor_id=r.tutor_id, prev_status=RelationStatus.PENDING,
                    new_status=RelationStatus.EXPIRED, actor=None, timestamp=stamp, metadata={"reason": "expired"},
                )
                for r in rows
            )
            ActivityLog.objects.bulk_create(
                ActivityLog(**event_fields(
                    None, "relation.expired", entity_type=ENTITY, entity_id=r.pk,
                    metadata={"tutor_id": r.tutor_id, "student_id": r.student_id},
                    status_code=None, duration_ms=None,
                ))
                for r in rows
            )
            total += len(rows)
        if len(rows) < chunk:
            return total
