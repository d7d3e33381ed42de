"""Ukrainian, Polish and English word forms, normalised in Python (no engine plugin).

The engine folds case and accents but knows no Ukrainian or Polish morphology, so the
document builder adds a lemmatised copy of the prose fields (`*_lemmas`) and the query
looks every word up in its lemma forms too: "олімпіади", "korepetycje z matematyki" and
"lessons" find "олімпіада", "matematyka" and "lesson". The same function serves both
sides, so index and query always agree, on the embedded engine and on any cluster.

`simplemma` is dictionary based (no model, under a microsecond per word). Its dictionaries
are read as MARISA tries kept on disk (`MORPHOLOGY_CACHE_DIR`, else the user's cache
folder): the first process on a machine builds them (about 8 s for uk, pl and en), every
later one maps them in about 20 ms and 25 MB, where the plain dictionaries took 3.5 s and
445 MB in every web, worker and command process. A Cyrillic word is looked up as
Ukrainian, a Latin one as Polish and as English; other scripts are left alone.
"""

from __future__ import annotations

import os
import re
import tempfile
from functools import cache, lru_cache
from pathlib import Path

from simplemma import Lemmatizer
from simplemma.strategies import DefaultStrategy
from simplemma.strategies.dictionaries.trie_dictionary_factory import BytesTrie, TrieDictionaryFactory

LANGUAGES = ("uk", "pl", "en")

# Runs of letters, digits and apostrophes inside a word ("п'ять", "o'clock").
_WORD = re.compile(r"[^\W_]+(?:['’ʼ][^\W_]+)*")
_CYRILLIC = re.compile(r"[\u0400-\u04ff]")
_LATIN = re.compile(r"[a-zA-Z\u00c0-\u024f]")

# Words a query may contain that say nothing about a tutor: they still match, but count
# far less than a real word (search/scoring.py), so "korepetycje z matematyki" is not won
# by whoever writes "z" most.
STOPWORDS: frozenset[str] = frozenset(
    """
    a an and the of for to in on at with by or from my your our
    i w z ze na do dla o od po u we lub oraz jak się sie
    і й та з зі із в у на до для по від о або як що це
    и с со от к
    """.split()
)


class _SharedTrieFactory(TrieDictionaryFactory):
    """simplemma's trie factory, writing each trie under a temporary name and renaming it,
    so processes building the same trie at once never read a half-written one."""

    def _write_trie_to_disk(self, lang: str, trie: BytesTrie) -> None:
        self._cache_dir.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=self._cache_dir, prefix=f".{lang}-", suffix=".dic")
        os.close(handle)
        try:
            trie.save(temporary)
            os.chmod(temporary, 0o644)  # readable by every user of the machine, as the library's own files
            os.replace(temporary, self._cache_dir / f"{lang}.dic")
        finally:
            Path(temporary).unlink(missing_ok=True)


@cache
def _lemmatizer() -> Lemmatizer:
    factory = _SharedTrieFactory(
        cache_max_size=len(LANGUAGES), disk_cache_dir=os.environ.get("MORPHOLOGY_CACHE_DIR") or None
    )
    return Lemmatizer(lemmatization_strategy=DefaultStrategy(dictionary_factory=factory))


def words(text: str) -> list[str]:
    """The words of `text`, lower case, in order (the analyser's view, roughly)."""
    return [match.group(0).lower() for match in _WORD.finditer(text)]


@lru_cache(maxsize=65_536)
def word_lemmas(word: str) -> tuple[str, ...]:
    """The dictionary forms of one lower-case word that differ from it (uk, or pl and en)."""
    if _CYRILLIC.search(word):
        languages: tuple[str, ...] = ("uk",)
    elif _LATIN.search(word):
        languages = ("pl", "en")
    else:
        return ()
    forms: list[str] = []
    for language in languages:
        lemma = _lemmatizer().lemmatize(word, lang=language).lower()
        if lemma != word and lemma not in forms:
            forms.append(lemma)
    return tuple(forms)


def morphology_warm_up() -> None:
    """Load the uk, pl and en dictionaries now (building their tries if this machine has
    none yet) rather than in the first search or rebuild that needs them."""
    for language in LANGUAGES:
        _lemmatizer().lemmatize("warm", lang=language)


def lemma_text(text: str | None) -> str:
    """The lemmas of `text` that differ from its words, space separated (for `*_lemmas`).

    Words already in their dictionary form are left out: the field beside it holds
    them, and a smaller copy costs less to index and to search.
    """
    if not text:
        return ""
    seen: dict[str, None] = {}
    for word in words(text):
        for lemma in word_lemmas(word):
            seen.setdefault(lemma, None)
    return " ".join(seen)


def word_forms(word: str) -> list[str]:
    """A query word and its dictionary forms, the word first."""
    lowered = word.lower()
    return [lowered, *word_lemmas(lowered)]


def is_stopword(word: str) -> bool:
    return word.lower() in STOPWORDS
