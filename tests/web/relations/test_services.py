"""Every transition of a relation and every refused one, against the real database."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from tests.factories import StudentFactory, TutorFactory, TutorProfileFactory
from web.accounts.services import email_verify, user_register
from web.accounts.tokens import email_verification_token
from web.activity.models import ActivityLog
from web.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied, RateLimited
from web.mail.models import OutgoingMail
from web.mail.rendering import render_mail
from web.profiles.models import TutorProfile
from web.relations import services
from web.relations.models import Initiator, Relation, RelationStatus, RelationStatusLog

pytestmark = pytest.mark.django_db


def _log(relation: Relation) -> list[tuple[str, str, int | None]]:
    return list(relation.log.order_by("id").values_list("prev_status", "new_status", "actor_id"))


def _events(relation: Relation) -> list[str]:
    return list(ActivityLog.objects.filter(entity_type="relation", entity_id=str(relation.pk))
                .order_by("id").values_list("action", flat=True))


def _profile(user) -> TutorProfile:
    return TutorProfile.objects.get(pk=user.pk)


def test_a_request_is_pending_logged_evented_and_mailed_to_the_tutor(make_request) -> None:
    tutor = TutorProfileFactory(user__language="pl").user
    ann = StudentFactory(full_name="Ann Lee")
    relation = make_request(tutor=tutor, student=ann, message="Maths, please")
    assert relation.status == RelationStatus.PENDING and relation.initiated_by == Initiator.STUDENT
    assert timedelta(days=13, hours=23) < relation.expires_at - timezone.now() <= timedelta(days=14)
    assert _log(relation) == [("", "pending", ann.pk)]
    assert _events(relation) == ["relation.requested"]
    mail = OutgoingMail.objects.get(key=f"relation.{relation.pk}.sent.0")
    assert (mail.to_email, mail.template, mail.language) == (tutor.email, "relation_request", "pl")
    rendered = render_mail(mail.template, mail.language, mail.context)
    assert "Ann Lee" in rendered.subject and "Maths, please" in rendered.body


def test_a_request_needs_a_listed_tutor() -> None:
    ann = StudentFactory()
    unlisted = TutorProfileFactory(headline="").user
    for tutor_id in (unlisted.pk, ann.pk, 10**12):
        with pytest.raises(InvalidInput) as raised:
            services.relation_request(student=ann, tutor_id=tutor_id)
        assert raised.value.fields == {"tutor_id": ["No listed tutor has this id."]}
    assert not Relation.objects.exists()


def test_one_open_request_per_pair_but_closed_ones_never_block(make_request) -> None:
    relation = make_request()
    with pytest.raises(Conflict, match="already a pending or active relation"):
        services.relation_request(student=relation.student, tutor_id=relation.tutor_id)
    services.relation_cancel(actor=relation.student, relation_id=relation.pk)
    again = services.relation_request(student=relation.student, tutor_id=relation.tutor_id)
    assert again.pk != relation.pk and again.status == RelationStatus.PENDING


def test_a_student_waits_on_a_bounded_number_of_requests(make_request) -> None:
    ann = StudentFactory()
    for _ in range(services.MAX_PENDING_REQUESTS):
        make_request(student=ann)
    with pytest.raises(Conflict, match="cancel a request first"):
        make_request(student=ann)


def test_tutor_accepts_a_request(make_request) -> None:
    relation = make_request()
    tutor = relation.tutor
    version = _profile(tutor).version
    services.relation_accept(actor=tutor, relation_id=relation.pk)
    relation.refresh_from_db()
    assert relation.status == RelationStatus.ACTIVE and relation.expires_at is None
    assert _log(relation) == [("", "pending", relation.student_id), ("pending", "active", tutor.pk)]
    assert _events(relation) == ["relation.requested", "relation.accepted"]
    profile = _profile(tutor)
    assert profile.active_students == 1 and profile.version == version + 1
    mail = OutgoingMail.objects.get(key=f"relation.{relation.pk}.accepted")
    assert mail.to_email == relation.student.email and mail.template == "relation_accepted"


def test_accept_archives_the_students_other_active_relation(make_request) -> None:
    ann = StudentFactory()
    first = make_request(student=ann)
    services.relation_accept(actor=first.tutor, relation_id=first.pk)
    second = make_request(student=ann)
    services.relation_accept(actor=second.tutor, relation_id=second.pk)
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.status, second.status) == (RelationStatus.ARCHIVED, RelationStatus.ACTIVE)
    assert _log(first)[-1] == ("active", "archived", second.tutor_id)
    assert first.log.order_by("id").last().metadata["reason"] == "replaced"
    assert _events(first)[-1] == "relation.archived"
    assert (_profile(first.tutor).active_students, _profile(second.tutor).active_students) == (0, 1)


def test_only_the_receiver_accepts_or_declines_and_only_the_sender_cancels(make_request) -> None:
    relation = make_request()
    with pytest.raises(PermissionDenied):
        services.relation_accept(actor=relation.student, relation_id=relation.pk)
    with pytest.raises(PermissionDenied):
        services.relation_decline(actor=relation.student, relation_id=relation.pk)
    with pytest.raises(PermissionDenied):
        services.relation_cancel(actor=relation.tutor, relation_id=relation.pk)
    relation.refresh_from_db()
    assert relation.status == RelationStatus.PENDING and len(_log(relation)) == 1


def test_decline_archives_and_mails_the_sender(make_request) -> None:
    relation = make_request()
    services.relation_decline(actor=relation.tutor, relation_id=relation.pk)
    relation.refresh_from_db()
    assert relation.status == RelationStatus.ARCHIVED
    assert _log(relation)[-1] == ("pending", "archived", relation.tutor_id)
    assert _events(relation)[-1] == "relation.declined"
    assert OutgoingMail.objects.get(key=f"relation.{relation.pk}.declined").to_email == relation.student.email


def test_cancel_sends_no_mail(make_request) -> None:
    relation = make_request()
    services.relation_cancel(actor=relation.student, relation_id=relation.pk)
    relation.refresh_from_db()
    assert relation.status == RelationStatus.CANCELLED
    assert _events(relation)[-1] == "relation.cancelled"
    assert list(OutgoingMail.objects.values_list("key", flat=True)) == [f"relation.{relation.pk}.sent.0"]


def test_either_side_ends_an_active_relation(make_request) -> None:
    for side in ("tutor", "student"):
        relation = make_request()
        services.relation_accept(actor=relation.tutor, relation_id=relation.pk)
        services.relation_end(actor=getattr(relation, side), relation_id=relation.pk)
        relation.refresh_from_db()
        assert relation.status == RelationStatus.ARCHIVED
        assert _events(relation)[-1] == "relation.archived"
        assert _profile(relation.tutor).active_students == 0


# Every transition that is not in the map, from every status: 409 naming the status now.
REFUSED = [
    ("accept", RelationStatus.ACTIVE, "already active"),
    ("accept", RelationStatus.ARCHIVED, "relation is archived"),
    ("accept", RelationStatus.CANCELLED, "relation is cancelled"),
    ("accept", RelationStatus.EXPIRED, "relation is expired"),
    ("decline", RelationStatus.ACTIVE, "relation is active"),
    ("decline", RelationStatus.ARCHIVED, "already archived"),
    ("decline", RelationStatus.EXPIRED, "relation is expired"),
    ("end", RelationStatus.PENDING, "relation is pending"),
    ("end", RelationStatus.ARCHIVED, "already archived"),
    ("end", RelationStatus.CANCELLED, "relation is cancelled"),
    ("archive", RelationStatus.ARCHIVED, "already archived"),
    ("archive", RelationStatus.EXPIRED, "relation is expired"),
]


@pytest.mark.parametrize(("action", "status", "short"), REFUSED)
def test_transitions_outside_the_map_are_conflicts_naming_the_status(make_relation, action, status, short) -> None:
    tutor, ann = TutorProfileFactory().user, StudentFactory()
    relation = make_relation(tutor, ann, status=status)
    with pytest.raises(services.RelationConflict) as raised:
        getattr(services, f"relation_{action}")(actor=tutor, relation_id=relation.pk)
    assert raised.value.short == short
    assert status in raised.value.message and raised.value.fields == {"status": [f"Currently {status}."]}
    relation.refresh_from_db()
    assert relation.status == status and not relation.log.exists()


@pytest.mark.parametrize("action", ["cancel", "resend"])
@pytest.mark.parametrize("status", [RelationStatus.ACTIVE, RelationStatus.EXPIRED, RelationStatus.CANCELLED])
def test_the_sender_cannot_cancel_or_resend_a_closed_relation(make_relation, action, status) -> None:
    tutor, ann = TutorProfileFactory().user, StudentFactory()
    relation = make_relation(tutor, ann, status=status)
    with pytest.raises(Conflict, match=str(status)):
        getattr(services, f"relation_{action}")(actor=ann, relation_id=relation.pk)


def test_an_overdue_request_cannot_be_accepted_before_the_job_runs(make_relation) -> None:
    tutor, ann = TutorProfileFactory().user, StudentFactory()
    relation = make_relation(tutor, ann, expires_at=timezone.now() - timedelta(minutes=1))
    with pytest.raises(services.RelationConflict, match="expired"):
        services.relation_accept(actor=tutor, relation_id=relation.pk)
    relation.refresh_from_db()
    assert relation.status == RelationStatus.PENDING and _profile(tutor).active_students == 0


def test_the_tutors_archive_declines_a_request_and_withdraws_an_invitation(make_request) -> None:
    request = make_request()
    services.relation_archive(actor=request.tutor, relation_id=request.pk)
    invitation = services.relation_invite(tutor=request.tutor, email="new@example.com")
    services.relation_archive(actor=request.tutor, relation_id=invitation.pk)
    request.refresh_from_db()
    invitation.refresh_from_db()
    assert (request.status, invitation.status) == (RelationStatus.ARCHIVED, RelationStatus.CANCELLED)


def test_foreign_relations_are_not_found(make_request) -> None:
    relation = make_request()
    for stranger in (TutorFactory(), StudentFactory()):
        for action in ("accept", "decline", "cancel", "end", "archive", "resend"):
            with pytest.raises(NotFound):
                getattr(services, f"relation_{action}")(actor=stranger, relation_id=relation.pk)
    relation.refresh_from_db()
    assert relation.status == RelationStatus.PENDING


def _age(relation: Relation, hours: float) -> None:
    Relation.objects.filter(pk=relation.pk).update(last_sent_at=timezone.now() - timedelta(hours=hours))


def test_resend_once_a_day_three_times_in_all_extending_the_expiry(make_request) -> None:
    relation = make_request()
    ann = relation.student
    with pytest.raises(RateLimited) as raised:  # the first send was just now
        services.relation_resend(actor=ann, relation_id=relation.pk)
    assert 23 * 3600 < raised.value.wait <= 24 * 3600
    assert raised.value.headers()["Retry-After"] == str(raised.value.wait)
    with pytest.raises(PermissionDenied):
        services.relation_resend(actor=relation.tutor, relation_id=relation.pk)
    for number in (1, 2, 3):
        Relation.objects.filter(pk=relation.pk).update(expires_at=timezone.now() + timedelta(days=2))
        _age(relation, 25)
        resent = services.relation_resend(actor=ann, relation_id=relation.pk)
        assert resent.resend_count == number
        assert resent.expires_at - timezone.now() > timedelta(days=13)
        assert OutgoingMail.objects.filter(key=f"relation.{relation.pk}.sent.{number}").exists()
    _age(relation, 48)
    with pytest.raises(RateLimited, match="3 times"):
        services.relation_resend(actor=ann, relation_id=relation.pk)
    assert OutgoingMail.objects.filter(template="relation_request").count() == 4
    assert _events(relation).count("relation.resent") == 3
    assert [m.get("reason") for m in relation.log.order_by("id").values_list("metadata", flat=True)] == [
        "requested", "resent", "resent", "resent"]


def test_expiry_job_expires_only_overdue_pending_relations_with_a_log_row(make_relation) -> None:
    tutor = TutorProfileFactory().user
    past = timezone.now() - timedelta(seconds=1)
    overdue = [make_relation(tutor, StudentFactory(), expires_at=past) for _ in range(3)]
    fresh = make_relation(tutor, StudentFactory())
    active = make_relation(tutor, StudentFactory(), status=RelationStatus.ACTIVE)
    assert services.relations_expire(chunk=2) == 3
    assert set(Relation.objects.filter(status=RelationStatus.EXPIRED).values_list("pk", flat=True)) == {
        r.pk for r in overdue}
    fresh.refresh_from_db()
    active.refresh_from_db()
    assert (fresh.status, active.status) == (RelationStatus.PENDING, RelationStatus.ACTIVE)
    logs = RelationStatusLog.objects.filter(new_status=RelationStatus.EXPIRED)
    assert sorted(logs.values_list("relation_id", "prev_status", "actor_id")) == sorted(
        (r.pk, "pending", None) for r in overdue)
    assert ActivityLog.objects.filter(action="relation.expired").count() == 3
    assert services.relations_expire() == 0
    # An expired relation never blocks a new request.
    services.relation_request(student=overdue[0].student, tutor_id=tutor.pk)


def test_an_invitation_to_a_student_account_is_theirs_at_once(make_request) -> None:
    tutor = TutorProfileFactory().user
    ann = StudentFactory(email="ann@example.com", language="en")
    relation = services.relation_invite(tutor=tutor, email=" Ann@Example.com ", message="Join me")
    assert relation.student_id == ann.pk and relation.initiated_by == Initiator.TUTOR
    mail = OutgoingMail.objects.get(key=f"relation.{relation.pk}.sent.0")
    assert (mail.to_email, mail.template, mail.context["signup"]) == ("ann@example.com", "relation_invitation", False)
    services.relation_accept(actor=ann, relation_id=relation.pk)
    relation.refresh_from_db()
    assert relation.status == RelationStatus.ACTIVE and _events(relation) == ["relation.invited", "relation.accepted"]
    assert OutgoingMail.objects.get(key=f"relation.{relation.pk}.accepted").to_email == tutor.email


def test_an_invitation_to_a_new_address_carries_a_sign_up_link_and_attaches_once_the_address_is_confirmed(
    settings,
) -> None:
    settings.SITE_URL = "https://mash.example.com"
    tutor = TutorProfileFactory(user__language="uk").user
    relation = services.relation_invite(tutor=tutor, email="newbie@example.com")
    assert relation.student_id is None
    with pytest.raises(Conflict, match="already has a pending invitation"):
        services.relation_invite(tutor=tutor, email="newbie@example.com")
    mail = OutgoingMail.objects.get(key=f"relation.{relation.pk}.sent.0")
    assert mail.to_email == "newbie@example.com" and mail.language == "uk" and mail.context["signup"] is True
    body = render_mail(mail.template, mail.language, mail.context).body
    assert "https://mash.example.com/signup/?email=newbie%40example.com&role=student" in body
    newbie = user_register(email="Newbie@example.com", password="a-long-passphrase-1", full_name="New Bie",
                           role="student")
    relation.refresh_from_db()
    # Whoever registers the address does not get the invitation until it is shown to be theirs.
    assert relation.student_id is None
    email_verify(token=email_verification_token(newbie.pk, newbie.email))
    relation.refresh_from_db()
    assert relation.student_id == newbie.pk
    services.relation_accept(actor=newbie, relation_id=relation.pk)


def test_an_invitation_from_a_tutor_already_asked_keeps_waiting() -> None:
    tutor = TutorProfileFactory().user
    invitation = services.relation_invite(tutor=tutor, email="asker@example.com")
    student = user_register(email="asker@example.com", password="a-long-passphrase-1", full_name="A Sker",
                            role="student")
    request = services.relation_request(student=student, tutor_id=tutor.pk)
    email_verify(token=email_verification_token(student.pk, student.email))
    invitation.refresh_from_db()
    assert invitation.student_id is None and request.status == RelationStatus.PENDING


def test_invitations_are_refused_for_non_students_and_oneself() -> None:
    tutor = TutorProfileFactory().user
    other_tutor = TutorFactory()
    with pytest.raises(InvalidInput):
        services.relation_invite(tutor=tutor, email=other_tutor.email)
    with pytest.raises(InvalidInput):
        services.relation_invite(tutor=tutor, email=tutor.email)
    assert not Relation.objects.exists()


def test_a_tutor_registering_with_an_invited_address_gets_nothing() -> None:
    tutor = TutorProfileFactory().user
    relation = services.relation_invite(tutor=tutor, email="both@example.com")
    other = user_register(email="both@example.com", password="a-long-passphrase-1", full_name="T", role="tutor")
    email_verify(token=email_verification_token(other.pk, other.email))
    relation.refresh_from_db()
    assert relation.student_id is None


def test_the_expiry_job_is_scheduled_to_expire_at_its_interval(settings, make_relation) -> None:
    from web.relations.tasks import relations_expire_task

    entry = settings.CELERY_BEAT_SCHEDULE["relations-expire"]
    assert entry["task"] == relations_expire_task.name
    assert entry["options"]["expires"] == entry["schedule"] > 0
    assert settings.CELERY_TASK_ROUTES["web.relations.tasks.*"] == {"queue": "activity"}
    make_relation(TutorProfileFactory().user, StudentFactory(), expires_at=timezone.now() - timedelta(hours=1))
    assert relations_expire_task.apply().get() == 1


def test_the_recount_corrects_a_count_changed_behind_the_services(make_request) -> None:
    from indexer.models import TutorOutbox

    tutor, other = TutorProfileFactory().user, TutorProfileFactory().user
    ann, bob = StudentFactory(), StudentFactory()
    for student in (ann, bob):
        services.relation_accept(actor=tutor, relation_id=make_request(tutor=tutor, student=student).pk)
    untouched = _profile(other).version
    before = _profile(tutor)
    assert before.active_students == 2
    bob.delete()  # an account deleted outright in the admin: its relations go with it
    assert _profile(tutor).active_students == 2
    TutorOutbox.objects.all().delete()

    assert services.relations_recount_active_students() == [tutor.pk]
    after = _profile(tutor)
    assert after.active_students == 1 and after.version == before.version + 1
    assert TutorOutbox.objects.filter(tutor_id=tutor.pk).exists()  # the index follows
    assert _profile(other).version == untouched
    assert services.relations_recount_active_students() == []
