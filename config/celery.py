"""The Celery application. Settings come from Django settings (CELERY_* names)."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("mash")
app.config_from_object("django.conf:settings", namespace="CELERY")
# Every installed app's `tasks` module, so a worker knows each task beat schedules.
app.autodiscover_tasks()
