"""The layer contracts of pyproject.toml hold on the tree, and each one fails when broken.

Each violation is written into a copy of the packages, never into the tree itself, and
`lint-imports` must name the contract it breaks.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("web", "indexer", "search", "config")
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"

# contract id -> (module written into the copy, its source)
VIOLATIONS = {
    "search-is-a-library": ("search/_violation.py", "import web.profiles.models\n"),
    "web-layers": ("web/profiles/_violation.py", "import web.marketplace.selectors\n"),
    "kernel-imports-no-app": ("web/core/_violation.py", "import web.accounts.models\n"),
    "index-through-changes": ("web/profiles/_violation.py", "import indexer.outbox\n"),
    "nothing-imports-demo": ("indexer/_violation.py", "import web.demo\n"),
    "indexer-acyclic": ("indexer/outbox.py", "import indexer.tasks\n"),
}


def _lint(cwd: Path, *contracts: str) -> subprocess.CompletedProcess[str]:
    args = [str(LINT_IMPORTS), "--no-cache"]
    for contract in contracts:
        args += ["--contract", contract]
    return subprocess.run(args, cwd=cwd, capture_output=True, text=True, timeout=120)


@pytest.fixture(scope="module")
def tree_copy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    copy = tmp_path_factory.mktemp("tree")
    for package in PACKAGES:
        shutil.copytree(ROOT / package, copy / package, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", copy / "pyproject.toml")
    return copy


def test_the_tree_keeps_every_contract() -> None:
    result = _lint(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"Contracts: {len(VIOLATIONS)} kept, 0 broken" in result.stdout


@pytest.mark.parametrize("contract", sorted(VIOLATIONS))
def test_a_violation_breaks_its_contract(tree_copy: Path, contract: str) -> None:
    relative, source = VIOLATIONS[contract]
    target = tree_copy / relative
    original = target.read_text() if target.exists() else None
    target.write_text((original or "") + source)
    try:
        kept = _lint(tree_copy, contract)
    finally:
        if original is None:
            target.unlink()
        else:
            target.write_text(original)
    assert kept.returncode != 0, kept.stdout
    assert "BROKEN" in kept.stdout and "1 broken" in kept.stdout, kept.stdout
    # The copy is intact again: the same contract is kept.
    assert _lint(tree_copy, contract).returncode == 0
