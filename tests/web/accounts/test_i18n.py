"""Languages: uk, en and pl from Accept-Language, else the user's, else English; every
message of ours translated."""

from __future__ import annotations

from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir

from config.messages import LOCALE_DIR, read_catalogue, untranslated
from tests.factories import StudentFactory

ROOT = Path(__file__).resolve().parents[3]
KEYWORDS = {"_": None, "gettext": None, "gettext_lazy": None, "ngettext": (1, 2), "pgettext_lazy": ((1, "c"), 2)}


def _our_messages() -> set[str]:
    found = set()
    for _filename, _line, message, _comments, _context in extract_from_dir(
        ROOT / "web", method_map=[("**.py", "python")], keywords=KEYWORDS
    ):
        found.add(message[0] if isinstance(message, tuple) else message)
    return found


@pytest.mark.parametrize("language", ["uk", "pl"])
def test_every_message_of_ours_has_a_translation(language) -> None:
    catalog = read_catalogue(LOCALE_DIR / language / "LC_MESSAGES" / "django.po")
    assert untranslated(catalog) == []
    translated = {str(m.id[0] if isinstance(m.id, tuple) else m.id) for m in catalog if m.id}
    missing = sorted(_our_messages() - translated)
    assert missing == [], f"not in locale/{language}: {missing}"
    assert len(translated) > 20


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("language", "message"),
    [
        ("uk", "Некоректні дані: email: Введіть коректну адресу електронної пошти."),
        ("pl", "Nieprawidłowe dane: email: Podaj poprawny adres e-mail."),
        ("en", "Invalid input: email: Enter a valid email address."),
    ],
)
def test_a_validation_error_in_the_requested_language(api_client, language, message) -> None:
    response = api_client.post(
        "/api/auth/password-reset/", {"email": "not-an-email"}, format="json", HTTP_ACCEPT_LANGUAGE=language
    )
    assert response.status_code == 400
    assert response.json()["error"]["message"] == message
    assert response["Content-Language"] == language


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("language", "expected"),
    [("uk", "Неправильний пароль."), ("pl", "Hasło jest nieprawidłowe."), ("de", "The password is not correct.")],
)
def test_our_own_messages_in_uk_and_pl(auth_client, language, expected) -> None:
    response = auth_client(StudentFactory()).post(
        "/api/me/password/", {"current_password": "wrong", "new_password": "x-long-passphrase-1"}, format="json",
        HTTP_ACCEPT_LANGUAGE=language,
    )
    assert response.json()["error"]["fields"]["current_password"] == [expected]


@pytest.mark.django_db
def test_without_accept_language_the_users_language_else_english(auth_client, api_client) -> None:
    polish = StudentFactory(language="pl")
    response = auth_client(polish, accept_language=None).patch("/api/me/", {"timezone": "Mars/Olympus"},
                                                               format="json")
    assert response.json()["error"]["fields"]["timezone"] == ["Nieznana strefa czasowa IANA."]
    assert response["Content-Language"] == "pl"
    # A header of the request wins over the account's language.
    response = auth_client(polish, accept_language=None).patch("/api/me/", {"timezone": "Mars/Olympus"},
                                                               format="json", HTTP_ACCEPT_LANGUAGE="uk")
    assert response.json()["error"]["fields"]["timezone"] == ["Невідомий часовий пояс IANA."]
    anonymous = api_client.post("/api/auth/verify-email/", {"token": "x"}, format="json")
    assert anonymous["Content-Language"] == "en"
    assert anonymous.json()["error"]["fields"]["token"] == ["This verification link is invalid or has expired."]


@pytest.mark.django_db
def test_rate_limit_messages_are_translated(api_client) -> None:
    from django.utils import translation

    from web.core.errors import RateLimited

    with translation.override("uk"):
        assert str(RateLimited(3, "x").message).endswith("Повторіть через 3 секунди.")
    with translation.override("pl"):
        assert str(RateLimited(5, "x").message).endswith("Spróbuj ponownie za 5 sekund.")


@pytest.mark.django_db
@pytest.mark.parametrize(("language", "name"), [("uk", "Математика"), ("pl", "Matematyka"), ("en", "Mathematics")])
def test_subject_names_follow_the_language(api_client, language, name) -> None:
    subjects = api_client.get("/api/subjects/", HTTP_ACCEPT_LANGUAGE=language).json()
    math = next(s for s in subjects if s["slug"] == "math")
    assert math["name"] == name
    assert {"name_uk", "name_en", "name_pl"} <= set(math)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("uk", "Немає опублікованого викладача з таким id."),
        ("pl", "Żaden widoczny korepetytor nie ma tego id."),
        ("en", "No listed tutor has this id."),
    ],
)
def test_a_relations_refusal_in_the_requested_language(auth_client, language, expected) -> None:
    response = auth_client(StudentFactory()).post(
        "/api/student/relations/", {"tutor_id": 999_999}, format="json", HTTP_ACCEPT_LANGUAGE=language
    )
    assert response.status_code == 400
    assert response.json()["error"]["fields"]["tutor_id"] == [expected]
    assert response["Content-Language"] == language
