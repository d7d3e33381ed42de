"""Mapping an engine response to the API's page (no engine needed)."""

from __future__ import annotations

from search.results import page_from


def _response(n_hits: int, total: dict | None, aggregations: dict | None = None) -> dict:
    hits = [{"_source": {"id": i, "full_name": f"T{i}", "bio": "not a result field"}, "sort": [5.0, i]}
            for i in range(n_hits)]
    response: dict = {"took": 3, "hits": {"hits": hits}}
    if total is not None:
        response["hits"]["total"] = total
    if aggregations is not None:
        response["aggregations"] = aggregations
    return response


def test_a_page_of_size_plus_one_hits_has_more_and_reports_the_total() -> None:
    page = page_from(_response(3, {"value": 40, "relation": "eq"}), size=2)
    assert [r["id"] for r in page.results] == [0, 1]
    assert "bio" not in page.results[0]
    assert page.has_more and page.next_after == [5.0, 1]
    assert (page.total, page.total_exact, page.took_ms) == (40, True, 3)


def test_a_capped_total_is_a_lower_bound() -> None:
    page = page_from(_response(2, {"value": 10_000, "relation": "gte"}), size=2)
    assert not page.has_more and page.next_after is None
    assert (page.total, page.total_exact) == (10_000, False)


def test_price_buckets_are_inclusive_ranges_like_the_price_filter() -> None:
    def terms(*pairs):
        return {"values": {"buckets": [{"key": k, "doc_count": c} for k, c in pairs]}}

    aggregations = {
        "subjects": terms(("math", 2)),
        "languages": terms(("uk", 2)),
        "price": {"values": {"buckets": [{"key": 300.0, "doc_count": 1}, {"key": 400.0, "doc_count": 0},
                                         {"key": 500.0, "doc_count": 1}]}},
    }
    page = page_from(_response(2, {"value": 2, "relation": "eq"}, aggregations), size=20, price_interval=100)
    assert page.facets == {
        "subjects": [{"value": "math", "count": 2}],
        "languages": [{"value": "uk", "count": 2}],
        "price": [{"from": 300, "to": 399, "count": 1}, {"from": 500, "to": 599, "count": 1}],
    }
