"""Writing one tutor's current state to every index behind the write alias."""

from __future__ import annotations

import logging
from typing import Any

from django.utils import timezone
from opensearchpy import ConflictError, NotFoundError, OpenSearch

from indexer import metrics
from indexer.documents import TutorIndexer
from indexer.outbox import outbox_done, outbox_token
from search.client import write_client
from search.index_admin import write_targets
from web.profiles.models import TutorProfile

log = logging.getLogger("mash.indexer")

# A stale task that wrote an old document notices the newer DB version and writes again.
_MAX_PASSES = 3


class IndexMissingError(RuntimeError):
    """No index behind the write alias yet (a fresh engine before its first build)."""


def write_document(client: OpenSearch, index: str, doc_id: int, doc: dict[str, Any] | None, version: int | None) -> str:
    """Index or delete one document with the profile version as external version.

    An older write never overwrites a newer document: OpenSearch answers 409,
    which here means "already up to date" and is not an error. A write at the same
    version goes through (`external_gte`): the document also holds what the version
    does not count (subject names from the catalogue, what the builder makes of the
    profile), so a repair of drift that kept its version must be able to land.
    """
    try:
        if doc is not None:
            client.index(index=index, id=str(doc_id), body=doc, version=version, version_type="external_gte")
            outcome = "indexed"
        elif version is not None:
            client.delete(index=index, id=str(doc_id), version=version, version_type="external_gte")
            outcome = "deleted"
        else:
            client.delete(index=index, id=str(doc_id))
            outcome = "deleted"
    except ConflictError:
        outcome = "stale"
    except NotFoundError as exc:
        if doc is not None:  # the index itself is gone
            raise IndexMissingError(str(exc)) from exc
        outcome = "absent"
    metrics.DOCUMENTS_WRITTEN.labels(outcome).inc()
    return outcome


def tutor_sync(
    tutor_id: int, indexer: TutorIndexer | None = None, client: OpenSearch | None = None,
    only: list[str] | None = None,
) -> str:
    """Make the index agree with the database for one tutor; idempotent.

    Reads the DB first and resolves the write alias afterwards, so a rebuild that
    starts in between still receives this state (its bulk load reads the DB later).
    Clears the tutor's outbox row only if no newer change arrived meanwhile. With
    `only`, writes those indices alone and leaves the outbox row to the index task.
    """
    client = client or write_client()
    token = outbox_token(tutor_id)
    if indexer is None or token is not None:
        # A pending change may be a catalogue edit (a renamed subject): a long-lived
        # indexer's cached subject names would write the old names at the same version.
        indexer = TutorIndexer()
    outcome = "absent"
    for _ in range(_MAX_PASSES):
        profile = indexer.queryset().filter(pk=tutor_id).first()
        doc = indexer.extract_document(profile) if profile is not None else None
        version = profile.version if profile is not None else None
        targets = only if only is not None else write_targets(client, indexer.definition)
        if not targets:
            raise IndexMissingError(f"no index behind {indexer.definition.write_alias}")
        outcome, failures = "absent", []
        for index in targets:
            # One index refusing the write (a rebuild's index mid-creation, an index of
            # another mapping) must not keep the others, the live one included, stale.
            try:
                outcome = write_document(client, index, tutor_id, doc, version)
            except Exception as exc:
                failures.append(exc)
        if failures:
            raise failures[0]
        current = TutorProfile.objects.filter(pk=tutor_id).values_list("version", flat=True).first()
        if current == version:
            break
    if only is None and token is not None and outbox_done(tutor_id, token[1]):
        metrics.COMMIT_TO_INDEXED.observe((timezone.now() - token[0]).total_seconds())
    return outcome
