"""Compile the translation catalogues: locale/<lang>/LC_MESSAGES/*.po -> .mo.

Django's `compilemessages` needs GNU gettext's msgfmt, which a fresh machine may lack;
Babel reads and writes the same formats in Python. The .mo files are build output
(not committed): `make messages` (a step of `make run` and `make test`) and the image
build run this.

    python -m config.messages [--check]

--check compiles nothing and fails when a catalogue has a message without translation.
"""

from __future__ import annotations

import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

LOCALE_DIR = Path(__file__).resolve().parent.parent / "locale"


def catalogues() -> list[Path]:
    return sorted(LOCALE_DIR.glob("*/LC_MESSAGES/*.po"))


def read_catalogue(path: Path) -> Catalog:
    with path.open("rb") as handle:
        return read_po(handle, locale=path.parent.parent.name)


def untranslated(catalog: Catalog) -> list[str]:
    """Message ids without a translation (empty or fuzzy)."""
    missing = []
    for message in catalog:
        if not message.id:
            continue  # the header
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if message.fuzzy or not all(strings):
            missing.append(str(message.id))
    return missing


def compile_all() -> list[Path]:
    written = []
    for po in catalogues():
        mo = po.with_suffix(".mo")
        if mo.exists() and mo.stat().st_mtime >= po.stat().st_mtime:
            continue
        with mo.open("wb") as handle:
            write_mo(handle, read_catalogue(po))
        written.append(mo)
    return written


def main(argv: list[str]) -> int:
    if "--check" in argv:
        problems = {str(po): untranslated(read_catalogue(po)) for po in catalogues()}
        problems = {path: ids for path, ids in problems.items() if ids}
        for path, ids in problems.items():
            print(f"{path}: {len(ids)} untranslated: {ids[:5]}", file=sys.stderr)
        return 1 if problems else 0
    for mo in compile_all():
        print(f"compiled {mo.relative_to(LOCALE_DIR.parent)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
