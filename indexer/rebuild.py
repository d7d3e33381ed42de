"""Gated, zero-downtime rebuild of the tutor index, and rollback.

1. Create a new timestamped index and add it to the write alias: from now on every
   index task writes to the live index AND the new one (dual write).
2. Bulk-load every listed tutor from the database, in primary-key batches, with the
   profile version as external version (so a newer dual-written document wins).
3. Replay, in bulk, the tutors whose version changed after the load read them (belt
   and braces for writes that resolved the alias just before step 1).
4. Reconcile the new index against the database (reading the index in pages).
5. Gate: document count equals the listed tutors in the DB, and a random sample of
   documents (one mget, one query) equals freshly built ones. A failed gate drops the
   new index, keeps the aliases where they were and says why.
6. Swap the read alias in one atomic request. The previous index is kept for rollback.

The report times the whole of it, create to swap, and each phase on one clock, so the
phases add up to the total.
"""

from __future__ import annotations

import logging
import time
from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.utils import timezone
from opensearchpy import OpenSearch, helpers

from indexer.documents import TutorIndexer
from indexer.locks import advisory_lock
from indexer.models import TutorOutbox
from indexer.reconcile import reconcile
from search.client import write_client
from search.index_admin import (
    alias_state,
    aliases_update,
    fields_refused,
    index_create,
    index_drop,
    index_fingerprint,
)
from web.profiles.models import TutorProfile
from web.profiles.selectors import listed_profiles

log = logging.getLogger("mash.indexer")

# Changes whose task may have resolved the write alias just before the new index joined it.
REPLAY_MARGIN = timedelta(seconds=5)


class GateFailedError(RuntimeError):
    pass


PHASES = ("create", "load", "replay", "reconcile", "gate", "swap")


@dataclass
class RebuildReport:
    index: str
    documents: int = 0
    db_count: int = 0
    replayed: int = 0
    # The whole rebuild, creating the index to swapping the alias (or to giving up).
    seconds: float = 0.0
    # documents / seconds: the rate of the whole rebuild, not of the load alone.
    docs_per_second: float = 0.0
    # Seconds per phase (PHASES, in order; a phase not reached is absent); they add up
    # to `seconds`.
    phases: dict[str, float] = field(default_factory=dict)
    swapped: bool = False
    previous: str | None = None
    reason: str = ""
    dropped: list[str] = field(default_factory=list)
    repaired: dict[str, int] = field(default_factory=dict)
    # Outbox rows the new index made redundant, deleted after the swap (`_settle_outbox`).
    settled: int = 0

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _batches(batch_size: int) -> Iterator[list[TutorProfile]]:
    """Listed profiles in primary-key order (keyset pagination, no OFFSET)."""
    last = 0
    while True:
        batch = list(
            listed_profiles()
            .select_related("user")
            .prefetch_related("slots")
            .filter(pk__gt=last)
            .order_by("pk")[:batch_size]
        )
        if not batch:
            return
        yield batch
        last = batch[-1].pk


class _Phases:
    """Consecutive phases on one clock: each ends where the next begins."""

    def __init__(self, report: RebuildReport) -> None:
        self.report = report
        self.started = self.mark = time.perf_counter()

    def end(self, name: str) -> None:
        now = time.perf_counter()
        self.report.phases[name] = now - self.mark
        self.mark = now
        self.report.seconds = now - self.started

    def close(self) -> None:
        report = self.report
        report.docs_per_second = round(report.documents / report.seconds, 1) if report.seconds else 0.0
        report.phases = {name: round(value, 4) for name, value in report.phases.items()}
        # The total is the sum of the rounded phases, so the report adds up exactly.
        report.seconds = round(sum(report.phases.values()), 4)


def _actions(
    indexer: TutorIndexer, index: str, batch: list[TutorProfile], loaded: dict[int, int] | None = None
) -> list[dict[str, Any]]:
    actions = []
    for profile in batch:
        doc = indexer.extract_document(profile)
        if doc is None:  # changed between the two queries
            continue
        if loaded is not None:
            loaded[profile.pk] = profile.version
        actions.append(
            {
                "_op_type": "index",
                "_index": index,
                "_id": str(profile.pk),
                "_source": doc,
                "version": profile.version,
                "version_type": "external",
            }
        )
    return actions


def _send(client: OpenSearch, actions: list[dict[str, Any]]) -> int:
    written = 0
    for ok, item in helpers.streaming_bulk(
        client, actions, chunk_size=max(1, len(actions)), raise_on_error=False, max_retries=3, initial_backoff=1
    ):
        result = item.get("index", {})
        if ok or result.get("status") == 409:  # 409: a newer dual-written version is already there
            written += 1
        else:
            raise RuntimeError(f"bulk load failed for {result.get('_id')}: {result.get('error')}")
    return written


def bulk_load(
    client: OpenSearch, indexer: TutorIndexer, index: str, batch_size: int, loaded: dict[int, int] | None = None
) -> int:
    """Load every listed tutor into `index`; returns documents written (conflicts count as present).

    Reading and building the next batch overlaps with sending the previous one: the
    database work stays on this thread (and its connection), one sender thread talks
    to the engine, and at most one batch waits in between. `loaded` receives the
    version of every tutor read (what the replay compares against).
    """
    written = 0
    pending: deque[Future[int]] = deque()
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="bulk-send") as sender:
        for batch in _batches(batch_size):
            pending.append(sender.submit(_send, client, _actions(indexer, index, batch, loaded)))
            while len(pending) > 1:
                written += pending.popleft().result()
        while pending:
            written += pending.popleft().result()
    return written


REPLAY_BATCH = 500
SETTLE_BATCH = 1000


def _settle_outbox(loaded: dict[int, int], pending: dict[int, Any]) -> int:
    """After a swap, delete the outbox rows the new index has made redundant; returns how many.

    `pending` is the outbox as read before the load began ({tutor_id: changed_at}): rows
    committed by then, so the load read their changes, and the subject catalogue it read
    includes any rename behind them. Such a row, for a tutor whose version is still the
    one the load wrote, asks for a document the new index (now the only index writes go
    to) already holds. Without this, a rebuild after many changes (the demo seed's, on a
    first start) is followed by writing every one of them again. A row is deleted only if
    it is still the change read then: a change recorded since moves `changed_at` (and
    bumps the version), and its row stays.
    """
    ids = [tutor_id for tutor_id in pending if tutor_id in loaded]
    settled = 0
    for start in range(0, len(ids), SETTLE_BATCH):
        chunk = ids[start : start + SETTLE_BATCH]
        current = dict(TutorProfile.objects.filter(pk__in=chunk).values_list("pk", "version"))
        for tutor_id in chunk:
            if current.get(tutor_id) == loaded[tutor_id]:
                settled += TutorOutbox.objects.filter(tutor_id=tutor_id, changed_at=pending[tutor_id]).delete()[0]
    return settled


def _replay(
    client: OpenSearch, indexer: TutorIndexer, index: str, since: Any, loaded: dict[int, int] | None = None
) -> int:
    """Write again, in bulk, the tutors changed since `since` whose version is not the
    one the load read (all of them when `loaded` is not given); returns how many.

    A tutor the load read at its current version is already right in the new index
    (and any change since then was dual-written there), so a fresh start, where every
    tutor was just written, replays nothing. Each write carries the profile version as
    external version (`external_gte`): a newer dual-written document is never replaced.
    """
    changed = TutorProfile.objects.filter(updated_at__gte=since - REPLAY_MARGIN).values_list("pk", "version")
    ids = [pk for pk, version in changed if loaded is None or loaded.get(pk) != version]
    for start in range(0, len(ids), REPLAY_BATCH):
        chunk = ids[start : start + REPLAY_BATCH]
        profiles = {p.pk: p for p in indexer.queryset().filter(pk__in=chunk)}
        actions: list[dict[str, Any]] = []
        for tutor_id in chunk:
            profile = profiles.get(tutor_id)
            doc = indexer.extract_document(profile) if profile is not None else None
            if doc is not None and profile is not None:
                actions.append({"_op_type": "index", "_index": index, "_id": str(tutor_id), "_source": doc,
                                "version": profile.version, "version_type": "external_gte"})
            elif profile is not None:  # no longer listed: the load may have written it
                actions.append({"_op_type": "delete", "_index": index, "_id": str(tutor_id),
                                "version": profile.version, "version_type": "external_gte"})
            else:  # deleted: a delete carries no version to compare
                actions.append({"_op_type": "delete", "_index": index, "_id": str(tutor_id)})
        for ok, item in helpers.streaming_bulk(
            client, actions, chunk_size=REPLAY_BATCH, raise_on_error=False, max_retries=3, initial_backoff=1
        ):
            result = next(iter(item.values()))
            # 409: a newer version is already there; 404: nothing to delete.
            if not ok and result.get("status") not in (404, 409):
                raise RuntimeError(f"replay failed for {result.get('_id')}: {result.get('error')}")
    return len(ids)


def check_gate(client: OpenSearch, indexer: TutorIndexer, index: str, sample_size: int, attempts: int = 5) -> int:
    """Raise GateFailedError unless the new index holds exactly the listed tutors and a
    sample of its documents equals freshly built ones. Returns the DB count.

    Concurrent writes can make the two counts differ for a moment (a dual write in
    flight), so a mismatch is re-checked a few times before it fails the gate.
    """
    db_count = index_count = -1
    for attempt in range(attempts):
        client.indices.refresh(index=index)
        db_count = listed_profiles().count()
        index_count = client.count(index=index)["count"]
        if db_count == index_count:
            break
        time.sleep(0.5 * (attempt + 1))
    else:
        raise GateFailedError(f"document count {index_count} != listed tutors in the database {db_count}")

    sample = list(listed_profiles().order_by("?").values_list("pk", flat=True)[:sample_size])
    if sample:
        found = client.mget(index=index, body={"ids": [str(pk) for pk in sample]})["docs"]
        # Every sampled tutor and its pending changes in two queries; a document that
        # differs is looked at again, one by one, while its change lands.
        profiles = {p.pk: p for p in indexer.queryset().filter(pk__in=sample)}
        pending = set(TutorOutbox.objects.filter(tutor_id__in=sample).values_list("tutor_id", flat=True))
        for doc in found:
            tutor_id = int(doc["_id"])
            if _document_matches(indexer, profiles.get(tutor_id), tutor_id in pending, doc.get("_source")):
                continue
            for _ in range(attempts):
                if _matches_database(indexer, tutor_id, doc.get("_source")):
                    break
                # Changed meanwhile? Let the dual write land and look again.
                time.sleep(0.2)
                doc = client.get(index=index, id=doc["_id"], ignore=[404])
            else:
                raise GateFailedError(f"document {doc['_id']} differs from the database: {doc.get('_source')!r}")
    return db_count


def _document_matches(
    indexer: TutorIndexer, profile: TutorProfile | None, in_flight: bool, source: dict[str, Any] | None
) -> bool:
    """A document is right if it equals a fresh build of the same tutor, or if it is an
    older version whose newer change is still on its way (a pending outbox row)."""
    expected = indexer.extract_document(profile) if profile is not None else None
    if source == expected:
        return True
    return bool(in_flight and source and expected and source["version"] < expected["version"])


def _matches_database(indexer: TutorIndexer, tutor_id: int, source: dict[str, Any] | None) -> bool:
    profile = indexer.queryset().filter(pk=tutor_id).first()
    return _document_matches(indexer, profile, TutorOutbox.objects.filter(tutor_id=tutor_id).exists(), source)


def rebuild(
    batch_size: int | None = None,
    gate_sample: int | None = None,
    client: OpenSearch | None = None,
    gate: Any = check_gate,
) -> RebuildReport:
    """Build a new index from the database and swap it in if it passes the gate."""
    client = client or write_client()
    indexer = TutorIndexer()
    definition = indexer.definition
    batch_size = batch_size or settings.INDEX_REBUILD_BATCH_SIZE
    gate_sample = settings.INDEX_REBUILD_GATE_SAMPLE if gate_sample is None else gate_sample

    with advisory_lock(f"rebuild:{definition.prefix}"):
        state = alias_state(client, definition)
        # A rebuild that died half-way left its index in the write alias: drop it.
        leftovers = [name for name in state.write if name not in state.read]
        if leftovers:
            aliases_update(client, [{"remove": {"index": n, "alias": definition.write_alias}} for n in leftovers])
            for name in leftovers:
                index_drop(client, name)
        live = state.live
        report = RebuildReport(index=definition.new_index_name(), previous=live, dropped=list(leftovers))
        clock = _Phases(report)
        index_create(client, definition, report.index)
        aliases_update(client, [{"add": {"index": report.index, "alias": definition.write_alias}}])

        # The outbox as it stands before the load: what a successful swap settles.
        pending = dict(TutorOutbox.objects.values_list("tutor_id", "changed_at"))
        started = timezone.now()
        clock.end("create")
        loaded: dict[int, int] = {}
        try:
            report.documents = bulk_load(client, indexer, report.index, batch_size, loaded)
            clock.end("load")
            # What the bulk load read may have changed since. A fresh indexer reads the
            # subject catalogue as it is now (a rename during the load is not undone).
            current = TutorIndexer()
            report.replayed = _replay(client, current, report.index, started, loaded=loaded)
            clock.end("replay")
            # A tutor deleted while its batch was in flight can be written after its
            # delete (a delete carries no version to refuse the older write): repair the
            # new index against the database before judging it.
            report.repaired = reconcile(client, indices=[report.index]).counts()
            clock.end("reconcile")
            report.db_count = gate(client, current, report.index, gate_sample)
            clock.end("gate")
        except Exception as exc:
            report.reason = f"{type(exc).__name__}: {exc}"
            log.error("rebuild gate failed, aliases unchanged", extra={"index": report.index, "reason": report.reason})
            aliases_update(client, [{"remove": {"index": report.index, "alias": definition.write_alias}}])
            index_drop(client, report.index)
            clock.close()
            return report

        actions: list[dict[str, Any]] = [{"add": {"index": report.index, "alias": definition.read_alias}}]
        for name in alias_state(client, definition).read:
            actions.append({"remove": {"index": name, "alias": definition.read_alias}})
        for name in state.write:
            if name not in leftovers:
                actions.append({"remove": {"index": name, "alias": definition.write_alias}})
        aliases_update(client, actions)
        report.swapped = True
        clock.end("swap")
        clock.close()

        report.settled = _settle_outbox(loaded, pending)
        # Keep the new index and the one before it (rollback); drop anything older.
        keep = {report.index, *([live] if live else [])}
        for name in alias_state(client, definition).all_indices:
            if name not in keep:
                index_drop(client, name)
                report.dropped.append(name)
        log.info("rebuild swapped", extra=report.as_dict())
        return report


def rollback(client: OpenSearch | None = None) -> str:
    """Point both aliases back at the previous index, repaired before searches see it.

    The previous index missed every write since the swap, including tutors who went
    private and fields hidden since. So it first joins the write alias (live writes
    reach it from then on), is repaired against the database while searches still
    read the current index, and only then takes over both aliases in one request.
    """
    client = client or write_client()
    definition = TutorIndexer.definition
    with advisory_lock(f"rebuild:{definition.prefix}"):
        state = alias_state(client, definition)
        if not state.live:
            raise RuntimeError("no live index to roll back from")
        older = [name for name in state.all_indices if name < state.live]
        if not older:
            raise RuntimeError("no previous index kept to roll back to")
        previous = older[-1]
        refused = fields_refused(client, previous, definition)
        if refused:
            # Its mapping refuses the documents this code writes: every index task, and
            # the repair below, would fail on it, and it could never be brought up to date.
            raise RuntimeError(
                f"the previous index {previous} was built from another mapping than this code's "
                f"({', '.join(refused)}); rebuild instead (search_index rebuild)"
            )
        if previous not in state.write:
            aliases_update(client, [{"add": {"index": previous, "alias": definition.write_alias}}])
        reconcile(client=client, indices=[previous])
        actions: list[dict[str, Any]] = [{"add": {"index": previous, "alias": definition.read_alias}}]
        actions += [
            {"remove": {"index": name, "alias": definition.read_alias}} for name in state.read if name != previous
        ]
        actions += [
            {"remove": {"index": name, "alias": definition.write_alias}} for name in state.write if name != previous
        ]
        aliases_update(client, actions)
    return previous


def ensure_index(client: OpenSearch | None = None, *, rebuild_outdated: bool = False) -> RebuildReport | None:
    """Build the index if there is none (a fresh or restarted embedded engine).

    With `rebuild_outdated`, also rebuild (gated, zero downtime) when the live index was
    created from another analysis or mapping than this code's: what a deploy runs, so a
    mapping change never waits for the nightly rebuild. The frequent catch-up job leaves
    that to a deploy, so a rebuild whose gate fails is not retried every few seconds.
    """
    client = client or write_client()
    definition = TutorIndexer.definition
    live = alias_state(client, definition).live
    if live is None:
        return rebuild(client=client)
    if rebuild_outdated and index_fingerprint(client, live) != definition.fingerprint():
        log.info("live index built from another definition, rebuilding", extra={"index": live})
        return rebuild(client=client)
    return None
