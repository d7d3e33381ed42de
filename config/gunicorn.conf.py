"""gunicorn settings, shared by `make run`, the Dockerfile and docker-compose.

    gunicorn config.wsgi:application -c config/gunicorn.conf.py
"""

import gc
import os

from config.env import log_format

# Loopback unless told otherwise: `make run` (demo accounts with a published password)
# is reachable from this machine only. The image sets HOST=0.0.0.0.
bind = os.environ.get("BIND") or f"{os.environ.get('HOST', '127.0.0.1')}:{os.environ.get('PORT', '8000')}"
# Behind the front server (config/front.py), which passes the client's address in a PROXY
# protocol line; accepted from loopback only (gunicorn's default proxy_allow_ips).
proxy_protocol = "v1" if os.environ.get("PROXY_PROTOCOL") else "off"
worker_class = "gthread"
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
threads = int(os.environ.get("WEB_THREADS", "8"))
# Longer than clients and load balancers keep an idle connection (an AWS ALB: 60 s), so the
# server is never the side that closes a kept-alive connection at the moment a client
# reuses it, which the client sees as a request dropped without a response. With gthread
# an idle connection costs a socket, not a thread.
keepalive = int(os.environ.get("WEB_KEEPALIVE", "75"))
graceful_timeout = 10
accesslog = "-" if os.environ.get("GUNICORN_ACCESS_LOG") else None
# gunicorn's own lines (start-up, workers booting) in the format of the application's.
_formatter = {"json": "JsonFormatter", "console": "ConsoleFormatter"}[log_format()]
logconfig_dict = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"line": {"()": f"web.core.logging.{_formatter}"}},
    "handlers": {"stdout": {"class": "logging.StreamHandler", "formatter": "line"}},
    "root": {"level": "INFO", "handlers": ["stdout"]},
    "loggers": {
        "gunicorn.error": {"level": "INFO", "handlers": ["stdout"], "propagate": False},
        # Our middleware logs every request; gunicorn's access line only when asked for.
        "gunicorn.access": {"level": "INFO" if accesslog else "WARNING", "handlers": ["stdout"], "propagate": False},
    },
}


def post_worker_init(worker):  # type: ignore[no-untyped-def]
    """Load the subject catalogue and the lemmatiser's dictionaries before the first
    request, so no search runs the catalogue's query or waits for a dictionary."""
    # Imported here: gunicorn's master reads this file before Django is set up; a worker
    # has loaded the application (and so Django) by the time this hook runs.
    from django.db import connection

    from search.morphology import morphology_warm_up  # after Django is set up, as above
    from web.marketplace.selectors import CatalogueUnavailable, subject_slugs

    morphology_warm_up()
    try:
        subject_slugs()
    except CatalogueUnavailable:
        pass  # logged; the first search that needs it tries again (503 meanwhile)
    finally:
        connection.close()  # this thread serves no requests: keep no connection open
    # Everything loaded so far lives as long as the worker: move it out of the garbage
    # collector's reach, so a full collection scans only what requests create. Without
    # this, the collections that land in a request put the month calendar's p95 at 95 ms
    # (bench/lessons_bench.py, p50 29 ms); with it, 41 ms.
    gc.collect()
    gc.freeze()
