"""The directions of ARCHITECTURE.md that concern the kernel, operations and demo data:
web/core imports no other web app (nor indexer or search); nothing but the project's
wiring (config/) imports operations, and nothing imports demo."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
CODE = [p for top in ("web", "indexer", "search", "config") for p in sorted((ROOT / top).rglob("*.py"))]


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def _module(path: Path) -> str:
    return ".".join(path.relative_to(ROOT).with_suffix("").parts)


def _under(name: str, package: str) -> bool:
    return name == package or name.startswith(package + ".")


def test_the_code_tree_is_found() -> None:
    modules = {_module(p) for p in CODE}
    assert {"web.core.metrics", "web.operations.metrics", "web.demo.seed", "config.urls"} <= modules


@pytest.mark.parametrize("path", [p for p in CODE if _under(_module(p), "web.core")], ids=_module)
def test_the_kernel_imports_no_other_app(path: Path) -> None:
    outside = {
        name for name in _imports(path)
        if (_under(name, "web") and not _under(name, "web.core") and name != "web")
        or _under(name, "indexer") or _under(name, "search")
    }
    assert not outside, f"{_module(path)} imports {sorted(outside)}"


@pytest.mark.parametrize("path", CODE, ids=_module)
def test_only_the_wiring_imports_operations_and_nothing_imports_demo(path: Path) -> None:
    module = _module(path)
    imported = _imports(path)
    if not (_under(module, "web.operations") or _under(module, "config")):
        assert not {n for n in imported if _under(n, "web.operations")}, module
    if not _under(module, "web.demo"):
        assert not {n for n in imported if _under(n, "web.demo")}, module
