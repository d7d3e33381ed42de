"""Writes of the profiles domain.

Every write that can change the public profile goes through `_commit_public_change`,
which bumps `version` when (and only when) the public profile differs and calls the
index hook inside the same transaction.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import time
from typing import Any

from django.db import transaction
from django.db.models import F
from django.db.models.expressions import BaseExpression
from django.db.models.functions import Coalesce, Greatest
from django.utils.translation import gettext as _

from indexer.changes import tutor_changed
from web.accounts.models import Role, User
from web.activity.events import activity_log
from web.activity.models import ActivityLog
from web.core.errors import Conflict, InvalidInput, NotFound, RateLimited, first_problem
from web.core.ratelimit import Rate, rate_limit_hit
from web.profiles.drafts import deep_merge, dirty_paths
from web.profiles.editable import (
    apply_editable_data,
    inactive_subjects_added,
    profile_editable_data,
    validate_profile_input,
)
from web.profiles.models import (
    END_OF_DAY,
    END_OF_DAY_TEXT,
    MAX_SLOTS,
    AvailabilitySlot,
    ProfileDraft,
    TutorProfile,
    slot_end_minutes,
)
from web.profiles.selectors import SNAPSHOT_ACTION, tutor_profile_of, tutor_public_profile

AUTOSAVE_RATE = Rate(limit=1, period_seconds=10)
ENTITY = "tutor_profile"


def tutor_profile_create(user: User) -> TutorProfile:
    """The empty profile every tutor gets at registration (not listed until filled in)."""
    return TutorProfile.objects.create(user=user, timezone=user.timezone)


def _commit_public_change(profile: TutorProfile, before_public: dict[str, Any] | None) -> bool:
    """Save the profile; bump the version and notify the indexer if the public profile changed.

    Must run inside a transaction holding the profile row lock, so versions only grow.
    """
    after_public = tutor_public_profile(profile)
    changed = after_public != before_public
    if changed:
        profile.version += 1
    profile.save()
    if changed:
        tutor_changed(profile.pk)
    return changed


@transaction.atomic
def tutor_account_update(*, user: User, save: Callable[[], None]) -> None:
    """Save a new or changed account (name, email, role, active flag) through `save`,
    and version and reindex the tutor profile if its public form changed (e.g. a
    deactivated tutor leaves the marketplace). An account that is a tutor without a
    profile (created in the admin, or a student made a tutor) gets its empty profile, as
    registration gives one; without it every tutor endpoint would be a 404."""
    profile = TutorProfile.objects.select_for_update().select_related("user").filter(user_id=user.pk).first()
    if profile is None:
        save()
        if user.role == Role.TUTOR:
            tutor_profile_create(user)
        return
    before_public = tutor_public_profile(profile)
    save()
    profile.user = user
    _commit_public_change(profile, before_public)


@transaction.atomic
def profile_update(*, user: User, data: dict[str, Any]) -> TutorProfile:
    """Apply validated editable data to the tutor's profile.

    Records `profile.snapshot` with the profile as it was (the undo point) and
    `profile.updated` with the changed field names.
    """
    profile = tutor_profile_of(user, for_update=True)
    _refuse_inactive_subjects(data, taught=profile.subjects)
    before_public = tutor_public_profile(profile)
    before = profile_editable_data(profile)
    apply_editable_data(profile, data)
    after = profile_editable_data(profile)
    if after == before:
        return profile
    snapshot = activity_log(
        user, SNAPSHOT_ACTION, entity_type=ENTITY, entity_id=profile.pk, metadata={"before": before}
    )
    public_changed = _commit_public_change(profile, before_public)
    activity_log(
        user,
        "profile.updated",
        entity_type=ENTITY,
        entity_id=profile.pk,
        metadata={
            "fields": sorted(key for key in after if after[key] != before[key]),
            "snapshot_id": snapshot.pk,
            "version": profile.version,
            "public_changed": public_changed,
        },
    )
    return profile


def _refuse_inactive_subjects(data: dict[str, Any], *, taught: list[str]) -> None:
    """A subject taken out of the catalogue may be kept, not newly added (400 naming `subjects`)."""
    inactive = inactive_subjects_added(data.get("subjects") or [], taught)
    if inactive:
        message = _("No longer offered: %(subjects)s. See /api/subjects/.") % {"subjects": ", ".join(inactive)}
        raise InvalidInput(fields={"subjects": [message]})


@transaction.atomic
def profile_restore_snapshot(*, user: User, snapshot_id: int) -> TutorProfile:
    """Restore the profile as it was before an earlier update (itself undoable)."""
    snapshot = ActivityLog.objects.filter(pk=snapshot_id, user=user, action=SNAPSHOT_ACTION).first()
    if snapshot is None:
        raise NotFound(_("No such snapshot."))
    data = (snapshot.metadata or {}).get("before")
    try:
        validated = validate_profile_input(data)
        profile = profile_update(user=user, data=validated)
    except InvalidInput as exc:  # e.g. a subject since removed from the catalogue
        fields = exc.fields or {}
        problem = first_problem(fields)
        message = (
            _("This snapshot can no longer be applied: %(problem)s") % {"problem": problem}
            if problem else _("This snapshot can no longer be applied.")
        )
        raise Conflict(message, fields=fields) from None
    activity_log(
        user, "profile.restored", entity_type=ENTITY, entity_id=profile.pk,
        metadata={"snapshot_id": snapshot_id, "version": profile.version},
    )
    return profile


def _time_of(value: time | str, *, end: bool = False) -> time:
    """A slot bound as a time (the API's serializer gives times; "HH:MM" is read too)."""
    if isinstance(value, time):
        return value
    return END_OF_DAY if end and value == END_OF_DAY_TEXT else time.fromisoformat(value)


def check_availability(slots: list[dict[str, Any]]) -> list[tuple[int, time, time]]:
    """Validate weekly slots: known weekday, start < end, no overlap on a day.

    Raises InvalidInput naming the offending slot, e.g. {"slots.2.end": [...]}.
    """
    if len(slots) > MAX_SLOTS:
        raise InvalidInput(fields={"slots": [_("At most %(count)d slots.") % {"count": MAX_SLOTS}]})
    # (weekday, start minute, end minute, index, start, end); an end of 00:00 is 24:00.
    parsed: list[tuple[int, int, int, int, time, time]] = []
    for index, slot in enumerate(slots):
        weekday, start, end = slot["weekday"], _time_of(slot["start"]), _time_of(slot["end"], end=True)
        if not 0 <= weekday <= 6:
            raise InvalidInput(
                fields={f"slots.{index}.weekday": [_("Weekday must be 0 (Monday) to 6 (Sunday).")]}
            )
        start_minute, end_minute = start.hour * 60 + start.minute, slot_end_minutes(end)
        if start_minute >= end_minute:
            raise InvalidInput(fields={f"slots.{index}.end": [_("End must be after start.")]})
        parsed.append((weekday, start_minute, end_minute, index, start, end))
    parsed.sort()
    for previous, current in zip(parsed, parsed[1:], strict=False):
        if previous[0] == current[0] and current[1] < previous[2]:
            overlap = _("Overlaps slot %(index)d.") % {"index": previous[3]}
            raise InvalidInput(fields={f"slots.{current[3]}.start": [overlap]})
    return [(weekday, start, end) for weekday, _start_minute, _end_minute, _index, start, end in parsed]


@transaction.atomic
def availability_replace(*, user: User, slots: list[dict[str, Any]]) -> TutorProfile:
    """Replace all weekly slots; a change reindexes the tutor like any public change."""
    checked = check_availability(slots)
    profile = tutor_profile_of(user, for_update=True)
    before_public = tutor_public_profile(profile)
    AvailabilitySlot.objects.filter(profile=profile).delete()
    AvailabilitySlot.objects.bulk_create(
        AvailabilitySlot(profile=profile, weekday=weekday, start=start, end=end) for weekday, start, end in checked
    )
    _commit_public_change(profile, before_public)
    activity_log(
        user, "availability.updated", entity_type=ENTITY, entity_id=profile.pk,
        metadata={"slots": len(checked), "version": profile.version},
    )
    return profile


# --- drafts -------------------------------------------------------------------


def draft_autosave(*, user: User, patch: Any) -> ProfileDraft:
    """Deep-merge a partial, type-checked patch into the tutor's draft (one save per 10 s).

    Required fields are not enforced on a draft; the published profile is untouched.
    """
    validated = validate_profile_input(patch)
    _refuse_inactive_subjects(validated, taught=tutor_profile_of(user).subjects)
    wait = rate_limit_hit("profile.autosave", str(user.pk), [AUTOSAVE_RATE])
    if wait is not None:
        raise RateLimited(wait, _("Autosave is limited to one save every 10 seconds."))
    with transaction.atomic():
        draft, _created = ProfileDraft.objects.select_for_update().get_or_create(user=user)
        draft.data = deep_merge(draft.data, validated)
        draft.save()
        activity_log(
            user, "profile.autosave", entity_type=ENTITY, entity_id=user.pk,
            metadata={"fields": sorted(validated)},
        )
    return draft


def draft_get(user: User) -> ProfileDraft | None:
    """The tutor's draft, if any. Without a profile (an admin deleted it) every draft
    endpoint is a 404, as the profile endpoints are, rather than serving a draft that can
    never be published."""
    tutor_profile_of(user)
    return ProfileDraft.objects.filter(user=user).first()


def draft_diff(user: User) -> list[str]:
    """Dirty paths of the draft against the persisted profile (depth 3, arrays whole)."""
    profile = tutor_profile_of(user)
    draft = ProfileDraft.objects.filter(user=user).first()
    if draft is None:
        return []
    return dirty_paths(draft.data, profile_editable_data(profile))


@transaction.atomic
def draft_publish(*, user: User) -> TutorProfile:
    """Validate the draft merged over the profile in full and apply it in one transaction.

    An invalid merged result publishes nothing and keeps the draft.
    """
    profile = tutor_profile_of(user, for_update=True)
    draft = ProfileDraft.objects.select_for_update().filter(user=user).first()
    if draft is None:
        raise Conflict(_("There is no draft to publish."))
    merged = deep_merge(profile_editable_data(profile), draft.data)
    validated = validate_profile_input(merged)
    profile = profile_update(user=user, data=validated)
    draft.delete()
    activity_log(
        user, "profile.draft.published", entity_type=ENTITY, entity_id=profile.pk,
        metadata={"version": profile.version},
    )
    return profile


@transaction.atomic
def draft_discard(*, user: User) -> bool:
    """Delete the draft; returns whether there was one."""
    tutor_profile_of(user)
    deleted, _count = ProfileDraft.objects.filter(user=user).delete()
    if deleted:
        activity_log(user, "profile.draft.discarded", entity_type=ENTITY, entity_id=user.pk)
    return bool(deleted)


def profile_active_students_correct(counted: BaseExpression, count_of: Callable[[int], int]) -> list[int]:
    """Set `active_students` to the true count where it disagrees; returns those tutors.

    `counted` is the count as an expression over the profile row (a subquery), which finds
    the suspects in one query; `count_of(tutor_id)` counts one tutor again once their row
    is locked. Every transition that changes the count updates this row in its own
    transaction, so once the lock is held those transactions have committed and the
    recount sees them, and a later one adds its delta to the corrected value. Each
    correction bumps the version and reports the tutor to the indexer.
    """
    suspects = list(
        TutorProfile.objects.annotate(counted=Coalesce(counted, 0))
        .exclude(active_students=F("counted"))
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    corrected = []
    for tutor_id in suspects:
        with transaction.atomic():
            current = (
                TutorProfile.objects.select_for_update().filter(pk=tutor_id).values_list("active_students", flat=True)
            )
            if not current:
                continue
            count = count_of(tutor_id)
            if current[0] == count:
                continue
            TutorProfile.objects.filter(pk=tutor_id).update(active_students=count, version=F("version") + 1)
            tutor_changed(tutor_id)
            corrected.append(tutor_id)
    return corrected


def profile_active_students_add(changes: dict[int, int]) -> None:
    """Add `delta` to each tutor's `active_students` ({tutor_id: delta}), bump the version
    and report the tutor to the indexer, inside the caller's transaction (the one that
    activates or ends the relations). Rows are updated in ascending id order, so two
    transactions touching the same tutors cannot deadlock on them."""
    for tutor_id in sorted(changes):
        delta = changes[tutor_id]
        if not delta:
            continue
        updated = TutorProfile.objects.filter(pk=tutor_id).update(
            active_students=Greatest(F("active_students") + delta, 0), version=F("version") + 1
        )
        if updated:
            tutor_changed(tutor_id)
