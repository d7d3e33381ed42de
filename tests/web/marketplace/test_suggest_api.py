"""Search as you type (GET /api/marketplace/suggest/) and did-you-mean on an empty search."""

from __future__ import annotations

import pytest

from tests.factories import TutorProfileFactory

pytestmark = pytest.mark.django_db

SUGGEST = "/api/marketplace/suggest/"
LIST = "/api/marketplace/tutors/"


@pytest.fixture
def tutors(index_tutors):
    found = {
        "piotr": TutorProfileFactory(
            user__full_name="Piotr Wiśniewski", headline="Korepetycje z matematyki, Łódź", subjects=["math"],
            bio="Matura rozszerzona.",
        ),
        "olena": TutorProfileFactory(
            user__full_name="Олена Коваленко", headline="Хімія для вступників", subjects=["chemistry"],
        ),
        "secret": TutorProfileFactory(
            user__full_name="Roman Tajny", headline="Korepetycje online", subjects=["geography"],
            bio="Kwaternionowy sekret", show_bio_publicly=False, show_subjects_publicly=False,
        ),
        "unlisted": TutorProfileFactory(
            user__full_name="Zenon Niewidzialny", headline="Astrofizyka", subjects=["physics"],
            public_profile_enabled=False,
        ),
    }
    index_tutors(*found.values())
    return found


def suggest(client, text: str) -> list[dict]:
    response = client.get(SUGGEST, {"q": text})
    assert response.status_code == 200, response.content
    return response.json()["results"]


def test_names_complete_from_any_word_with_accents_folded(api_client, tutors) -> None:
    piotr = tutors["piotr"]
    for typed in ("Wiśn", "wisn", "WISNIEWSKI", "piotr w"):
        assert {"type": "tutor", "text": "Piotr Wiśniewski", "tutor_id": piotr.pk} in suggest(api_client, typed), typed
    olena = {"type": "tutor", "text": "Олена Коваленко", "tutor_id": tutors["olena"].pk}
    assert olena in suggest(api_client, "коваленк")


def test_a_typo_after_the_first_characters_is_forgiven(api_client, tutors) -> None:
    assert tutors["piotr"].pk in [s.get("tutor_id") for s in suggest(api_client, "wisnew")]
    assert tutors["olena"].pk in [s.get("tutor_id") for s in suggest(api_client, "ковлен")]  # a letter missing
    assert {"type": "subject", "text": "Matematyka", "slug": "math"} in suggest(api_client, "matematik")
    # The first characters must be right.
    assert tutors["piotr"].pk not in [s.get("tutor_id") for s in suggest(api_client, "xisniew")]


def test_subjects_in_every_language_and_headlines_say_what_they_are(api_client, tutors) -> None:
    assert {"type": "subject", "text": "Математика", "slug": "math"} in suggest(api_client, "мате")
    assert {"type": "subject", "text": "Chemistry", "slug": "chemistry"} in suggest(api_client, "chem")
    assert {"type": "subject", "text": "Chemia", "slug": "chemistry"} in suggest(api_client, "chemia")
    assert {"type": "headline", "text": "Korepetycje z matematyki, Łódź", "tutor_id": tutors["piotr"].pk} in (
        suggest(api_client, "korep")
    )
    assert {"type": "headline", "text": "Хімія для вступників", "tutor_id": tutors["olena"].pk} in (
        suggest(api_client, "вступ")
    )


def test_at_most_ten(api_client, index_tutors) -> None:
    index_tutors(*[TutorProfileFactory(user__full_name=f"Anna Kowal{n}", headline="Lekcje") for n in range(14)])
    found = suggest(api_client, "kowal")
    assert len(found) == 10
    assert {s["type"] for s in found} == {"tutor"}


def test_exact_beginnings_first_then_the_better_rated(api_client, index_tutors) -> None:
    typo = TutorProfileFactory(user__full_name="Marta Zielonka", headline="Lekcje", rating=5, reviews_count=200)
    low = TutorProfileFactory(user__full_name="Marta Zielińska", headline="Lekcje", rating=3, reviews_count=10)
    high = TutorProfileFactory(user__full_name="Marek Zieliński", headline="Lekcje", rating=5, reviews_count=90)
    index_tutors(typo, low, high)
    # "zielin" begins both Zieliński (the better rated first) and Zielińska; Zielonka only
    # with a typo forgiven, so it comes after them whatever its rating.
    ids = [s.get("tutor_id") for s in suggest(api_client, "zielin")]
    assert ids == [high.pk, low.pk, typo.pk]


def test_a_long_word_typed_in_full_completes(api_client, index_tutors) -> None:
    tutor = TutorProfileFactory(user__full_name="Łucja Konstantynopolitańczykowianka", headline="Lekcje")
    index_tutors(tutor)
    assert [s.get("tutor_id") for s in suggest(api_client, "konstantynopolitanczykowianka")] == [tutor.pk]
    assert [s.get("tutor_id") for s in suggest(api_client, "Łucja Konstantynopolitańczykow")] == [tutor.pk]


def test_hidden_fields_and_unlisted_tutors_are_never_suggested(api_client, tutors) -> None:
    assert suggest(api_client, "Kwaternion") == []
    assert suggest(api_client, "sekret") == []
    assert suggest(api_client, "Zenon") == []
    assert suggest(api_client, "Niewidz") == []
    assert suggest(api_client, "Astrofiz") == []
    # The hidden-subjects tutor's name is public; its hidden subject never names it.
    assert all(s.get("tutor_id") != tutors["secret"].pk for s in suggest(api_client, "geograf"))


def test_suggest_runs_no_sql(api_client, tutors, django_assert_num_queries) -> None:
    from web.marketplace.selectors import subject_names_cache

    subject_names_cache.slugs()  # a warm process: the catalogue is cached
    with django_assert_num_queries(0):
        assert suggest(api_client, "wisn")
        assert suggest(api_client, "мате")


@pytest.mark.parametrize(("params", "field"), [({}, "q"), ({"q": "   "}, "q"), ({"q": "x" * 101}, "q"),
                                               ({"q": "a", "size": "3"}, "size")])
def test_bad_input_is_a_400_naming_the_field(api_client, params, field) -> None:
    response = api_client.get(SUGGEST, params)
    assert response.status_code == 400
    assert field in response.json()["error"]["fields"]


# --- did you mean ------------------------------------------------------------------------


def test_a_misspelt_subject_offers_a_query_that_finds_tutors(api_client, tutors) -> None:
    # A wrong first letter is beyond the search's own typo tolerance.
    body = api_client.get(LIST, {"search": "natematyka"}).json()
    assert body["total"] == 0
    assert 1 <= len(body["did_you_mean"]) <= 3
    for candidate in body["did_you_mean"]:
        assert api_client.get(LIST, {"search": candidate}).json()["total"] > 0, candidate
    assert "matematyka" in body["did_you_mean"]


def test_a_misspelt_name_offers_the_name(api_client, tutors) -> None:
    body = api_client.get(LIST, {"search": "Qisniewski"}).json()
    assert body["total"] == 0
    assert "wisniewski" in body["did_you_mean"]


def test_nothing_is_offered_that_would_find_nobody(api_client, tutors) -> None:
    # Under a filter nobody matches, the correction would find no one either.
    body = api_client.get(LIST, {"search": "natematyka", "subject": "music"}).json()
    assert body["total"] == 0 and body["did_you_mean"] == []
    body = api_client.get(LIST, {"search": "qqqqzzzzxxxx"}).json()
    assert body["did_you_mean"] == []
    # A hidden bio word is never corrected to.
    assert api_client.get(LIST, {"search": "Kwaternionowy"}).json()["did_you_mean"] == []


def test_a_search_with_results_has_no_did_you_mean(api_client, tutors) -> None:
    assert "did_you_mean" not in api_client.get(LIST, {"search": "matematyka"}).json()
