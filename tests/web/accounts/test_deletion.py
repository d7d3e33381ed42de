"""Deleting an account: personal data erased column by column, other people's data consistent."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from tests.factories import PASSWORD, StudentFactory, TutorProfileFactory
from tests.web.reviews.conftest import complete_lesson
from web.accounts.models import User
from web.activity.events import activity_log
from web.activity.models import ActivityLog
from web.lessons.models import Lesson, LessonChange, LessonStatus
from web.mail.models import MailStatus, OutgoingMail
from web.mail.rendering import render_mail
from web.mail.services import mail_to_user
from web.profiles.models import AvailabilitySlot, ProfileDraft, TutorProfile
from web.profiles.selectors import SNAPSHOT_ACTION, listed_profiles
from web.relations.models import Initiator, Relation, RelationStatus, RelationStatusLog
from web.reviews.models import Review
from web.reviews.services import review_create, review_reply


def _lesson(tutor: User, student: User, start_in_days: int, status: str = LessonStatus.SCHEDULED) -> Lesson:
    start = timezone.now() + timedelta(days=start_in_days)
    return Lesson.objects.create(tutor=tutor, student=student, start=start, end=start + timedelta(hours=1),
                                 status=status)


@pytest.fixture
def world(db):
    """A listed tutor with availability, a draft, a snapshot, mail; two students: one with
    an active relation and past and future lessons, one with a pending request."""
    profile = TutorProfileFactory(bio="Born in Lviv, call me at +380 00 000 0000", certifications=["CELTA"],
                                  avatar_url="https://cdn.example.com/a.jpg")
    tutor = profile.user
    AvailabilitySlot.objects.create(profile=profile, weekday=0, start="16:00", end="18:00")
    ProfileDraft.objects.create(user=tutor, data={"bio": "draft about me"})
    activity_log(tutor, SNAPSHOT_ACTION, entity_type="tutor_profile", entity_id=tutor.pk,
                 metadata={"before": {"bio": "older bio"}})
    activity_log(tutor, "profile.updated", entity_type="tutor_profile", entity_id=tutor.pk,
                 metadata={"fields": ["bio"], "query": "private words"})
    mail_to_user(tutor, "verify_email", key="test:verify:1",
                 context={"full_name": tutor.full_name, "email": tutor.email, "link": "x", "valid_hours": 48})
    active_student, requesting_student = StudentFactory(), StudentFactory()
    active = Relation.objects.create(tutor=tutor, student=active_student, status=RelationStatus.ACTIVE,
                                     initiated_by=Initiator.STUDENT, message="Hi from the student")
    pending = Relation.objects.create(tutor=tutor, student=requesting_student, status=RelationStatus.PENDING,
                                      initiated_by=Initiator.STUDENT, message="Please teach me")
    invitation = Relation.objects.create(tutor=tutor, invited_email="friend@example.com", initiated_by=Initiator.TUTOR,
                                         message="Join my class, I am at Lviv")
    past = _lesson(tutor, active_student, -7, LessonStatus.COMPLETED)
    future = _lesson(tutor, active_student, 7)
    activity_log(active_student, "profile.viewed", entity_type="tutor_profile", entity_id=tutor.pk,
                 metadata={"note": "the student's own"})
    return {"profile": profile, "tutor": tutor, "student": active_student, "requesting": requesting_student,
            "active": active, "pending": pending, "invitation": invitation, "past": past, "future": future}


def _delete(user: User, password: str = PASSWORD):
    client = APIClient()
    client.force_authenticate(user)
    return client.delete("/api/me/", {"password": password}, format="json")


@pytest.mark.django_db
def test_a_wrong_password_deletes_nothing(world) -> None:
    tutor = world["tutor"]
    response = _delete(tutor, "not-my-password")
    assert response.status_code == 400
    assert "password" in response.json()["error"]["fields"]
    tutor.refresh_from_db()
    assert tutor.is_active and tutor.deleted_at is None and tutor.check_password(PASSWORD)
    assert listed_profiles().filter(pk=tutor.pk).exists()


@pytest.mark.django_db
def test_deletion_erases_the_personal_fields_column_by_column(world) -> None:
    tutor, profile = world["tutor"], world["profile"]
    email, version = tutor.email, profile.version
    assert _delete(tutor).status_code == 204

    user = User.objects.get(pk=tutor.pk)
    assert user.full_name == ""
    assert user.email == f"deleted-{tutor.pk}@invalid"
    assert not user.has_usable_password()
    assert user.is_active is False and user.is_staff is False and user.is_superuser is False
    assert user.email_verified_at is None and user.last_login is None
    assert user.deleted_at is not None
    assert user.public_name == "deleted tutor"

    profile = TutorProfile.objects.get(pk=tutor.pk)
    assert (profile.headline, profile.bio, profile.avatar_url) == ("", "", "")
    assert (profile.subjects, profile.certifications, profile.languages) == ([], [], [])
    assert profile.public_profile_enabled is False and profile.show_email_publicly is False
    assert profile.version == version + 1
    assert not AvailabilitySlot.objects.filter(profile=profile).exists()
    assert not ProfileDraft.objects.filter(user=user).exists()
    assert not listed_profiles().filter(pk=tutor.pk).exists()

    assert not ActivityLog.objects.filter(user=user, action=SNAPSHOT_ACTION).exists()
    remaining = ActivityLog.objects.filter(user=user).exclude(action="account.deleted")
    assert remaining.exists()
    assert all(e.metadata == {} and e.referrer is None for e in remaining)
    assert ActivityLog.objects.get(user=user, action="account.deleted").metadata == {"role": "tutor"}

    mail = OutgoingMail.objects.get(key="test:verify:1")
    assert (mail.to_email, mail.context, mail.status) == (user.email, {}, MailStatus.FAILED)
    assert not OutgoingMail.objects.filter(to_email=email).exists()
    # Nothing personal anywhere in the account's rows.
    for text in (email, "Lviv", "CELTA", world["profile"].headline, "draft about me", "private words"):
        assert text not in str(list(User.objects.filter(pk=user.pk).values()))
        assert text not in str(list(TutorProfile.objects.filter(pk=user.pk).values()))
        assert text not in str(list(ActivityLog.objects.filter(user=user).values()))
        assert text not in str(list(Relation.objects.filter(tutor=user).values()))


@pytest.mark.django_db
def test_other_peoples_data_stays_consistent(world) -> None:
    tutor, student = world["tutor"], world["student"]
    assert _delete(tutor).status_code == 204

    past, future = Lesson.objects.get(pk=world["past"].pk), Lesson.objects.get(pk=world["future"].pk)
    assert past.status == LessonStatus.COMPLETED  # the student's history stays
    assert past.tutor.public_name == "deleted tutor"
    assert future.status == LessonStatus.CANCELLED and future.cancelled_by_id == tutor.pk
    assert LessonChange.objects.filter(lesson=future, new_status=LessonStatus.CANCELLED).exists()

    for key in ("active", "pending"):
        relation = Relation.objects.get(pk=world[key].pk)
        assert relation.status == RelationStatus.ARCHIVED
        assert RelationStatusLog.objects.filter(relation=relation, new_status=RelationStatus.ARCHIVED).exists()
    # The students' own words and events stay theirs.
    assert Relation.objects.get(pk=world["active"].pk).message == "Hi from the student"
    invitation = Relation.objects.get(pk=world["invitation"].pk)
    assert (invitation.status, invitation.message) == (RelationStatus.ARCHIVED, "")
    assert ActivityLog.objects.get(user=student, action="profile.viewed").metadata == {"note": "the student's own"}
    student.refresh_from_db()
    assert student.is_active and student.full_name
    # The student can now take another tutor: the deleted one holds no active relation.
    assert not Relation.objects.filter(student=student, status=RelationStatus.ACTIVE).exists()


@pytest.mark.django_db
def test_a_deleted_account_cannot_sign_in_or_refresh(world) -> None:
    tutor = world["tutor"]
    email = tutor.email
    session = APIClient().post("/api/auth/token/", {"email": email, "password": PASSWORD}, format="json").json()
    assert _delete(tutor).status_code == 204
    sign_in = APIClient().post("/api/auth/token/", {"email": email, "password": PASSWORD}, format="json")
    assert sign_in.status_code == 401
    refreshed = APIClient().post("/api/auth/token/refresh/", {"refresh": session["refresh"]}, format="json")
    assert refreshed.status_code == 401
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {session['access']}")
    assert client.get("/api/me/").status_code == 401
    # The address is free again for a new account.
    again = APIClient().post(
        "/api/auth/register/",
        {"email": email, "password": "a-long-passphrase-77", "full_name": "Again", "role": "student"}, format="json",
    )
    assert again.status_code == 201


@pytest.mark.django_db
def test_a_deleted_student_is_shown_as_deleted_student(world) -> None:
    student = world["student"]
    assert _delete(student).status_code == 204
    lesson = Lesson.objects.select_related("student").get(pk=world["past"].pk)
    assert lesson.student.public_name == "deleted student"


@pytest.mark.pipeline
@pytest.mark.django_db(transaction=True)
def test_deletion_removes_the_tutor_from_search(opensearch, broker, worker_factory) -> None:
    from indexer.models import TutorOutbox
    from indexer.rebuild import rebuild
    from search.client import write_client
    from search.indexes import TUTORS
    from tests.indexer.conftest import wait_until

    gone, stays = TutorProfileFactory(), TutorProfileFactory()
    rebuild()

    def indexed(tutor_id: int) -> bool:
        return bool(write_client().get(index=TUTORS.read_alias, id=str(tutor_id), ignore=[404]).get("found"))

    assert indexed(gone.pk) and indexed(stays.pk)
    worker_factory()
    assert _delete(gone.user).status_code == 204
    wait_until(lambda: not indexed(gone.pk) and not TutorOutbox.objects.exists(), timeout=30)
    assert indexed(stays.pk)
    write_client().indices.refresh(index=TUTORS.read_alias)
    search = APIClient().get("/api/marketplace/tutors/").json()
    assert [t["id"] for t in search["results"]] == [stays.pk]


@pytest.mark.django_db
def test_a_deleted_students_reviews_leave_the_list_and_the_rating() -> None:
    tutor = TutorProfileFactory()
    student, other = StudentFactory(), StudentFactory()
    for author, stars in ((student, 1), (other, 5)):
        complete_lesson(tutor.user, author)
        review_create(student=author, tutor_id=tutor.pk, rating=stars, text=f"{author.full_name} wrote this")
    assert _delete(student).status_code == 204
    tutor.refresh_from_db()
    assert (tutor.reviews_count, tutor.rating_sum, list(tutor.rating_histogram)) == (1, 5, [0, 0, 0, 0, 1])
    erased = Review.objects.get(student=student)
    assert erased.deleted_at is not None and erased.text == ""
    assert Review.objects.get(student=other).text.endswith("wrote this")  # someone else's review stays


@pytest.mark.django_db
def test_a_deleted_tutors_replies_are_blanked() -> None:
    tutor = TutorProfileFactory()
    student = StudentFactory()
    complete_lesson(tutor.user, student)
    review = review_create(student=student, tutor_id=tutor.pk, rating=4, text="Good")
    review_reply(tutor=tutor.user, review_id=review.pk, text="Thank you, see you next week")
    assert _delete(tutor.user).status_code == 204
    assert Review.objects.get(pk=review.pk).reply == ""


@pytest.mark.django_db
def test_the_other_person_is_told_a_future_lesson_is_cancelled_without_the_deleted_name(world) -> None:
    tutor, student = world["tutor"], world["student"]
    student.language = "pl"
    student.save(update_fields=["language"])
    tutor_name = tutor.full_name
    assert _delete(tutor).status_code == 204

    mail = OutgoingMail.objects.get(key=f"lesson.cancelled:{world['future'].pk}")
    assert (mail.to_email, mail.template, mail.language) == (student.email, "lesson_cancelled_account_deleted", "pl")
    rendered = render_mail(mail.template, mail.language, mail.context)
    assert "odwołana" in rendered.subject
    assert "Twój korepetytor usunął swoje konto" in rendered.body
    [attachment] = mail.attachments
    assert "STATUS:CANCELLED" in attachment["content"]
    assert "SUMMARY:Lesson with usunięty korepetytor" in attachment["content"]
    # The name the deletion erases is in no mail and no calendar file.
    assert tutor_name not in str(mail.context) and tutor_name not in attachment["content"]
    assert ActivityLog.objects.filter(action="lesson.cancelled", entity_id=str(world["future"].pk)).exists()
    # The past lesson is not touched, and nobody is told about it.
    assert not OutgoingMail.objects.filter(key=f"lesson.cancelled:{world['past'].pk}").exists()
