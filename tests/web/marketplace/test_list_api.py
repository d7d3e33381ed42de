"""GET /api/marketplace/tutors/ against a real (cloned) index."""

from __future__ import annotations

import socket
import threading
import time

import pytest

from tests.factories import TutorProfileFactory

URL = "/api/marketplace/tutors/"

pytestmark = pytest.mark.django_db


def ids(response) -> list[int]:
    assert response.status_code == 200, response.content
    return [item["id"] for item in response.json()["results"]]


def walk(client, params: dict, page_size: int) -> list[int]:
    """Every id over all pages, following cursors."""
    seen: list[int] = []
    cursor = None
    for _ in range(200):
        response = client.get(URL, {**params, "page_size": page_size, **({"cursor": cursor} if cursor else {})})
        body = response.json()
        assert response.status_code == 200, body
        seen += [item["id"] for item in body["results"]]
        assert body["has_more"] == (body["cursor"] is not None)
        if not body["has_more"]:
            return seen
        cursor = body["cursor"]
    raise AssertionError("pagination did not end")


@pytest.fixture
def catalogue(index_tutors):
    """Six tutors with distinct, known attributes."""
    tutors = {
        "olena": TutorProfileFactory(
            user__full_name="Олена Шевченко", headline="Математика для НМТ", subjects=["math"],
            languages=["uk"], hourly_rate=300, experience_years=10, rating=4.9, reviews_count=40,
            certifications=["УЦОЯО"],
        ),
        "piotr": TutorProfileFactory(
            user__full_name="Piotr Wiśniewski", headline="Fizyka i matematyka, Łódź", subjects=["physics", "math"],
            languages=["pl", "en"], hourly_rate=550, experience_years=3, rating=4.2, reviews_count=5,
        ),
        "emma": TutorProfileFactory(
            user__full_name="Emma Clarke", headline="IELTS and Cambridge English", subjects=["english"],
            languages=["en"], hourly_rate=800, experience_years=15, rating=5.0, reviews_count=90,
            certifications=["CELTA", "DELTA"],
        ),
        "taras": TutorProfileFactory(
            user__full_name="Тарас Бондар", headline="Хімія та біологія", subjects=["chemistry", "biology"],
            languages=["uk", "en"], hourly_rate=250, experience_years=1, rating=0, reviews_count=0,
        ),
        "anna": TutorProfileFactory(
            user__full_name="Anna Nowak", headline="Physics olympiad coach", subjects=["physics"],
            languages=["pl"], hourly_rate=450, experience_years=None, rating=3.8, reviews_count=2,
        ),
        "ivan": TutorProfileFactory(
            user__full_name="Іван Мельник", headline="Python та алгоритми", subjects=["computer-science"],
            languages=["uk"], hourly_rate=600, experience_years=7, rating=4.6, reviews_count=12,
            certifications=["AWS"],
        ),
    }
    index_tutors(*tutors.values())
    return {name: profile.pk for name, profile in tutors.items()}


# --- filters -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"subject": "math"}, {"olena", "piotr"}),
        ({"subject": "music"}, set()),
        ({"price_min": 450}, {"piotr", "emma", "anna", "ivan"}),
        ({"price_max": 300}, {"olena", "taras"}),
        ({"price_min": 300, "price_max": 550}, {"olena", "piotr", "anna"}),
        ({"experience_min": 7}, {"olena", "emma", "ivan"}),
        ({"language": "pl"}, {"piotr", "anna"}),
        ({"has_certifications": "true"}, {"olena", "emma", "ivan"}),
        ({"has_certifications": "false"}, {"piotr", "taras", "anna"}),
        ({"subject": "physics", "language": "pl", "price_max": 500}, {"anna"}),
        ({"subject": "math", "experience_min": 5, "has_certifications": "true"}, {"olena"}),
        ({"language": "en", "price_min": 500, "search": "English"}, {"emma"}),
    ],
)
def test_filters_alone_and_combined(api_client, catalogue, params, expected) -> None:
    assert set(ids(api_client.get(URL, params))) == {catalogue[name] for name in expected}


def test_no_parameters_lists_everyone_best_rated_first(api_client, catalogue) -> None:
    c = catalogue
    assert ids(api_client.get(URL)) == [c["emma"], c["olena"], c["ivan"], c["piotr"], c["anna"], c["taras"]]


# --- text ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "first"),
    [
        ("математика", "olena"),
        ("physcs olympiad", "anna"),  # typo
        ("Lodz", "piotr"),  # accent folding: the headline says Łódź
        ("ŁÓDŹ", "piotr"),
        ("wisniewski", "piotr"),  # name, folded
        ("ielts", "emma"),
        ("пайтон python", "ivan"),
    ],
)
def test_text_search(api_client, catalogue, text, first) -> None:
    found = ids(api_client.get(URL, {"search": text}))
    assert found and found[0] == catalogue[first]


def test_text_search_without_a_match_is_empty(api_client, catalogue) -> None:
    assert ids(api_client.get(URL, {"search": "xylophone"})) == []


# --- ordering ----------------------------------------------------------------------------


def test_each_ordering(api_client, catalogue) -> None:
    c = catalogue
    by_price = ids(api_client.get(URL, {"ordering": "price"}))
    assert by_price == [c["taras"], c["olena"], c["anna"], c["piotr"], c["ivan"], c["emma"]]
    assert ids(api_client.get(URL, {"ordering": "-price"})) == by_price[::-1]
    # Most experienced first; a tutor without experience_years last.
    assert ids(api_client.get(URL, {"ordering": "experience"})) == [
        c["emma"], c["olena"], c["ivan"], c["piotr"], c["taras"], c["anna"]
    ]
    assert ids(api_client.get(URL, {"ordering": "rating"}))[0] == c["emma"]
    # Explicit order beats relevance for a text search.
    assert ids(api_client.get(URL, {"search": "physics", "ordering": "price"})) == [c["anna"], c["piotr"]]


# --- pagination --------------------------------------------------------------------------


@pytest.fixture
def many_equal(index_tutors):
    """23 tutors with identical sort values and 4 others: ties everywhere."""
    same = [
        TutorProfileFactory(headline="Algebra tutor", hourly_rate=400, experience_years=5, rating=4, reviews_count=3)
        for _ in range(23)
    ]
    other = [
        TutorProfileFactory(headline="Algebra coach", hourly_rate=100 * n, experience_years=n, rating=n)
        for n in range(1, 5)
    ]
    index_tutors(*same, *other)
    return sorted(p.pk for p in same + other)


@pytest.mark.parametrize("ordering", [None, "price", "-price", "experience", "rating"])
def test_walking_every_page_returns_each_tutor_once(api_client, many_equal, ordering) -> None:
    params = {"ordering": ordering} if ordering else {}
    seen = walk(api_client, params, page_size=4)
    assert len(seen) == len(set(seen)) and sorted(seen) == many_equal
    assert seen == ids(api_client.get(URL, {**params, "page_size": 50}))


def test_walking_a_text_search_returns_each_match_once(api_client, many_equal) -> None:
    seen = walk(api_client, {"search": "algebra"}, page_size=5)
    assert len(seen) == len(set(seen)) and sorted(seen) == many_equal


def test_a_text_search_pages_through_the_whole_result_window(api_client, many_equal, monkeypatch) -> None:
    # 27 matches and a window of 12 (the index's is 10,000): the walk serves exactly the
    # first 12 in relevance order, the last page short, and ends there.
    ranked = ids(api_client.get(URL, {"search": "algebra", "page_size": 50}))
    monkeypatch.setattr("search.tutors.MAX_RESULT_WINDOW", 12)
    seen = walk(api_client, {"search": "algebra"}, page_size=5)
    assert seen == ranked[:12]


def test_page_size_is_bounded(api_client, many_equal) -> None:
    assert len(ids(api_client.get(URL))) == 20
    response = api_client.get(URL, {"page_size": 51})
    assert response.status_code == 400 and "page_size" in response.json()["error"]["fields"]


def test_a_cursor_belongs_to_its_query(api_client, many_equal) -> None:
    first = api_client.get(URL, {"subject": "math", "page_size": 2}).json()
    response = api_client.get(URL, {"subject": "physics", "page_size": 2, "cursor": first["cursor"]})
    assert response.status_code == 400
    assert list(response.json()["error"]["fields"]) == ["cursor"]
    polish = api_client.get(URL, {"subject": "physics", "cursor": first["cursor"]}, HTTP_ACCEPT_LANGUAGE="pl")
    assert polish.json()["error"]["fields"]["cursor"] == [
        "Ten kursor należy do innego zapytania; zacznij od pierwszej strony."
    ]
    # The page size may change between pages; the query may not.
    assert api_client.get(URL, {"subject": "math", "page_size": 5, "cursor": first["cursor"]}).status_code == 200


@pytest.mark.parametrize("cursor", ["nonsense", "eyJhIjpbNF19:1tX:forged", "a" * 600])
def test_forged_cursors_are_refused(api_client, many_equal, cursor) -> None:
    response = api_client.get(URL, {"cursor": cursor})
    assert response.status_code == 400
    assert "cursor" in response.json()["error"]["fields"]


def test_a_tampered_cursor_is_refused(api_client, many_equal) -> None:
    cursor = api_client.get(URL, {"page_size": 2}).json()["cursor"]
    tampered = ("B" if cursor[0] != "B" else "C") + cursor[1:]
    assert api_client.get(URL, {"page_size": 2, "cursor": tampered}).status_code == 400


# --- facets -------------------------------------------------------------------------------


def _facet(body, name) -> dict:
    return {bucket["value"]: bucket["count"] for bucket in body["facets"][name]}


def test_facets_count_under_every_other_filter(api_client, catalogue) -> None:
    body = api_client.get(URL, {"subject": "physics", "facets": "true", "page_size": 50}).json()
    c = catalogue
    assert {item["id"] for item in body["results"]} == {c["piotr"], c["anna"]}
    # The subject facet ignores the subject filter: the other subjects keep their counts.
    assert _facet(body, "subjects") == {
        "math": 2, "physics": 2, "english": 1, "chemistry": 1, "biology": 1, "computer-science": 1
    }
    # Other facets are narrowed by the subject filter, i.e. agree with the hits.
    assert _facet(body, "languages") == {"pl": 2, "en": 1}
    assert body["facets"]["price"] == [{"from": 400, "to": 499, "count": 1}, {"from": 500, "to": 599, "count": 1}]


def test_facet_counts_equal_the_hits_of_each_selection(api_client, catalogue) -> None:
    base = {"price_min": 300, "search": "математика фізика physics python english"}
    body = api_client.get(URL, {**base, "facets": "true"}).json()
    for subject, count in _facet(body, "subjects").items():
        assert len(ids(api_client.get(URL, {**base, "subject": subject, "page_size": 50}))) == count
    for language, count in _facet(body, "languages").items():
        assert len(ids(api_client.get(URL, {**base, "language": language, "page_size": 50}))) == count
    without_price = {"search": base["search"]}
    body = api_client.get(URL, {**without_price, "price_min": 300, "facets": "true"}).json()
    for bucket in body["facets"]["price"]:
        params = {**without_price, "price_min": bucket["from"], "price_max": bucket["to"], "page_size": 50}
        assert len(ids(api_client.get(URL, params))) == bucket["count"]


def test_no_facets_unless_asked(api_client, catalogue) -> None:
    assert "facets" not in api_client.get(URL).json()


# --- privacy ------------------------------------------------------------------------------


def test_hidden_fields_are_absent_and_unsearchable(api_client, index_tutors) -> None:
    hidden = TutorProfileFactory(
        headline="Chemistry tutor", bio="Secret zanzibar method", show_bio_publicly=False,
        subjects=["chemistry"], show_subjects_publicly=False,
        certifications=["Quasar diploma"], show_certifications_publicly=False,
        avatar_url="https://cdn.example.com/x.jpg", show_avatar_publicly=False,
    )
    private = TutorProfileFactory(headline="Hamsterology lessons", public_profile_enabled=False)
    index_tutors(hidden, private)
    item = api_client.get(URL).json()["results"]
    assert [i["id"] for i in item] == [hidden.pk]
    for field in ("subjects", "certifications", "avatar_url", "bio", "email"):
        assert field not in item[0]
    assert ids(api_client.get(URL, {"search": "zanzibar"})) == []
    assert ids(api_client.get(URL, {"search": "quasar"})) == []
    # Hidden certifications do not even count as having some.
    assert ids(api_client.get(URL, {"has_certifications": "true"})) == []
    assert ids(api_client.get(URL, {"has_certifications": "false"})) == [hidden.pk]
    assert ids(api_client.get(URL, {"subject": "chemistry"})) == []
    assert ids(api_client.get(URL, {"search": "hamsterology"})) == []


# --- validation ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"subject": "astrology"}, "subject"),
        ({"subject": "Math!"}, "subject"),
        ({"price_min": "cheap"}, "price_min"),
        ({"price_min": -1}, "price_min"),
        ({"price_min": 500, "price_max": 100}, "price_max"),
        ({"experience_min": "1.5"}, "experience_min"),
        ({"language": "xx"}, "language"),
        ({"language": "english"}, "language"),
        ({"has_certifications": "maybe"}, "has_certifications"),
        ({"search": "a" * 201}, "search"),
        ({"search": "nul\x00byte"}, "search"),
        ({"ordering": "name"}, "ordering"),
        ({"page_size": 0}, "page_size"),
        ({"facets": "sometimes"}, "facets"),
        ({"has_certifications": "null"}, "has_certifications"),
        # A misspelt filter is refused, not ignored (which would list everyone).
        ({"subjects": "math"}, "subjects"),
        ({"query": "maths"}, "query"),
        # More terms than a cluster accepts clauses for, however they are joined.
        ({"search": " ".join(["word"] * 33)}, "search"),
        ({"search": ",".join(["w"] * 33)}, "search"),
        ({"search": "数" * 33}, "search"),
        ({"search": "\U00020000" * 33}, "search"),
        ({"search": "😀" * 33}, "search"),
    ],
)
def test_bad_input_is_a_400_naming_the_field(api_client, params, field) -> None:
    response = api_client.get(URL, params)
    assert response.status_code == 400
    body = response.json()
    assert body["error"]["code"] == "validation_error"
    assert list(body["error"]["fields"]) == [field]


def test_a_repeated_parameter_is_refused_not_narrowed_to_one_value(api_client) -> None:
    response = api_client.get(f"{URL}?subject=math&subject=physics&price_max=500")
    assert response.status_code == 400
    assert list(response.json()["error"]["fields"]) == ["subject"]


def test_empty_values_count_as_not_given(api_client, catalogue) -> None:
    empty = {name: "" for name in ("subject", "price_min", "price_max", "experience_min", "language",
                                  "has_certifications", "search", "ordering", "page_size", "cursor", "facets")}
    assert ids(api_client.get(URL, empty)) == ids(api_client.get(URL))
    # The longest search allowed is served.
    assert api_client.get(URL, {"search": " ".join(["maths"] * 32)}).status_code == 200
    assert api_client.get(URL, {"search": " ".join(["हिन्दी"] * 20)}).status_code == 200


def test_total_counts_every_match_not_only_the_page(api_client, catalogue) -> None:
    body = api_client.get(URL, {"price_min": 300, "page_size": 2}).json()
    assert len(body["results"]) == 2
    assert (body["total"], body["total_exact"]) == (5, True)
    assert body["total"] == len(walk(api_client, {"price_min": 300}, page_size=2))
    assert api_client.get(URL, {"search": "hamsterology"}).json()["total"] == 0


# --- no SQL ----------------------------------------------------------------------------------


def test_the_list_runs_no_sql(api_client, catalogue, django_assert_num_queries) -> None:
    from web.marketplace.selectors import subject_slugs

    subject_slugs()  # a warm process: the catalogue of slugs is cached
    with django_assert_num_queries(0):
        response = api_client.get(
            URL, {"subject": "math", "search": "математика", "ordering": "price", "facets": "true"}
        )
        assert response.status_code == 200
        next_page = api_client.get(URL, {"page_size": 1})
        api_client.get(URL, {"page_size": 1, "cursor": next_page.json()["cursor"]})


# --- degradation -----------------------------------------------------------------------------


def test_closed_port_is_a_fast_503_and_the_breaker_recovers(api_client, catalogue, settings, opensearch) -> None:
    from search.client import reset_clients

    settings.SEARCH_BREAKER_FAILURES = 2
    settings.SEARCH_BREAKER_RESET_SECONDS = 0.5
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        closed_port = sock.getsockname()[1]
    settings.OPENSEARCH_URL = f"http://127.0.0.1:{closed_port}"
    reset_clients()
    for _ in range(2):
        response = api_client.get(URL)
        assert response.status_code == 503
        assert int(response["Retry-After"]) >= 1
        assert response.json()["error"]["code"] == "service_unavailable"
    # Open: fails fast without trying, even once the cluster is back ...
    settings.OPENSEARCH_URL = opensearch
    reset_clients()
    assert api_client.get(URL).status_code == 503
    # ... until the reset period ends and a probe succeeds.
    time.sleep(0.6)
    assert api_client.get(URL).status_code == 200
    assert api_client.get(URL).status_code == 200


def test_an_engine_without_the_index_is_a_503_not_a_500(api_client, opensearch) -> None:
    """A fresh or restarted engine before its first build: nothing behind the alias."""
    from search.client import write_client
    from search.index_admin import alias_state
    from search.indexes import TUTORS

    client = write_client()
    for name in alias_state(client, TUTORS).all_indices:
        client.indices.delete(index=name)
    response = api_client.get(URL)
    assert response.status_code == 503
    assert response.json()["error"]["code"] == "service_unavailable"
    assert int(response["Retry-After"]) >= 1
    assert api_client.get(f"{URL}1/").status_code == 404  # the detail reads the database


def test_a_hung_cluster_is_a_503_ended_by_the_search_timeout(api_client, settings) -> None:
    """A cluster that accepts and never answers: the search client's own read timeout
    (OPENSEARCH_SEARCH_TIMEOUT, not the library's 10 s default) ends the one attempt."""
    from opensearchpy.exceptions import ConnectionTimeout

    from search.breaker import SearchUnavailable
    from search.client import reset_clients, search_client
    from search.query import TutorQuery
    from search.tutors import tutor_search

    accepted: list[socket.socket] = []
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(8)
        server.settimeout(0.05)
        stop = threading.Event()

        def accept() -> None:  # holds every connection open, never answers
            while not stop.is_set():
                try:
                    accepted.append(server.accept()[0])
                except OSError:
                    continue

        acceptor = threading.Thread(target=accept)
        acceptor.start()
        try:
            settings.OPENSEARCH_URL = f"http://127.0.0.1:{server.getsockname()[1]}"
            settings.OPENSEARCH_SEARCH_TIMEOUT = 0.3
            reset_clients()
            assert [c.timeout for c in search_client().transport.connection_pool.connections] == [0.3]
            response = api_client.get(URL)
            with pytest.raises(SearchUnavailable) as raised:
                tutor_search(TutorQuery(), page_size=1)
        finally:
            stop.set()
            acceptor.join()
            for connection in accepted:
                connection.close()
    reset_clients()
    assert response.status_code == 503
    assert response.json()["error"]["code"] == "service_unavailable"
    assert isinstance(raised.value.__cause__, ConnectionTimeout)
    assert len(accepted) == 2  # one attempt per search: no retries


def test_cursor_errors_win_over_an_outage(api_client, settings) -> None:
    from search.client import reset_clients

    settings.OPENSEARCH_URL = "http://127.0.0.1:1"
    reset_clients()
    assert api_client.get(URL, {"cursor": "forged"}).status_code == 400
    reset_clients()


# --- the subject catalogue -----------------------------------------------------------------


@pytest.fixture
def cold_catalogue():
    """This process has not loaded the subject catalogue yet (and forgets it afterwards)."""
    from web.marketplace.selectors import subject_slugs_cache

    subject_slugs_cache.clear()
    yield
    subject_slugs_cache.clear()


def test_a_deactivated_subject_its_tutors_still_teach_is_a_working_filter(
    api_client, catalogue, cold_catalogue
) -> None:
    from web.profiles.models import Subject

    Subject.objects.filter(slug="chemistry").update(is_active=False)
    facets = api_client.get(URL, {"facets": "true"}).json()["facets"]
    shown = {bucket["value"]: bucket["count"] for bucket in facets["subjects"]}
    assert shown["chemistry"] == 1
    assert ids(api_client.get(URL, {"subject": "chemistry"})) == [catalogue["taras"]]


@pytest.mark.django_db(transaction=True)
def test_a_catalogue_the_database_cannot_give_is_a_503_not_a_500(api_client, cold_catalogue) -> None:
    from tests.support.db import table_locked
    from web.profiles.models import Subject

    with table_locked(Subject._meta.db_table):
        response = api_client.get(URL, {"subject": "math"})
    assert response.status_code == 503
    assert response.json()["error"]["code"] == "service_unavailable"
    assert int(response["Retry-After"]) >= 1
