"""Drift repair: compare the database and the index in both directions."""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass, field
from typing import Any

from opensearchpy import NotFoundError, OpenSearch

from indexer import metrics
from indexer.documents import TutorIndexer
from indexer.sync import tutor_sync, write_document
from search.client import write_client
from search.index_admin import alias_state, write_targets
from web.profiles.models import TutorProfile
from web.profiles.selectors import listed_profiles

log = logging.getLogger("mash.indexer")


@dataclass
class ReconcileReport:
    checked_db: int = 0
    checked_index: int = 0
    missing: list[int] = field(default_factory=list)
    stale: list[int] = field(default_factory=list)
    orphaned: list[int] = field(default_factory=list)
    hidden: list[int] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        return {kind: len(getattr(self, kind)) for kind in ("missing", "stale", "orphaned", "hidden")}

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "counts": self.counts()}


def index_versions(client: OpenSearch, index: str, page: int = 10_000) -> dict[int, int]:
    """id -> version of every document, a page at a time in id order.

    Each page asks for the ids above the last one seen (a `range` filter) rather than
    `search_after` over every document: the engine then sorts only what is left, which
    at 100,000 tutors takes a third of the time. `page` is at most the index's
    max_result_window.
    """
    versions: dict[int, int] = {}
    last = -1
    while True:
        body: dict[str, Any] = {
            "size": page,
            "_source": ["version"],
            "sort": [{"id": "asc"}],
            "query": {"range": {"id": {"gt": last}}},
            "track_total_hits": False,
        }
        try:
            hits = client.search(index=index, body=body)["hits"]["hits"]
        except NotFoundError:
            return versions
        for hit in hits:
            versions[int(hit["_id"])] = int(hit["_source"]["version"])
        if len(hits) < page:
            return versions
        last = int(hits[-1]["_id"])


def reconcile(
    client: OpenSearch | None = None, repair: bool = True, indices: list[str] | None = None
) -> ReconcileReport:
    """Find missing, stale, orphaned and hidden-but-indexed documents and repair them.

    Checks the indices searches read, and repairs every index behind the write alias
    (clearing the repaired tutors' outbox rows). Or checks and repairs only `indices`
    (a rebuild's new index, a rollback's target), which must be behind the write alias
    so that changes made meanwhile reach them too; the other indices are left alone
    (an older index may not even accept documents of the current mapping).
    """
    client = client or write_client()
    indexer = TutorIndexer()
    report = ReconcileReport()
    targets = write_targets(client, indexer.definition)
    # What searches see. An index that only sits behind the write alias is a rebuild
    # in progress (or one that died): partial by design, and replaced by the next rebuild.
    live = indices if indices is not None else alias_state(client, indexer.definition).read
    if indices is not None:
        if not set(indices) <= set(targets):
            raise ValueError(f"{indices} are not all behind {indexer.definition.write_alias}, repairs would miss them")
        client.indices.refresh(index=",".join(indices))  # just written: make it all searchable
    if not targets or not live:
        return report
    per_index = [index_versions(client, index) for index in live]
    indexed: set[int] = set().union(*per_index)
    listed = dict(listed_profiles().values_list("pk", "version"))
    existing = set(TutorProfile.objects.values_list("pk", flat=True))
    report.checked_db, report.checked_index = len(listed), len(indexed)
    for tutor_id, version in listed.items():
        seen = [versions.get(tutor_id) for versions in per_index]
        if any(v is None for v in seen):
            report.missing.append(tutor_id)
        elif any(v != version for v in seen):
            report.stale.append(tutor_id)
    for tutor_id in sorted(indexed):
        if tutor_id not in existing:
            report.orphaned.append(tutor_id)
        elif tutor_id not in listed:
            report.hidden.append(tutor_id)

    if repair:
        for kind in ("missing", "stale", "hidden"):
            for tutor_id in getattr(report, kind):
                tutor_sync(tutor_id, indexer=indexer, client=client, only=indices)
                metrics.DRIFT_REPAIRED.labels(kind).inc()
        for tutor_id in report.orphaned:
            for index in indices or targets:
                write_document(client, index, tutor_id, None, None)
            metrics.DRIFT_REPAIRED.labels("orphaned").inc()
    if any(report.counts().values()):
        log.warning("reconcile found drift", extra=report.counts())
    return report
