"""Index pipeline benchmark (not a test): rebuild throughput and commit-to-searchable lag.

    python bench/index_bench.py [--sizes 10000 100000] [--updates 500]

1. For each size: the gated rebuild's rate end to end (documents / seconds from
   creating the index to swapping the alias: load, replay, reconcile, gate), with its
   phases, next to a raw `helpers.bulk` of the same prebuilt documents into a fresh
   index in the same run, and their ratio.
2. Commit-to-searchable lag over N profile updates through the API (Django test client
   with a real JWT), with a real Celery worker: from the PATCH response to the new
   version answering a search.
"""

from __future__ import annotations

import argparse
import os
import random
import subprocess
import sys
import time
from typing import Any

from _stack import ROOT, ensure_tutors, percentile, start_stack


def rebuild_vs_raw(size: int) -> dict[str, Any]:
    # Imported here: Django models and settings can load only after django.setup() in start_stack().
    from opensearchpy import helpers

    from indexer.documents import TutorIndexer
    from indexer.rebuild import rebuild
    from search.client import write_client
    from search.index_admin import index_create, index_drop
    from search.indexes import TUTORS
    from web.profiles.selectors import listed_profiles

    ensure_tutors(size)
    report = rebuild()
    assert report.swapped, report.reason

    indexer = TutorIndexer()
    docs = [
        doc
        for p in listed_profiles().select_related("user").prefetch_related("slots").order_by("pk").iterator(2000)
        if (doc := indexer.extract_document(p)) is not None
    ]
    client = write_client()
    raw_index = TUTORS.new_index_name() + "9"
    index_create(client, TUTORS, raw_index)
    actions = (
        {"_index": raw_index, "_id": str(d["id"]), "_source": d, "version": d["version"], "version_type": "external"}
        for d in docs
    )
    started = time.perf_counter()
    helpers.bulk(client, actions, chunk_size=1000)
    raw_seconds = time.perf_counter() - started
    index_drop(client, raw_index)
    raw_rate = len(docs) / raw_seconds
    return {
        "size": size,
        "rebuild_docs": report.documents,
        "rebuild_seconds": report.seconds,
        "phases": report.phases,
        "rebuild_rate": report.docs_per_second,
        "raw_rate": round(raw_rate, 1),
        "ratio": round(report.docs_per_second / raw_rate, 3),
    }


def commit_to_searchable(updates: int) -> dict[str, float]:
    # Imported here: Django models and settings can load only after django.setup() in start_stack().
    from django.db import connection
    from django.test import Client
    from rest_framework_simplejwt.tokens import RefreshToken

    from search.client import write_client
    from search.indexes import TUTORS
    from web.profiles.models import TutorProfile

    env = dict(os.environ)
    env["DATABASE_URL"] = os.environ["DATABASE_URL"]
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "config", "worker", "-Q", "index,celery", "--concurrency", "2",
         "--loglevel", "ERROR", "--without-heartbeat", "--without-gossip", "--without-mingle"],
        cwd=ROOT, env=env, start_new_session=True,
    )
    try:
        time.sleep(3)
        profiles = list(TutorProfile.objects.select_related("user").order_by("?")[:updates])
        # The write client's longer timeout: a 100k-document engine can pause for seconds under load.
        client, es = Client(HTTP_HOST="localhost"), write_client()
        lags: list[float] = []
        for n, profile in enumerate(profiles):
            token = RefreshToken.for_user(profile.user).access_token
            response = client.patch(
                "/api/me/profile/", {"hourly_rate": 100 + n}, content_type="application/json",
                HTTP_AUTHORIZATION=f"Bearer {token}",
            )
            committed = time.perf_counter()
            if response.status_code != 200:
                raise RuntimeError(f"PATCH answered {response.status_code}: {response.content[:300]!r}")
            version = response.json()["version"]
            query = {"query": {"bool": {"filter": [{"term": {"id": profile.pk}}, {"term": {"version": version}}]}}}
            while es.count(index=TUTORS.read_alias, body=query)["count"] == 0:
                if time.perf_counter() - committed > 30:
                    raise RuntimeError(f"tutor {profile.pk} not searchable after 30 s")
                time.sleep(0.002)
            lags.append((time.perf_counter() - committed) * 1000)
        connection.close()
    finally:
        os.killpg(worker.pid, 15)
        worker.wait(30)
    return {
        "updates": len(lags),
        "p50_ms": round(percentile(lags, 50), 1),
        "p95_ms": round(percentile(lags, 95), 1),
        "p99_ms": round(percentile(lags, 99), 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--updates", type=int, default=500)
    args = parser.parse_args()
    random.seed(1)
    stack = start_stack("index-bench")
    from indexer.rebuild import PHASES  # imported here: Django loads only after start_stack()

    try:
        print("| tutors | rebuild s (create to swap) | rebuild docs/s | raw bulk docs/s | ratio | "
              + " | ".join(f"{name} s" for name in PHASES) + " |")
        print("|---:|---:|---:|---:|---:|" + "---:|" * len(PHASES))
        for size in sorted(args.sizes):
            row = rebuild_vs_raw(size)
            phases = " | ".join(f"{row['phases'].get(name, 0):.2f}" for name in PHASES)
            print(f"| {row['size']:,} | {row['rebuild_seconds']:.1f} | {row['rebuild_rate']:,.0f} | "
                  f"{row['raw_rate']:,.0f} | {row['ratio']:.2f} | {phases} |", flush=True)
        lag = commit_to_searchable(args.updates)
        print(f"\ncommit-to-searchable over {lag['updates']} API updates: "
              f"p50 {lag['p50_ms']} ms, p95 {lag['p95_ms']} ms, p99 {lag['p99_ms']} ms")
    finally:
        stack.stop()


if __name__ == "__main__":
    main()
