"""Reads of the relations domain: the tutor dashboard, the student's list, my_tutor."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Q, QuerySet
from django.utils.translation import gettext as _

from web.core.errors import NotFound
from web.core.pagination import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, Page, keyset_page
from web.profiles.selectors import tutor_profile_get, tutor_public_profile
from web.relations.models import Relation, RelationStatus, RelationStatusLog

LIST_ORDER = ("-updated_at", "-id")
FEED_ORDER = ("-timestamp", "-id")
PAGE_SIZE = DEFAULT_PAGE_SIZE
MAX_SIZE = MAX_PAGE_SIZE
SEARCH_MAX = 100
MY_TUTOR_PENDING_MAX = 10
COUNTED = (
    RelationStatus.PENDING, RelationStatus.ACTIVE, RelationStatus.ARCHIVED, RelationStatus.EXPIRED,
    RelationStatus.CANCELLED,
)


def relation_counters(tutor: Any) -> dict[str, int]:
    """The tutor's relations per status, in one query (one index-only scan of the tutor's range)."""
    aggregates = {str(status): Count("pk", filter=Q(status=status)) for status in COUNTED}
    return Relation.objects.filter(tutor=tutor).aggregate(**aggregates)


def tutor_relations(
    *,
    tutor: Any,
    status: str = "",
    search: str = "",
    initiated_by: str = "",
    cursor: str | None = None,
    page_size: int = PAGE_SIZE,
) -> Page[Relation]:
    """One page of the tutor's students, the last changed first ((-updated_at, -id)).

    Keyset: a page costs the same at any depth, and a relation edited during a walk moves
    to the front (its `updated_at` grows), behind the walk, so no row is served twice.
    `search` matches the student's name or email, or the invited address."""
    relations = Relation.objects.filter(tutor=tutor).select_related("student")
    if status:
        relations = relations.filter(status=status)
    if initiated_by:
        relations = relations.filter(initiated_by=initiated_by)
    if search:
        relations = relations.filter(
            Q(student__full_name__icontains=search) | Q(student__email__icontains=search)
            | Q(invited_email__icontains=search)
        )
    return keyset_page(
        relations, order=LIST_ORDER, cursor=cursor, page_size=page_size, max_page_size=MAX_SIZE,
        bound_to={"tutor": tutor.pk, "status": status, "search": search, "initiated_by": initiated_by},
        salt="relations.tutor",
    )


def tutor_recent_actions(*, tutor: Any, cursor: str | None = None, page_size: int = PAGE_SIZE) -> Page[Any]:
    """The audit log of the tutor's relations, newest first (one index range per page)."""
    return keyset_page(
        RelationStatusLog.objects.filter(tutor=tutor).select_related("relation__student"),
        order=FEED_ORDER, cursor=cursor, page_size=page_size, max_page_size=MAX_SIZE,
        bound_to={"tutor": tutor.pk}, salt="relations.recent_actions",
    )


def student_relations(
    *, student: Any, status: str = "", cursor: str | None = None, page_size: int = PAGE_SIZE
) -> Page[Relation]:
    """One page of the student's relations, the last changed first."""
    relations: QuerySet[Relation] = Relation.objects.filter(student=student).select_related("tutor")
    if status:
        relations = relations.filter(status=status)
    return keyset_page(
        relations, order=LIST_ORDER, cursor=cursor, page_size=page_size, max_page_size=MAX_SIZE,
        bound_to={"student": student.pk, "status": status}, salt="relations.student",
    )


def relation_get(*, tutor: Any = None, student: Any = None, relation_id: int) -> Relation:
    owner = Q(tutor=tutor) if tutor is not None else Q(student=student)
    relation = Relation.objects.select_related("tutor", "student").filter(owner, pk=relation_id).first()
    if relation is None:
        raise NotFound(_("No such relation."))
    return relation


def _tutor_card(tutor_id: int, fallback_name: str) -> dict[str, Any]:
    """The tutor's public profile; a tutor the marketplace no longer lists shows only a name."""
    profile = tutor_profile_get(tutor_id)
    public = tutor_public_profile(profile) if profile is not None else None
    return public if public is not None else {"id": tutor_id, "full_name": fallback_name}


def student_my_tutor(student: Any) -> dict[str, Any]:
    """The three states of `my_tutor`: active (with the tutor's public profile), pending
    (the requests and invitations waiting, newest first), or none."""
    active = Relation.objects.select_related("tutor").filter(student=student, status=RelationStatus.ACTIVE).first()
    if active is not None:
        return {
            "state": "active", "relation_id": active.pk, "since": active.updated_at,
            "tutor": _tutor_card(active.tutor_id, active.tutor.full_name),
        }
    pending = list(
        Relation.objects.select_related("tutor").filter(student=student, status=RelationStatus.PENDING)
        .order_by(*LIST_ORDER)[: MY_TUTOR_PENDING_MAX + 1]
    )
    if pending:
        return {
            "state": "pending",
            "pending": [
                {
                    "relation_id": r.pk, "initiated_by": r.initiated_by, "expires_at": r.expires_at,
                    "tutor": {"id": r.tutor_id, "full_name": r.tutor.full_name},
                }
                for r in pending[:MY_TUTOR_PENDING_MAX]
            ],
            "more": len(pending) > MY_TUTOR_PENDING_MAX,
        }
    return {"state": "none"}
