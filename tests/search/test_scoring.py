"""Scoring: words add up across fields, and the rating nudge stays below a text difference."""

from __future__ import annotations

import pytest

from search import scoring
from search.morphology import lemma_text, word_forms
from search.query import TutorQuery
from search.tutors import tutor_search
from tests.factories import TutorProfileFactory


def test_no_text_no_clause() -> None:
    assert scoring.text_clause(None) is None
    assert scoring.text_clause("   ") is None


def test_each_word_is_one_clause_scoring_its_best_field() -> None:
    clause = scoring.text_clause("matematyka Łomża matematyka")
    words = clause["bool"]["should"]
    assert len(words) == 2  # a repeated word counts once
    assert all("dis_max" in word and word["dis_max"]["tie_breaker"] == 0 for word in words)
    boosts = {
        next(iter(option["constant_score"]["filter"]["match"])): option["constant_score"]["boost"]
        for option in words[0]["dis_max"]["queries"]
        if "fuzziness" not in next(iter(option["constant_score"]["filter"]["match"].values()))
    }
    assert boosts["full_name"] > boosts["headline"] > boosts["subject_names"] > boosts["bio"]


def test_short_queries_forgive_typos_only_in_short_fields_and_long_ones_not_at_all() -> None:
    def fuzzy_fields(text: str) -> set[str]:
        found = set()
        for word in scoring.text_clause(text)["bool"]["should"]:
            for option in word["dis_max"]["queries"]:
                (field, match), = option["constant_score"]["filter"]["match"].items()
                if "fuzziness" in match:
                    assert match["prefix_length"] == 1
                    found.add(field)
        return found

    assert fuzzy_fields("physcs") == {"full_name", "headline", "subject_names"}
    assert fuzzy_fields("maths and physics for the national exam") == set()


def test_the_nudge_is_smaller_than_any_clear_text_difference() -> None:
    assert 0 < scoring.NUDGE_MAX < scoring.TEXT_STEP
    # One more real word, at its weakest (a typo in the subject names), outweighs the nudge.
    assert scoring.WEAKEST_WORD > scoring.NUDGE_MAX
    assert scoring.NAME_WEIGHT - scoring.HEADLINE_WEIGHT > scoring.NUDGE_MAX
    # Bands of a field never overlap, so a tutor gets at most one band per field.
    by_field: dict[str, list[tuple[float, float]]] = {}
    for field, low, high, _boost in scoring.QUALITY_BANDS:
        by_field.setdefault(field, []).append((low, float("inf") if high is None else high))
    for bands in by_field.values():
        bands.sort()
        assert all(prev[1] <= nxt[0] for prev, nxt in zip(bands, bands[1:], strict=False))


def test_the_nudge_reads_the_rating_field() -> None:
    fields = {field for field, *_ in scoring.QUALITY_BANDS}
    assert fields == {scoring.RATING_FIELD, scoring.REVIEWS_FIELD}
    assert scoring.RATING_FIELD == "rating_score"  # the Bayesian score, not the plain mean


@pytest.mark.parametrize(
    ("text", "lemma"),
    [("олімпіади", "олімпіада"), ("korepetycje z matematyki", "matematyka"), ("Physics lessons", "lesson"),
     ("w Łomży", "łomża"), ("задачі на стехіометрію", "стехіометрія")],
)
def test_lemmas_of_inflected_words_in_uk_pl_en(text, lemma) -> None:
    assert lemma in lemma_text(text).split()
    assert lemma in {form for word in text.split() for form in word_forms(word)}


def test_lemma_text_leaves_out_words_already_in_their_dictionary_form() -> None:
    assert lemma_text("математика") == ""
    assert lemma_text("") == "" and lemma_text(None) == ""


@pytest.mark.django_db
def test_a_top_rated_tutor_matching_fewer_words_never_outranks_one_matching_more(index_tutors) -> None:
    # The proven tutor has the best rating and most reviews, and matches one word in the
    # best field (the name); the new one matches two words in the weakest fields.
    proven = TutorProfileFactory(
        user__full_name="Kasia Stehiometria", headline="Korepetycje", bio="Online.", subjects=["math"],
        rating=5.0, reviews_count=900,
    )
    new = TutorProfileFactory(
        user__full_name="Jan Nowy", headline="Korepetycje", bio="Lekcje stehiometria i olimpiada.",
        subjects=["physics"], rating=0, reviews_count=0,
    )
    index_tutors(proven, new)
    found = [r["id"] for r in tutor_search(TutorQuery(search="stehiometria olimpiada"), page_size=5).results]
    assert found == [new.pk, proven.pk]


@pytest.mark.django_db
def test_the_nudge_orders_equal_matches_by_rating(index_tutors) -> None:
    low = TutorProfileFactory(headline="Astronomy tutor", rating=3.0, reviews_count=1)
    high = TutorProfileFactory(headline="Astronomy tutor", rating=4.9, reviews_count=120)
    index_tutors(low, high)
    found = [r["id"] for r in tutor_search(TutorQuery(search="astronomy"), page_size=5).results]
    assert found == [high.pk, low.pk]
