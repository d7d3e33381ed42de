"""A golden set: queries over fixed tutors and who must rank first.

A mapping, analyzer or boost change that breaks search quality fails here. BM25 in
the embedded engine approximates Lucene's, so rankings are asserted only where they
are unambiguous (the expected tutors are the only good answers).
"""

from __future__ import annotations

import pytest

from search.query import TutorQuery
from search.tutors import tutor_search
from tests.factories import TutorProfileFactory

pytestmark = pytest.mark.django_db

# name -> (full_name, headline, bio, subjects, rating, reviews_count)
TUTORS = {
    "olena_math": ("Олена Коваленко", "Математика для НМТ", "Алгебра, геометрія, підготовка до іспитів.",
                   ["math"], 4.7, 30),
    "bogdan_math": ("Богдан Мельник", "Репетитор з алгебри", "Готую школярів 5-11 класів.", ["math"], 4.1, 5),
    "piotr_math": ("Piotr Wiśniewski", "Korepetycje z matematyki, Łódź", "Matura rozszerzona bez stresu.",
                   ["math", "physics"], 4.5, 12),
    "emma_maths": ("Emma Taylor", "GCSE maths tutor", "Calm, structured lessons.", ["math"], 4.9, 40),
    "anna_physics": ("Anna Nowak", "Fizyka do matury", "Mechanika i elektryczność.", ["physics"], 4.0, 3),
    "taras_physics": ("Тарас Бондар", "Фізика для школярів", "Механіка та оптика.", ["physics"], 3.9, 2),
    "george_physics": ("George Evans", "Physics lessons for A-level", "From mechanics to quantum.",
                       ["physics"], 4.4, 9),
    "iryna_chem": ("Ірина Шевчук", "Хімія для вступників", "Органічна хімія та задачі.", ["chemistry"], 4.2, 8),
    "zofia_bio": ("Zofia Kamińska", "Biologia do matury", "Anatomia i genetyka.", ["biology"], 4.6, 14),
    "jack_english": ("Jack Wilson", "IELTS preparation", "Band 7+ strategies.", ["english"], 4.8, 50),
    "oksana_english": ("Оксана Ткаченко", "Англійська для дітей", "Ігрові заняття.", ["english"], 4.3, 6),
    "ewa_polish": ("Ewa Mazur", "Polski dla obcokrajowców", "Egzamin B1 i rozmowa.", ["polish"], 4.5, 11),
    "klaus_german": ("Maria Schmidt", "German for travellers", "Goethe A2 to B1.", ["german"], 4.0, 4),
    "dmytro_hist": ("Дмитро Лисенко", "Історія України для НМТ", "Дати, карти, джерела.", ["history"], 4.4, 7),
    "lucy_geo": ("Lucy Clarke", "Geography tutor", "Physical and human geography.", ["geography"], 4.1, 3),
    "maksym_cs": ("Максим Олійник", "Python з нуля", "Алгоритми та структури даних.", ["computer-science"],
                  4.7, 25),
    "tomasz_cs": ("Tomasz Zieliński", "Programowanie dla licealistów", "Informatyka do matury.",
                  ["computer-science"], 4.2, 6),
    "sofia_music": ("Софія Павленко", "Фортепіано для дітей", "Сольфеджіо та гами.", ["music"], 4.9, 33),
    "harry_music": ("Harry Hughes", "Guitar lessons", "Acoustic and electric.", ["music"], 4.0, 2),
    "katarzyna_lodz": ("Katarzyna Dąbrowska", "Chemia w Łodzi", "Zajęcia w Łódź i online.", ["chemistry"],
                       4.3, 5),
    # Identical text and rating, and the less proven twin is created first (the lower id):
    # only the review-count nudge can put twin_high first (the sort's ties go to the id).
    "twin_low": ("Grace Walker", "Ukrainian for beginners", "Grammar and conversation.", ["ukrainian"], 3.0, 1),
    "twin_high": ("Grace Walker", "Ukrainian for beginners", "Grammar and conversation.", ["ukrainian"], 3.0, 150),
    "yulia_uk": ("Юлія Руденко", "Українська мова та література", "Твори та правопис.", ["ukrainian"], 4.5, 10),
    "olek_cert": ("Олександр Мороз", "Німецька для роботи", "Ділове листування.", ["german"], 4.1, 4),
    "ivan_mixed": ("Іван Гончаренко", "Хімія та біологія", "Підготовка до медичного.", ["chemistry", "biology"],
                   4.6, 15),
    "amelia_hist": ("Amelia Wright", "History essays", "Essay structure and sources.", ["history"], 4.2, 3),
    "pawel_geo": ("Paweł Jankowski", "Geografia do matury", "Mapy i klimat.", ["geography"], 4.0, 2),
    "natalia_music": ("Наталія Левченко", "Гітара для початківців", "Акорди та ритм.", ["music"], 4.4, 6),
    "michal_english": ("Michał Krawczyk", "Angielski konwersacje", "FCE i CAE.", ["english"], 4.3, 9),
    "isla_bio": ("Isla Edwards", "Biology tutor for medicine applicants", "Cells and genetics.", ["biology"],
                 4.7, 21),
}

MATH = {"olena_math", "bogdan_math", "piotr_math", "emma_maths"}
PHYSICS = {"piotr_math", "anna_physics", "taras_physics", "george_physics"}


@pytest.fixture
def golden(index_tutors):
    profiles = {}
    for key, (name, headline, bio, subjects, rating, reviews) in TUTORS.items():
        profiles[key] = TutorProfileFactory(
            user__full_name=name, headline=headline, bio=bio, subjects=subjects, rating=rating,
            reviews_count=reviews,
        )
    index_tutors(*profiles.values())
    by_id = {profile.pk: key for key, profile in profiles.items()}
    return lambda text: [by_id[r["id"]] for r in tutor_search(TutorQuery(search=text), page_size=50).results]


@pytest.mark.parametrize(
    ("text", "expected_top"),
    [
        ("математика", MATH),  # Ukrainian subject name
        ("matematyka", MATH),  # Polish
        ("maths", MATH),  # English alias
        ("Mathematics", MATH),
        ("physcs", PHYSICS),  # typo
        ("фізика", PHYSICS),
        ("programming", {"maksym_cs", "tomasz_cs"}),  # alias of computer science
        ("фортепіано", {"sofia_music", "harry_music", "natalia_music"}),  # alias of music
    ],
)
def test_subject_queries_in_any_language_rank_that_subjects_tutors_first(golden, text, expected_top) -> None:
    found = golden(text)
    assert set(found[: len(expected_top)]) == expected_top, found


@pytest.mark.parametrize(
    ("text", "first"),
    [
        ("Wiśniewski", "piotr_math"),  # name with diacritics
        ("wisniewski", "piotr_math"),  # folded
        ("Коваленко", "olena_math"),
        ("коваленко олена", "olena_math"),
        ("IELTS", "jack_english"),
        ("Python", "maksym_cs"),
        ("Фортепіано для дітей", "sofia_music"),
        ("medicine applicants", "isla_bio"),
    ],
)
def test_names_and_distinctive_words_rank_their_tutor_first(golden, text, first) -> None:
    assert golden(text)[0] == first


@pytest.mark.parametrize("text", ["Łódź", "lodz", "LODZ"])
def test_accents_and_case_are_folded(golden, text) -> None:
    # "Łódź" is in Piotr's headline and in Katarzyna's bio (her headline has the inflected "Łodzi").
    found = golden(text)
    assert found[0] == "piotr_math"
    assert "katarzyna_lodz" in found[:2]


def test_stemmed_english(golden) -> None:
    # "lesson" (singular) finds "lessons" through the stemmed sub-fields.
    found = golden("physics lesson")
    assert found[0] == "george_physics"


def test_rating_nudges_otherwise_equal_tutors(golden) -> None:
    found = golden("Ukrainian for beginners")
    assert found[:2] == ["twin_high", "twin_low"]


def test_nonsense_finds_nothing(golden) -> None:
    assert golden("qwxzvbnm") == []


def test_rating_lifts_a_near_equal_match_but_not_over_a_much_better_one(golden, index_tutors) -> None:
    # Among the golden tutors (so "astronomy" is a rare word, as a subject would be), the
    # shorter headline is the slightly better BM25 match; the nudge must overturn that for
    # a proven tutor, but not lift a passing mention in a bio over either.
    plain = TutorProfileFactory(headline="Astronomy tutor", bio="Lessons online.", rating=3.0, reviews_count=1)
    proven = TutorProfileFactory(
        headline="Astronomy tutor online", bio="Lessons online.", rating=4.9, reviews_count=120
    )
    mention = TutorProfileFactory(headline="Chess coach", bio="Also some astronomy.", rating=5.0, reviews_count=90)
    index_tutors(plain, proven, mention)
    found = [r["id"] for r in tutor_search(TutorQuery(search="astronomy"), page_size=10).results]
    assert found == [proven.pk, plain.pk, mention.pk]
