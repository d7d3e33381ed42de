"""Search as you type, and "did you mean" for a search that found nobody.

Completions come from two completion fields of the tutor document (names, headlines:
folded, so "wisn" finds "Wiśniewski"; fuzzy after the first characters) and from the
subject catalogue, matched here in Python (a dozen names in three languages). Only what
a listed tutor shows is in the document, so nothing hidden or unlisted is suggested.

Did-you-mean asks the term suggester for near spellings (up to two edits, the first
letter included, which the search's own typo tolerance never changes) of each query word
in the short fields (names, headlines, subject names; never the bio) and keeps only the corrected
queries that find someone under the same filters, checked in one `_msearch`.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import product
from typing import Any

from search.breaker import search_breaker
from search.client import search_client
from search.indexes import TUTORS
from search.morphology import words

SUGGEST_LIMIT = 10
SUGGEST_MAX_LENGTH = 100
# Typos are forgiven once this many characters are typed, and never in the first one.
FUZZY_FROM_LENGTH = 4
FUZZY_PREFIX = 2
# How many completions each completion field offers (duplicates are merged afterwards).
_PER_FIELD = SUGGEST_LIMIT
DID_YOU_MEAN_LIMIT = 3
_SPELLING_FIELDS = ("full_name", "headline", "subject_names")
_OPTIONS_PER_WORD = 3


@dataclass(frozen=True)
class SubjectNames:
    """A catalogue subject and the names it is found by."""

    slug: str
    names: tuple[str, ...]


def fold(text: str) -> str:
    """Lower case without accents ("Łódź" -> "lodz"), like the index's `folded` analyzer."""
    decomposed = unicodedata.normalize("NFKD", text.lower().replace("ł", "l"))
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def completion_inputs(text: str | None, max_words: int = 8) -> list[str]:
    """A completion field's inputs for `text`: the whole text and the text from each
    later word on, so typing any word of a name or headline completes it."""
    if not text or not text.strip():
        return []
    parts = text.split()
    return [" ".join(parts[i:]) for i in range(min(len(parts), max_words))]


def _within_one_edit(a: str, b: str) -> bool:
    if abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        diffs = [i for i, (x, y) in enumerate(zip(a, b, strict=True)) if x != y]
        return len(diffs) <= 1 or (
            len(diffs) == 2 and diffs[1] == diffs[0] + 1 and a[diffs[0]] == b[diffs[1]] and a[diffs[1]] == b[diffs[0]]
        )
    short, long = (a, b) if len(a) < len(b) else (b, a)
    return any(long[:i] + long[i + 1 :] == short for i in range(len(long)))


def _prefix_matches(typed: str, candidate: str, fuzzy: bool) -> bool:
    """Does `candidate` (or one of its words) start with `typed` (one typo forgiven past the
    start when `fuzzy`)?"""
    for start in [0] + [i + 1 for i, c in enumerate(candidate) if c == " "]:
        tail = candidate[start:]
        if tail.startswith(typed):
            return True
        if fuzzy and len(typed) >= FUZZY_FROM_LENGTH and tail[:FUZZY_PREFIX] == typed[:FUZZY_PREFIX]:
            if any(_within_one_edit(typed, tail[:n]) for n in (len(typed) - 1, len(typed), len(typed) + 1)):
                return True
    return False


def subject_completions(typed: str, subjects: Iterable[SubjectNames]) -> list[dict[str, Any]]:
    folded = fold(typed.strip())
    found = []
    for subject in subjects:
        # The name typed exactly, else one with a typo forgiven; one entry per subject.
        match = next((n for n in subject.names if n and _prefix_matches(folded, fold(n), fuzzy=False)), None)
        match = match or next((n for n in subject.names if n and _prefix_matches(folded, fold(n), fuzzy=True)), None)
        if match:
            found.append({"type": "subject", "text": match, "slug": subject.slug})
    return found


def suggest_body(typed: str) -> dict[str, Any]:
    """The completion request for what has been typed so far."""

    def completion(field: str) -> dict[str, Any]:
        body: dict[str, Any] = {"field": field, "size": _PER_FIELD, "skip_duplicates": True}
        if len(typed) >= FUZZY_FROM_LENGTH:
            body["fuzzy"] = {"fuzziness": 1, "prefix_length": FUZZY_PREFIX}
        return {"prefix": typed, "completion": body}

    return {
        "size": 0,
        "_source": ["id", "full_name", "headline"],
        "suggest": {"names": completion("name_suggest"), "headlines": completion("headline_suggest")},
    }


def tutor_suggest(typed: str, subjects: Sequence[SubjectNames] = ()) -> list[dict[str, Any]]:
    """Up to SUGGEST_LIMIT completions of `typed`: subjects, tutors (by name), headlines.

    Each says what it is: {"type": "subject", "text", "slug"} or {"type": "tutor" |
    "headline", "text", "tutor_id"}. Raises search.breaker.SearchUnavailable.
    """
    typed = " ".join(typed.split())[:SUGGEST_MAX_LENGTH]
    if not typed:
        return []
    results: list[dict[str, Any]] = subject_completions(typed, subjects)

    def run() -> dict[str, Any]:
        return search_client().search(index=TUTORS.read_alias, body=suggest_body(typed))

    response = search_breaker().call(run)
    seen: set[tuple[str, str]] = {(r["type"], fold(r["text"])) for r in results}
    for kind, key, field in (("tutor", "names", "full_name"), ("headline", "headlines", "headline")):
        for entry in response.get("suggest", {}).get(key, []):
            for option in entry.get("options", []):
                source = option.get("_source") or {}
                text = source.get(field)
                if not text or (kind, fold(text)) in seen:
                    continue
                seen.add((kind, fold(text)))
                results.append({"type": kind, "text": text, "tutor_id": source["id"]})
    return results[:SUGGEST_LIMIT]


# --- did you mean -----------------------------------------------------------------------


def _spelling_body(text: str) -> dict[str, Any]:
    return {
        "size": 0,
        "suggest": {
            field: {
                "text": text,
                "term": {"field": field, "suggest_mode": "always", "size": _OPTIONS_PER_WORD, "prefix_length": 0},
            }
            for field in _SPELLING_FIELDS
        },
    }


def _corrections(text: str, response: dict[str, Any]) -> list[str]:
    """Candidate queries: each word replaced by its best near spellings (itself kept too)."""
    options: dict[str, list[tuple[float, str]]] = {}
    for field in _SPELLING_FIELDS:
        for entry in response.get("suggest", {}).get(field, []):
            word = entry["text"].lower()
            for option in entry.get("options", []):
                rank = option.get("score", 0.0) * option.get("freq", 1) ** 0.1
                options.setdefault(word, []).append((rank, option["text"]))
    per_word: list[list[str]] = []
    for word in words(text):
        ranked = [t for _s, t in sorted(options.get(fold(word), []) + options.get(word, []), reverse=True)]
        choices = list(dict.fromkeys([t for t in ranked if t != fold(word)]))[:_OPTIONS_PER_WORD]
        per_word.append(choices + [word] if choices else [word])
    candidates = []
    for combination in product(*per_word):
        candidate = " ".join(combination)
        if fold(candidate) != fold(" ".join(words(text))):
            candidates.append(candidate)
        if len(candidates) >= 12:
            break
    return candidates


def did_you_mean(text: str, body_for: Any) -> list[str]:
    """Up to DID_YOU_MEAN_LIMIT corrections of `text` that each find at least one tutor.

    `body_for(candidate)` is the search body of the same query with `candidate` as its
    text (the same filters), so a correction is only offered where it finds someone.
    """
    client = search_client()

    def run_spelling() -> dict[str, Any]:
        return client.search(index=TUTORS.read_alias, body=_spelling_body(text))

    candidates = _corrections(text, search_breaker().call(run_spelling))
    if not candidates:
        return []
    lines: list[dict[str, Any]] = []
    for candidate in candidates:
        body = dict(body_for(candidate))
        body.update({"size": 0, "track_total_hits": 1})
        body.pop("aggs", None)
        body.pop("sort", None)
        lines.extend([{"index": TUTORS.read_alias}, body])

    def run_check() -> dict[str, Any]:
        return client.msearch(body=lines)

    checked = search_breaker().call(run_check)
    found = []
    for candidate, answer in zip(candidates, checked.get("responses", []), strict=False):
        total = (answer.get("hits") or {}).get("total") or {}
        if total.get("value", 0) > 0:
            found.append(candidate)
        if len(found) == DID_YOU_MEAN_LIMIT:
            break
    return found
