"""Index definitions: names, aliases, settings and the strict tutor mapping.

The tutor document's fields and their mappings are listed in search/fields.py.

Every index is versioned (`<prefix>-tutors-<timestamp>`) and reached through two
aliases: the read alias (searches) and the write alias (the indexer). A rebuild
creates a new index and moves the aliases atomically.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.conf import settings

from search.fields import tutor_mapping

# Text is folded (lower case, accents and diacritics removed: "Łódź" -> "lodz",
# "café" -> "cafe") so Ukrainian, English and Polish queries match without a
# plugin; word forms (uk, pl, en) are lemmatised in Python (search/morphology.py) into
# the `*_lemmas` fields. Only analysis built into
# every OpenSearch distribution is used, so a real cluster runs this unchanged.
#
# Search as you type (search/suggest.py) reads the `prefix` sub-field of the name and the
# headline: every word indexed with each of its beginnings ("wiśniewski" as "w", "wi", ...,
# "wisniewski"), so a typed beginning is one term lookup. A typed word is cut to the
# longest beginning indexed, so a long word typed in full still matches.
PREFIX_MAX_LENGTH = 20
ANALYSIS: dict[str, Any] = {
    "analyzer": {
        "folded": {"type": "custom", "tokenizer": "standard", "filter": ["lowercase", "asciifolding"]},
        "prefixes": {"type": "custom", "tokenizer": "standard", "filter": ["lowercase", "asciifolding", "prefixes"]},
        "typed_prefix": {
            "type": "custom", "tokenizer": "standard", "filter": ["lowercase", "asciifolding", "longest_prefix"],
        },
    },
    "filter": {
        "prefixes": {"type": "edge_ngram", "min_gram": 1, "max_gram": PREFIX_MAX_LENGTH},
        "longest_prefix": {"type": "truncate", "length": PREFIX_MAX_LENGTH},
    },
}

# The strict tutor mapping, made from the one list of the document's fields.
TUTOR_MAPPING: dict[str, Any] = tutor_mapping()


@dataclass(frozen=True)
class IndexDefinition:
    """A document type's index: how it is named, configured and mapped."""

    name: str
    mapping: dict[str, Any]
    analysis: dict[str, Any]

    @property
    def prefix(self) -> str:
        return f"{settings.OPENSEARCH_INDEX_PREFIX}-{self.name}"

    @property
    def read_alias(self) -> str:
        return self.prefix

    @property
    def write_alias(self) -> str:
        return f"{self.prefix}-write"

    def new_index_name(self, now: datetime | None = None) -> str:
        stamp = (now or datetime.now(UTC)).strftime("%Y%m%d%H%M%S%f")
        return f"{self.prefix}-{stamp}"

    def is_own_index(self, index: str) -> bool:
        suffix = index[len(self.prefix) + 1 :]
        return index.startswith(self.prefix + "-") and suffix.isdigit()

    def fingerprint(self) -> str:
        """A digest of the analysis and mapping this code builds the index with.

        Stored in the index's mapping `_meta`, so an index built by an older version of
        the code is recognised (`search_index ensure` rebuilds it).
        """
        canonical = json.dumps({"analysis": self.analysis, "mapping": self.mapping}, sort_keys=True)
        return hashlib.sha256(canonical.encode()).hexdigest()[:16]

    def body(self) -> dict[str, Any]:
        return {
            "settings": {
                "index": {
                    "number_of_shards": 1,
                    "number_of_replicas": settings.OPENSEARCH_NUMBER_OF_REPLICAS,
                    # Explicit, so a real cluster never pauses refreshes on an idle shard
                    # (search-idle) and changes stay searchable within a second.
                    "refresh_interval": "1s",
                    "max_result_window": 10_000,
                },
                "analysis": self.analysis,
            },
            "mappings": {**self.mapping, "_meta": {"definition": self.fingerprint()}},
        }


TUTORS = IndexDefinition(name="tutors", mapping=TUTOR_MAPPING, analysis=ANALYSIS)
