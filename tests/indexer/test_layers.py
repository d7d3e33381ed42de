"""How the index pipeline's modules depend on each other, and what web apps may import."""

from __future__ import annotations

import ast
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


def test_an_import_inside_a_function_says_why() -> None:
    """Cycles are not dodged with local imports: the few left name their reason in a comment
    on the line or just above (an optional wheel, code before Django is set up, ready())."""
    unexplained = []
    for package in ("config", "web", "indexer", "search"):
        for path in sorted((ROOT / package).rglob("*.py")):
            if "migrations" in path.parts:
                continue
            source = path.read_text()
            lines = source.splitlines()
            for node in ast.walk(ast.parse(source)):
                if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                    for imp in (n for n in ast.walk(node) if isinstance(n, ast.Import | ast.ImportFrom)):
                        if not any("#" in line for line in lines[max(0, imp.lineno - 4): imp.lineno]):
                            unexplained.append(f"{path.relative_to(ROOT)}:{imp.lineno}")
    assert unexplained == []


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


def test_task_names_are_those_the_dispatch_and_the_schedule_send() -> None:
    app.loader.import_default_modules()
    assert index_tutor_task.name == INDEX_TUTOR_TASK == "indexer.tasks.index_tutor_task"
    scheduled = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    indexer_tasks = {name for name in scheduled if name.startswith("indexer.")}
    assert {
        "indexer.tasks.index_catch_up_task", "indexer.tasks.index_reconcile_task", "indexer.tasks.index_rebuild_task",
    } <= indexer_tasks
    # Every scheduled job of every app is a registered task: a renamed one would never run.
    assert scheduled | {INDEX_TUTOR_TASK} <= set(app.tasks)
    for name in indexer_tasks:
        assert app.amqp.router.route({}, name, (), {})["queue"].name == "index"
    assert app.amqp.router.route({}, INDEX_TUTOR_TASK, (1,), {})["queue"].name == "index"
