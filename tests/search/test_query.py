"""The query pieces on their own: each parameter's clause, the sort allow-list, composition."""

from __future__ import annotations

import pytest

from search import query as q
from search.query import TutorQuery, tutor_search_body


def test_each_filter_piece_is_absent_without_its_parameter() -> None:
    assert q.subject_clause(None) is None
    assert q.language_clause(None) is None
    assert q.price_clause(None, None) is None
    assert q.experience_clause(None) is None
    assert q.certifications_clause(None) is None
    assert q.text_clause(None) is None
    assert q.text_clause("   ") is None


def test_filter_pieces() -> None:
    assert q.subject_clause("math") == {"term": {"subjects": "math"}}
    assert q.language_clause("pl") == {"term": {"languages": "pl"}}
    assert q.price_clause(100, None) == {"range": {"hourly_rate": {"gte": 100}}}
    assert q.price_clause(None, 500) == {"range": {"hourly_rate": {"lte": 500}}}
    assert q.price_clause(0, 500) == {"range": {"hourly_rate": {"gte": 0, "lte": 500}}}
    assert q.experience_clause(0) == {"range": {"experience_years": {"gte": 0}}}
    assert q.certifications_clause(False) == {"term": {"has_certifications": False}}


@pytest.mark.parametrize(
    ("text", "terms"),
    [
        ("математика", 1), ("physics lessons", 2), ("a,b,c", 3), ("Łódź!!", 1), (",,, ...", 0),
        # Marks and connectors continue a word.
        ("हिन्दी", 1), ("e\u0301cole", 1), ("o_o", 1),
        # Ideographs, rare ones included, and emoji are a term each.
        ("数学老师", 4), ("abc数学", 3), ("\U00020000" * 3, 3), ("😀 😀😀", 3),
        # An upper estimate: the tokenizer keeps "7.5" whole.
        ("IELTS 7.5", 3),
    ],
)
def test_search_terms_estimates_the_analysers_terms_from_above(text, terms) -> None:
    assert q.search_terms(text) == terms


def test_every_sort_ends_with_the_unique_id_and_unknown_orders_are_refused() -> None:
    for name in q.ORDERINGS:
        assert q.sort_clause(name)[-1] == {"id": "asc"}
    with pytest.raises(ValueError):
        q.sort_clause("_script")


def test_effective_ordering() -> None:
    assert TutorQuery().effective_ordering == q.DEFAULT_ORDERING
    assert TutorQuery(search="x").effective_ordering == "relevance"
    assert TutorQuery(search="x", ordering="price").effective_ordering == "price"
    assert TutorQuery(ordering="relevance").effective_ordering == q.DEFAULT_ORDERING


def test_identity_names_everything_that_defines_the_list() -> None:
    assert TutorQuery(subject="math").identity() == {"subject": "math", "ordering": "rating"}
    assert TutorQuery(subject="math").identity() != TutorQuery(subject="physics").identity()
    assert TutorQuery(search="a").identity() != TutorQuery(search="a", ordering="price").identity()
    assert TutorQuery(price_min=1, has_certifications=False).filters == {"price_min": 1, "has_certifications": False}


def test_body_without_anything_matches_all_in_the_default_order() -> None:
    body = tutor_search_body(TutorQuery(), size=20)
    assert body["query"] == {"match_all": {}}
    assert body["sort"] == q.SORTS["rating"]
    assert body["size"] == 21
    assert body["track_total_hits"] == q.TOTAL_COUNTED_UP_TO
    assert "search_after" not in body and "aggs" not in body


def test_body_combines_filters_and_text_with_a_quality_nudge() -> None:
    query = TutorQuery(subject="math", price_max=500, experience_min=3, language="uk", search="алгебра")
    body = tutor_search_body(query, size=10, search_after=[1.5, 4.0, 7])
    main = body["query"]["bool"]
    assert main["must"] == [q.text_clause("алгебра")]
    # The nudge: optional constant-score bands on the rating score and reviews, no scripts.
    bands = [clause["constant_score"] for clause in main["should"]]
    assert {next(iter(band["filter"]["range"])) for band in bands} == {"rating_score", "reviews_count"}
    assert all(0 < band["boost"] < 0.1 for band in bands)
    assert {"range": {"rating_score": {"gte": 4.0, "lt": 4.5}}} in [band["filter"] for band in bands]
    assert "minimum_should_match" not in main
    assert {"term": {"subjects": "math"}} in main["filter"]
    assert {"term": {"languages": "uk"}} in main["filter"]
    assert {"range": {"hourly_rate": {"lte": 500}}} in main["filter"]
    assert {"range": {"experience_years": {"gte": 3}}} in main["filter"]
    assert body["search_after"] == [1.5, 4.0, 7]
    assert body["sort"][0] == {"_score": {"order": "desc"}}


def test_text_without_filters_has_no_filter_clause() -> None:
    assert "filter" not in tutor_search_body(TutorQuery(search="алгебра"), size=10)["query"]["bool"]


def test_filter_only_body_is_constant_score() -> None:
    body = tutor_search_body(TutorQuery(has_certifications=True), size=5)
    expected = {"bool": {"filter": [{"term": {"has_certifications": True}}]}}
    assert body["query"] == {"constant_score": {"filter": expected}}


def test_facets_move_facet_filters_to_post_filter_and_exclude_each_facets_own_filter() -> None:
    query = TutorQuery(subject="math", language="pl", price_min=100, experience_min=2)
    body = tutor_search_body(query, size=5, facets=True)
    # Non-facet filters still narrow everything (hits and counts).
    assert body["query"]["constant_score"]["filter"]["bool"]["filter"] == [{"range": {"experience_years": {"gte": 2}}}]
    assert len(body["post_filter"]["bool"]["filter"]) == 3
    aggs = body["aggs"]
    assert aggs["subjects"]["filter"]["bool"]["filter"] == [
        {"term": {"languages": "pl"}}, {"range": {"hourly_rate": {"gte": 100}}}
    ]
    assert aggs["languages"]["filter"]["bool"]["filter"] == [
        {"term": {"subjects": "math"}}, {"range": {"hourly_rate": {"gte": 100}}}
    ]
    assert aggs["price"]["filter"]["bool"]["filter"] == [{"term": {"subjects": "math"}}, {"term": {"languages": "pl"}}]
    assert aggs["price"]["aggs"]["values"]["histogram"]["interval"] == q.PRICE_HISTOGRAM_INTERVAL


def test_facets_without_facet_filters_count_everything() -> None:
    body = tutor_search_body(TutorQuery(), size=5, facets=True)
    assert "post_filter" not in body
    assert all(agg["filter"] == {"match_all": {}} for agg in body["aggs"].values())


def test_search_package_imports_no_django_app() -> None:
    import ast
    import pathlib

    for path in pathlib.Path(q.__file__).parent.glob("*.py"):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else []
            if isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            for name in names:
                assert not name.startswith(("web", "indexer")), f"{path.name} imports {name}"
