"""How the index pipeline's modules depend on each other, and what web apps may import."""

from __future__ import annotations

import ast
from graphlib import CycleError, TopologicalSorter
from pathlib import Path

from django.conf import settings

from config.celery import app
from indexer.dispatch import INDEX_TUTOR_TASK
from indexer.tasks import index_tutor_task

ROOT = Path(__file__).resolve().parents[2]


def _modules(package: str) -> dict[str, ast.Module]:
    found = {}
    for path in sorted((ROOT / package).rglob("*.py")):
        if "migrations" not in path.parts:
            name = ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
            found[name] = ast.parse(path.read_text())
    return found


def _imported(tree: ast.AST) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            names |= {node.module} | {f"{node.module}.{alias.name}" for alias in node.names}
        elif isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
    return names


def test_the_indexer_imports_form_no_cycle() -> None:
    modules = _modules("indexer")
    graph = {name: {dep for dep in _imported(tree) if dep in modules and dep != name} for name, tree in modules.items()}
    try:
        list(TopologicalSorter(graph).static_order())
    except CycleError as exc:  # pragma: no cover - the message is the point
        raise AssertionError(f"import cycle in indexer/: {exc.args[1]}") from None


def test_no_imports_inside_functions_in_indexer_and_search() -> None:
    inside = []
    for package in ("indexer", "search"):
        for name, tree in _modules(package).items():
            for node in ast.walk(tree):
                if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                    imports = [n for n in ast.walk(node) if isinstance(n, ast.Import | ast.ImportFrom)]
                    inside += [f"{name}:{n.lineno}" for n in imports]
    assert inside == []


def test_changes_reaches_neither_the_tasks_nor_the_jobs() -> None:
    """Web apps import indexer.changes: importing it must not pull in the pipeline."""
    modules = _modules("indexer")
    seen, todo = set(), ["indexer.changes"]
    while todo:  # everything indexer.changes imports, directly or not
        for dep in _imported(modules[todo.pop()]):
            if dep in modules and dep not in seen:
                seen.add(dep)
                todo.append(dep)
    assert seen == {"indexer.dispatch", "indexer.outbox"}


def test_web_apps_reach_the_indexer_only_through_changes() -> None:
    # web.core.demo rebuilds the index for seeded data and web.core.metrics registers the
    # outbox collector: operations code, not a domain reporting a change.
    allowed_elsewhere = {"web.core.demo", "web.core.metrics"}
    offending = {
        (name, dep)
        for name, tree in _modules("web").items()
        if name not in allowed_elsewhere
        for dep in _imported(tree)
        if dep.startswith("indexer") and not dep.startswith("indexer.changes")
    }
    assert offending == set()


def test_task_names_are_those_the_dispatch_and_the_schedule_send() -> None:
    app.loader.import_default_modules()
    assert index_tutor_task.name == INDEX_TUTOR_TASK == "indexer.tasks.index_tutor_task"
    scheduled = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    indexer_tasks = {name for name in scheduled if name.startswith("indexer.")}
    assert indexer_tasks == {
        "indexer.tasks.index_catch_up_task", "indexer.tasks.index_reconcile_task", "indexer.tasks.index_rebuild_task",
    }
    assert indexer_tasks | {INDEX_TUTOR_TASK} <= set(app.tasks)
    assert app.amqp.router.route({}, INDEX_TUTOR_TASK, (1,), {})["queue"].name == "index"
