"""Marketplace search benchmark (not a test).

    python bench/search_bench.py                       # 20k then 100k tutors
    python bench/search_bench.py --api-size 2000 --text-size 5000 --repeat 5   # a quick run

1. At --api-size tutors: for a mix of list requests, latency through the whole API
   (Django test client: middleware, validation, DRF, telemetry) next to the same query
   sent directly with the search client, and the engine's own `took`, in the same run.
2. At --text-size tutors: free-text search p50/p99 through the index next to the
   same search done the way a plain Django app would (ORM filters + ILIKE on
   PostgreSQL; here only, never in the app). The index answers a page and the total
   (`total`, counted up to 10,000), so the ORM side is timed as a paginated Django
   list answers it (the page, then COUNT, as DRF's PageNumberPagination does), and
   also for the page alone.

Data comes from seed_demo (realistic uk/pl/en tutors); services are embedded unless
DATABASE_URL / REDIS_URL / OPENSEARCH_URL are set. BENCH_DATA_DIR keeps the seeded
database between runs.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

API_QUERIES: list[tuple[str, dict[str, Any]]] = [
    ("default order", {}),
    ("subject", {"subject": "math"}),
    ("subject+price+lang", {"subject": "english", "price_min": 300, "price_max": 700, "language": "uk"}),
    ("order by price", {"ordering": "price", "experience_min": 5}),
    ("search", {"search": "математика"}),
    ("search typo", {"search": "physcs"}),
    ("search+filters", {"search": "matura", "subject": "math", "price_max": 800}),
    ("facets", {"subject": "physics", "facets": "true"}),
    ("facets, no filter", {"facets": "true"}),
    ("facets, subject+lang", {"subject": "math", "language": "uk", "facets": "true"}),
    ("free Tue 18-20 Warsaw", {"available_on": "tue", "available_from": "18:00", "available_to": "20:00",
                               "tz": "Europe/Warsaw"}),
    ("free Mon/Wed/Fri 17-19", {"available_on": "mon,wed,fri", "available_from": "17:00", "available_to": "19:00",
                                "tz": "America/New_York"}),
    ("free Sat + subject", {"subject": "math", "available_on": "sat", "tz": "Europe/Kyiv"}),
]
# Search as you type: what a visitor has typed after a few keystrokes (a typo in the last).
SUGGEST_QUERIES = ["mate", "Коваль", "wisn", "фортеп", "matematik"]
AVAILABILITY_PARAMS = ("available_on", "available_from", "available_to", "tz")
TEXT_QUERIES = ["математика", "matematyka", "IELTS", "Łódź", "фортепіано", "python", "Коваленко", "biologia"]


def start(data_dir: Path) -> Any:
    os.environ.setdefault("SECRET_KEY", "benchmark-only-secret-key-" + "x" * 30)
    os.environ.setdefault("LOG_LEVEL", "ERROR")
    os.environ.setdefault("OPENSEARCH_INDEX_PREFIX", "bench")
    os.environ.setdefault("ALLOWED_HOSTS", "testserver,localhost,127.0.0.1")
    # Long enough for a cold 100k-document engine; the API's own timeout is not what is measured.
    os.environ.setdefault("OPENSEARCH_SEARCH_TIMEOUT", "60")
    os.environ.setdefault("OPENSEARCH_WRITE_TIMEOUT", "120")
    # Imported here: the project root is put on sys.path when this module loads.
    from config.embedded import EmbeddedStack

    stack = EmbeddedStack(data_dir).start()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django  # imported here, like everything Django: settings load only after the stack is up

    django.setup()
    from django.core.management import call_command  # after django.setup()

    call_command("migrate", verbosity=0)
    return stack


def grow_to(tutors: int) -> None:
    """seed_demo up to `tutors` generated tutors (existing ones are skipped), then make sure
    the index holds them all."""
    # Imported here: Django models and settings can load only after django.setup() in start().
    from indexer.rebuild import rebuild
    from search.client import write_client
    from search.indexes import TUTORS
    from web.demo.seed import seed_demo
    from web.profiles.selectors import listed_profiles

    started = time.perf_counter()
    report = seed_demo(tutors=tutors, students=0, index=False)
    client = write_client()
    try:
        indexed = client.count(index=TUTORS.read_alias)["count"]
    except Exception:
        indexed = -1
    listed = listed_profiles().count()
    if report.users_created or indexed != listed:
        result = rebuild()
        assert result.swapped, result.reason
        client.indices.refresh(index=TUTORS.read_alias)
    print(f"# {listed} listed tutors in the index ({report.tutors_created} created) "
          f"in {time.perf_counter() - started:.0f} s", flush=True)


def pct(values: Sequence[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * (len(ordered) - 1))))]


def once(fn: Callable[[], Any]) -> tuple[float, Any]:
    """One call: (milliseconds, result)."""
    t0 = time.perf_counter()
    result = fn()
    return (time.perf_counter() - t0) * 1000, result


def timed(fn: Callable[[], Any], repeat: int) -> tuple[list[float], list[Any]]:
    fn()  # warm-up
    runs = [once(fn) for _ in range(repeat)]
    return [ms for ms, _ in runs], [result for _, result in runs]


def api_vs_engine(repeat: int) -> None:
    """Each round sends the request through the API and then the same body directly, so
    both see the same engine state (a refresh or GC pause hits both, not one)."""
    # Imported here: Django models and settings can load only after django.setup() in start().
    from django.test import Client

    from search.client import search_client
    from search.indexes import TUTORS
    from search.query import TutorQuery, tutor_search_body
    from search.tutors import tutor_search
    from web.marketplace.availability import availability_from_params

    client = Client()
    print(f"\n{'query':<22} {'API p50':>9} {'API p95':>9} {'direct p50':>11} {'direct p95':>11} "
          f"{'took p50':>9} {'took p95':>9} {'API p95/took p95':>17}")
    single_term_p95 = 0.0
    for name, params in API_QUERIES:
        def api(params: dict[str, Any] = params) -> int:
            response = client.get("/api/marketplace/tutors/", params)
            assert response.status_code == 200, response.content[:300]
            return response.status_code

        query_params = {k: v for k, v in params.items() if k != "facets" and k not in AVAILABILITY_PARAMS}
        for key in ("price_min", "price_max", "experience_min"):
            if key in query_params:
                query_params[key] = int(query_params[key])
        window = {k: v for k, v in params.items() if k in AVAILABILITY_PARAMS}
        if "available_on" in window:
            window["available_on"] = tuple(window["available_on"].split(","))
        query = TutorQuery(**query_params, available=availability_from_params(window, "UTC") if window else None)
        body = tutor_search_body(query, size=20)

        def direct(body: dict[str, Any] = body, query: Any = query, faceted: bool = "facets" in params) -> int:
            if faceted:  # the API's request shape: one _msearch (search/facets.py)
                return int(tutor_search(query, page_size=20, facets=True).took_ms or 0)
            return search_client().search(index=TUTORS.read_alias, body=body)["took"]

        api()  # warm-up
        direct()
        api_times: list[float] = []
        direct_times: list[float] = []
        tooks: list[int] = []
        for _ in range(repeat):
            api_times.append(once(api)[0])
            ms, took = once(direct)
            direct_times.append(ms)
            tooks.append(took)
        print(f"{name:<22} {pct(api_times, 50):>9.1f} {pct(api_times, 95):>9.1f} {pct(direct_times, 50):>11.1f} "
              f"{pct(direct_times, 95):>11.1f} {pct(tooks, 50):>9.0f} {pct(tooks, 95):>9.0f} "
              f"{pct(api_times, 95) / max(pct(tooks, 95), 1):>17.2f}", flush=True)
        if name == "search":
            single_term_p95 = pct(api_times, 95)
    suggest_vs_search(client, repeat, single_term_p95)


def suggest_vs_search(client: Any, repeat: int, single_term_p95: float) -> None:
    """Suggest through the API, each typed prefix `repeat` times, against the single-term
    search of the same run (target: suggest p95 at most 1.5x)."""
    from search.client import search_client
    from search.indexes import TUTORS
    from search.suggest import suggest_body

    api_times: list[float] = []
    direct_times: list[float] = []
    for typed in SUGGEST_QUERIES:
        def api(typed: str = typed) -> int:
            response = client.get("/api/marketplace/suggest/", {"q": typed})
            assert response.status_code == 200, response.content[:300]
            return response.status_code

        def direct(typed: str = typed) -> int:
            return search_client().search(index=TUTORS.read_alias, body=suggest_body(typed))["took"]

        api()
        for _ in range(repeat):
            api_times.append(once(api)[0])
            direct_times.append(once(direct)[0])
    print(f"{'suggest (5 prefixes)':<22} {pct(api_times, 50):>9.1f} {pct(api_times, 95):>9.1f} "
          f"{pct(direct_times, 50):>11.1f} {pct(direct_times, 95):>11.1f}   suggest p95 / single-term search p95: "
          f"{pct(api_times, 95) / single_term_p95:.2f} (target at most 1.5)", flush=True)


def previous_text_body(text: str) -> dict[str, Any]:
    """The free-text body of the scoring this code replaced (best_fields multi_match plus
    additive rating bands), built around today's filters, so before and after run in the
    same process against the same index. Its stemmed `headline.en` sub-field no longer
    exists, which only makes this side cheaper."""
    from search.query import RESULT_FIELDS, TOTAL_COUNTED_UP_TO, sort_clause

    exact = {"multi_match": {"query": text, "type": "best_fields", "tie_breaker": 0.3, "boost": 2.0,
                             "fields": ["full_name^3", "headline^2", "headline.en", "subject_names^2", "bio"]}}
    fuzzy = {"multi_match": {"query": text, "type": "best_fields", "tie_breaker": 0.3, "fuzziness": "AUTO",
                             "prefix_length": 1, "max_expansions": 20,
                             "fields": ["full_name^3", "headline^2", "subject_names^2"]}}
    bands = [
        {"constant_score": {"filter": {"range": {"rating": {"gte": 4.5}}}, "boost": 1.0}},
        {"constant_score": {"filter": {"range": {"rating": {"gte": 4.0, "lt": 4.5}}}, "boost": 0.5}},
        {"constant_score": {"filter": {"range": {"reviews_count": {"gte": 100}}}, "boost": 0.5}},
    ]
    text_query = {"bool": {"should": [exact, fuzzy], "minimum_should_match": 1}}
    return {"query": {"bool": {"must": [text_query], "should": bands}}, "sort": sort_clause("relevance"),
            "size": 21, "track_total_hits": TOTAL_COUNTED_UP_TO, "_source": list(RESULT_FIELDS)}


def scoring_before_after(repeat: int) -> None:
    """Free-text latency of the previous scoring and of the current one, interleaved per
    round so both meet the same engine state."""
    from search.client import search_client
    from search.indexes import TUTORS
    from search.query import TutorQuery, tutor_search_body

    print(f"\n{'free text':<14} {'before p50':>11} {'before p99':>11} {'after p50':>10} {'after p99':>10} "
          f"{'before total':>13} {'after total':>12}")
    before_all: list[float] = []
    after_all: list[float] = []
    for text in TEXT_QUERIES + ["IELTS examiner", "matematyka Łomża", "хімія стехіометрія"]:
        bodies = (previous_text_body(text), tutor_search_body(TutorQuery(search=text), size=20))

        def run_before(body: dict[str, Any] = bodies[0]) -> int:
            return int(search_client().search(index=TUTORS.read_alias, body=body)["hits"]["total"]["value"])

        def run_after(body: dict[str, Any] = bodies[1]) -> int:
            return int(search_client().search(index=TUTORS.read_alias, body=body)["hits"]["total"]["value"])

        totals = [run_before(), run_after()]  # warm-up
        before: list[float] = []
        after: list[float] = []
        for _ in range(repeat):
            before.append(once(run_before)[0])
            after.append(once(run_after)[0])
        before_all += before
        after_all += after
        print(f"{text:<14} {pct(before, 50):>11.1f} {pct(before, 99):>11.1f} {pct(after, 50):>10.1f} "
              f"{pct(after, 99):>10.1f} {totals[0]:>13} {totals[1]:>12}", flush=True)
    print(f"{'ALL':<14} {pct(before_all, 50):>11.1f} {pct(before_all, 99):>11.1f} {pct(after_all, 50):>10.1f} "
          f"{pct(after_all, 99):>10.1f}")


FACET_QUERIES: list[tuple[str, dict[str, Any]]] = [
    ("subject", {"subject": "physics"}),
    ("no filter", {}),
    ("subject + language", {"subject": "math", "language": "uk"}),
    ("all three facets", {"subject": "english", "language": "uk", "price_min": 300, "price_max": 700}),
    ("search + subject", {"search": "matura", "subject": "math"}),
]


def facets_before_after(repeat: int) -> None:
    """The facets request as it was (one search: facet filters in a post_filter, a filter
    aggregation per facet over every tutor) against the current shape (search/facets.py:
    one _msearch), each round both, same hits and counts; "cold" clears the cached
    counts (those made without search text) before every call, "warm" is what a sidebar
    sent again within their 30 seconds sees."""
    # Imported here: Django models and settings can load only after django.setup() in start().
    from search.client import search_client
    from search.facets import facet_counts
    from search.indexes import TUTORS
    from search.query import PRICE_HISTOGRAM_INTERVAL, TutorQuery, tutor_search_body
    from search.results import facets_from
    from search.tutors import tutor_search

    print(f"\n{'facets':<20} {'before p50':>11} {'before p95':>11} {'after cold p50':>15} {'after cold p95':>15} "
          f"{'after warm p50':>15} {'after warm p95':>15}")
    for name, params in FACET_QUERIES:
        query = TutorQuery(**params)
        old_body = tutor_search_body(query, size=20, facets=True)

        def before(body: dict[str, Any] = old_body) -> Any:
            response = search_client().search(index=TUTORS.read_alias, body=body)
            return facets_from(response["aggregations"], PRICE_HISTOGRAM_INTERVAL)

        def cold(query: TutorQuery = query) -> Any:
            facet_counts.clear()
            return tutor_search(query, page_size=20, facets=True).facets

        def warm(query: TutorQuery = query) -> Any:
            return tutor_search(query, page_size=20, facets=True).facets

        assert before() == cold() == warm(), f"{name}: the counts differ"
        times: dict[str, list[float]] = {"before": [], "cold": [], "warm": []}
        for _ in range(repeat):
            times["before"].append(once(before)[0])
            times["cold"].append(once(cold)[0])
            times["warm"].append(once(warm)[0])
        print(f"{name:<20} {pct(times['before'], 50):>11.1f} {pct(times['before'], 95):>11.1f} "
              f"{pct(times['cold'], 50):>15.1f} {pct(times['cold'], 95):>15.1f} "
              f"{pct(times['warm'], 50):>15.1f} {pct(times['warm'], 95):>15.1f}", flush=True)


def index_vs_ilike(repeat: int) -> None:
    # Imported here: Django models and settings can load only after django.setup() in start().
    from django.db.models import Q, QuerySet

    from search.client import search_client
    from search.indexes import TUTORS
    from search.query import TutorQuery, tutor_search_body
    from web.profiles.models import Subject
    from web.profiles.selectors import listed_profiles

    def matching(text: str) -> QuerySet[Any]:
        # What a plain Django app would write: ILIKE over the text columns, subject names
        # looked up in the catalogue, privacy flags in the WHERE clause.
        slugs = [
            s.slug for s in Subject.objects.all()
            if text.lower() in " ".join([s.name_uk, s.name_en, s.name_pl, s.aliases]).lower()
        ]
        match = (
            Q(headline__icontains=text)
            | Q(user__full_name__icontains=text)
            | Q(bio__icontains=text, show_bio_publicly=True)
            | Q(subjects__overlap=slugs, show_subjects_publicly=True)
        )
        return listed_profiles().filter(match)

    def page(rows: QuerySet[Any]) -> list[int]:
        return list(rows.order_by("-rating", "pk").values_list("pk", flat=True)[:21])

    index_all: list[float] = []
    page_all: list[float] = []
    counted_all: list[float] = []
    print(f"\n{'free text':<14} {'index p50':>10} {'index p99':>10} {'page p50':>9} {'page p99':>9} "
          f"{'+count p50':>11} {'+count p99':>11} {'index total':>12} {'ORM total':>10}")
    for text in TEXT_QUERIES:
        body = tutor_search_body(TutorQuery(search=text), size=20)

        def index(body: dict[str, Any] = body) -> int:
            hits = search_client().search(index=TUTORS.read_alias, body=body)["hits"]
            return int(hits["total"]["value"])

        def ilike_page(text: str = text) -> int:
            return len(page(matching(text)))

        def ilike_counted(text: str = text) -> int:
            rows = matching(text)
            total = rows.count()
            page(rows)
            return total

        index_times, index_totals = timed(index, repeat)
        page_times, _ = timed(ilike_page, repeat)
        counted_times, orm_totals = timed(ilike_counted, repeat)
        index_all += index_times
        page_all += page_times
        counted_all += counted_times
        print(f"{text:<14} {pct(index_times, 50):>10.1f} {pct(index_times, 99):>10.1f} {pct(page_times, 50):>9.1f} "
              f"{pct(page_times, 99):>9.1f} {pct(counted_times, 50):>11.1f} {pct(counted_times, 99):>11.1f} "
              f"{index_totals[0]:>12} {orm_totals[0]:>10}", flush=True)
    print(f"{'ALL':<14} {pct(index_all, 50):>10.1f} {pct(index_all, 99):>10.1f} {pct(page_all, 50):>9.1f} "
          f"{pct(page_all, 99):>9.1f} {pct(counted_all, 50):>11.1f} {pct(counted_all, 99):>11.1f}")
    print(f"index p99 / ORM p99: {pct(index_all, 99) / pct(counted_all, 99):.2f} against page + count, "
          f"{pct(index_all, 99) / pct(page_all, 99):.2f} against the page alone (target at most 0.5)")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--api-size", type=int, default=20_000)
    parser.add_argument("--text-size", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--skip-api", action="store_true")
    parser.add_argument("--skip-text", action="store_true")
    parser.add_argument("--skip-ilike", action="store_true", help="free text: only the scoring before/after")
    args = parser.parse_args()
    data_dir = Path(os.environ.get("BENCH_DATA_DIR") or tempfile.mkdtemp(prefix="mash-search-bench-"))
    print(f"# data in {data_dir}; {os.cpu_count()} CPUs", flush=True)
    stack = start(data_dir)
    try:
        if not args.skip_api:
            grow_to(args.api_size)
            print(f"## API vs engine at {args.api_size} tutors, {args.repeat} runs each (ms)")
            api_vs_engine(args.repeat)
            print(f"\n## facets before / after at {args.api_size} tutors, {args.repeat} runs each (ms, direct)")
            facets_before_after(args.repeat)
        if not args.skip_text:
            grow_to(args.text_size)
            print(f"\n## free-text search at {args.text_size} tutors, {args.repeat} runs each (ms)")
            scoring_before_after(args.repeat)
            if not args.skip_ilike:
                index_vs_ilike(args.repeat)
    finally:
        stack.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
