"""The Celery app a worker runs knows every task beat sends it."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from django.conf import settings

# A fresh interpreter, as a worker starts: tasks imported by other tests do not count.
_WORKER_REGISTRY = (
    "import django, json; django.setup(); from config.celery import app; "
    "app.loader.import_default_modules(); print(json.dumps(sorted(app.tasks)))"
)


def test_every_scheduled_and_routed_task_is_registered_in_a_worker() -> None:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings"}
    out = subprocess.run(
        [sys.executable, "-c", _WORKER_REGISTRY], env=env, capture_output=True, text=True, timeout=60, check=True
    ).stdout
    registered = set(json.loads(out.strip().splitlines()[-1]))
    scheduled = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert scheduled and scheduled <= registered, scheduled - registered
    for pattern in settings.CELERY_TASK_ROUTES:
        prefix = pattern.rstrip("*")
        assert any(name.startswith(prefix) for name in registered), pattern
