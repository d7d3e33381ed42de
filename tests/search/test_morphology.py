"""Word forms in Python, and the lemma dictionaries kept on disk as tries."""

from __future__ import annotations

import stat

from search.morphology import _SharedTrieFactory, lemma_text, word_forms


def test_inflected_forms_find_their_dictionary_forms() -> None:
    assert word_forms("Олімпіади") == ["олімпіади", "олімпіада"]
    assert word_forms("matematyki") == ["matematyki", "matematyka"]
    assert "lesson" in word_forms("lessons")
    assert word_forms("東京") == ["東京"]
    # Only the forms that differ from the words are kept in the lemmatised copy.
    assert lemma_text("Korepetycje z matematyki") == "matematyka"


def test_a_dictionary_is_built_once_then_read_from_disk(tmp_path) -> None:
    built = _SharedTrieFactory(disk_cache_dir=str(tmp_path)).get_dictionary("en")
    written = tmp_path / "en.dic"
    # Renamed into place whole (no temporary file left), readable by every user.
    assert [p.name for p in tmp_path.iterdir()] == ["en.dic"]
    assert stat.S_IMODE(written.stat().st_mode) == 0o644
    mtime = written.stat().st_mtime_ns
    read = _SharedTrieFactory(disk_cache_dir=str(tmp_path)).get_dictionary("en")
    assert written.stat().st_mtime_ns == mtime  # loaded, not built again
    assert read.get("lessons") == built.get("lessons") == "lesson"
