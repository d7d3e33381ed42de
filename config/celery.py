"""The Celery application. Settings come from Django settings (CELERY_* names)."""

import logging.config
import os

from celery import Celery
from celery.signals import setup_logging
from django.conf import settings

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("mash")
app.config_from_object("django.conf:settings", namespace="CELERY")
# Every installed app's `tasks` module, so a worker knows each task beat schedules.
app.autodiscover_tasks()


@setup_logging.connect
def _log_as_django_does(**kwargs: object) -> None:
    """Worker and beat log through settings.LOGGING (LOG_LEVEL, LOG_FORMAT, the filter of
    periodic-task chatter) like the web processes, instead of Celery's own handlers and
    format; a receiver of this signal is how Celery is told to leave logging alone."""
    logging.config.dictConfig(settings.LOGGING)
