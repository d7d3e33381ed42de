"""The one settings module. Every value that varies comes from the environment (config.env).

Production is the default: DEBUG is off unless asked for, and a missing
SECRET_KEY is a start-up error instead of a silent, shared default.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured

from config.env import (
    database_from_url,
    email_from_url,
    env_bool,
    env_float,
    env_int,
    env_list,
    env_str,
    log_format,
)

BASE_DIR = Path(__file__).resolve().parent.parent

DEBUG = env_bool("DEBUG", False)
SECRET_KEY = env_str("SECRET_KEY") or ""
if not SECRET_KEY:
    if DEBUG:
        SECRET_KEY = "insecure-debug-only-key"
    else:
        raise ImproperlyConfigured(
            "SECRET_KEY is not set. Set SECRET_KEY in the environment "
            "(or DEBUG=1 for a throwaway local key)."
        )

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "web.operations.apps.AdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "rest_framework",
    # Refresh tokens a user signed out with (POST /api/auth/logout/) are refused.
    "rest_framework_simplejwt.token_blacklist",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "web.core",
    "web.accounts",
    "web.activity",
    "web.mail",
    "web.profiles",
    "web.relations",
    "web.lessons",
    "web.reviews",
    "indexer",
    "web.marketplace",
    "web.operations",
    "web.demo",
]

MIDDLEWARE = [
    "web.core.middleware.RequestLogMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # The language of messages from Accept-Language (uk, en, pl); without the header, the
    # signed-in user's (web.accounts.authentication), else English. Sets Content-Language.
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "config.urls"
# No redirect to the URL with a slash: a redirected POST arrives as a GET (a 405), and with
# DEBUG Django refuses to redirect it at all (a 500). A missing slash is a JSON 404.
APPEND_SLASH = False
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --- PostgreSQL -------------------------------------------------------------
DATABASE_URL = env_str("DATABASE_URL")
if not DATABASE_URL:
    raise ImproperlyConfigured(
        "DATABASE_URL is not set. `make run` and `make test` start an embedded "
        "PostgreSQL and set it; otherwise point it at your server."
    )
DATABASES = {"default": database_from_url(DATABASE_URL)}
DATABASES["default"]["CONN_MAX_AGE"] = env_int("DB_CONN_MAX_AGE", 60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Redis (broker, rate limits) --------------------------------------------
REDIS_URL = env_str("REDIS_URL") or "redis://127.0.0.1:6379/0"

# --- OpenSearch --------------------------------------------------------------
OPENSEARCH_URL = env_str("OPENSEARCH_URL") or "http://127.0.0.1:9200"
# Index names are prefixed so several deployments (or test runs) can share a cluster.
OPENSEARCH_INDEX_PREFIX = env_str("OPENSEARCH_INDEX_PREFIX") or "mash"
# Searches use a short timeout so a slow cluster turns into a 503, not a hung worker.
OPENSEARCH_SEARCH_TIMEOUT = env_float("OPENSEARCH_SEARCH_TIMEOUT", 2.0)
OPENSEARCH_WRITE_TIMEOUT = env_float("OPENSEARCH_WRITE_TIMEOUT", 10.0)

# --- Auth ---------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTH_PASSWORD_VALIDATORS = [
    {
        "NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator",
        "OPTIONS": {"user_attributes": ("email", "full_name")},
    },
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
PASSWORD_HASHERS = env_list(
    "PASSWORD_HASHERS",
    [
        "django.contrib.auth.hashers.PBKDF2PasswordHasher",
        "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    ],
)

LANGUAGE_CODE = "en"
# The languages the API answers in; our own messages are in locale/<language>/LC_MESSAGES,
# compiled to .mo at install (`make messages`), never committed as .mo.
LANGUAGES = [("uk", "Українська"), ("en", "English"), ("pl", "Polski")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
# Set in images that run collectstatic; unset locally (assets are served from the apps).
STATIC_ROOT = env_str("STATIC_ROOT")
# Swagger UI assets are served from the installed sidecar package, no CDN and
# no collectstatic step needed on a fresh machine.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

# --- HTTPS in production ------------------------------------------------------
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# How many reverse proxies append to X-Forwarded-For in front of the app; 0: the peer
# address is the client's (per-address sign-in and registration limits use it).
TRUSTED_PROXY_HOPS = env_int("TRUSTED_PROXY_HOPS", 0)
SECURE_CONTENT_TYPE_NOSNIFF = True
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", not DEBUG)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", not DEBUG)
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", False)

# --- DRF ----------------------------------------------------------------------
_RENDERERS = ["rest_framework.renderers.JSONRenderer"]
if DEBUG:
    _RENDERERS.append("rest_framework.renderers.BrowsableAPIRenderer")

# The largest request body accepted (a profile with a full bio is a few kB); over it the
# API answers 413 before parsing.
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("MAX_REQUEST_BODY_BYTES", 1024 * 1024)

REST_FRAMEWORK = {
    # simplejwt's and DRF's classes that also answer in the user's language when the
    # request names none (Accept-Language).
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "web.accounts.authentication.JWTAuthentication",
        "web.accounts.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": _RENDERERS,
    "DEFAULT_PARSER_CLASSES": ["web.core.parsers.StrictJSONParser"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "web.core.errors.api_exception_handler",
}
SIMPLE_JWT = {
    "ACCESS_TOKEN_LIFETIME": timedelta(minutes=env_int("JWT_ACCESS_MINUTES", 15)),
    "REFRESH_TOKEN_LIFETIME": timedelta(days=env_int("JWT_REFRESH_DAYS", 7)),
    "AUTH_HEADER_TYPES": ("Bearer",),
    "USER_ID_FIELD": "id",
    "UPDATE_LAST_LOGIN": False,
    # Tokens carry a digest of the password hash: a password change ends every session.
    "CHECK_REVOKE_TOKEN": True,
    # Claims are checked before use: a signed token with odd claims is a 401, never a 500.
    "AUTH_TOKEN_CLASSES": ("web.accounts.jwt_claims.CheckedAccessToken",),
}

SPECTACULAR_SETTINGS = {
    "TITLE": "MASH Marketplace API",
    "DESCRIPTION": (
        "Tutor marketplace: accounts, tutor profiles, drafts, activity and a "
        "search API served from OpenSearch. Errors share one shape: "
        '`{"error": {"code", "message", "fields"}, "request_id"}`.'
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": r"/api/",
    # One component per domain enum, named after it (several lists filter on a `status`).
    "ENUM_NAME_OVERRIDES": {
        "RelationStatusEnum": "web.relations.models.RelationStatus",
        "RelationInitiatorEnum": "web.relations.models.Initiator",
    },
    # Every operation declares the answers of the edge (414, 431, 408...) and Retry-After.
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "web.core.schema.edge_responses_hook",
    ],
}

# --- Celery -------------------------------------------------------------------
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL") or REDIS_URL
CELERY_TASK_IGNORE_RESULT = True
CELERY_RESULT_BACKEND = None
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = "UTC"
# A task unacknowledged this long is redelivered; every retry delay stays below it.
CELERY_BROKER_VISIBILITY_TIMEOUT = env_int("CELERY_BROKER_VISIBILITY_TIMEOUT", 3600)
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": CELERY_BROKER_VISIBILITY_TIMEOUT,
    # Publishing must never hang a request when Redis is down: fail fast, the
    # outbox keeps the work.
    "socket_connect_timeout": 1,
    "socket_timeout": 2,
    "max_retries": 0,
}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_PUBLISH_RETRY = False
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_TASK_ROUTES: dict[str, dict[str, str]] = {}
CELERY_BEAT_SCHEDULE: dict[str, dict] = {}

# --- Index pipeline (indexer/) -------------------------------------------------
# Outbox rows younger than this are left to the task enqueued at commit.
INDEX_CATCH_UP_MIN_AGE_SECONDS = env_float("INDEX_CATCH_UP_MIN_AGE_SECONDS", 3.0)
# A dispatched row still pending after this long had its task lost: dispatch again.
INDEX_REDISPATCH_AFTER_SECONDS = env_float("INDEX_REDISPATCH_AFTER_SECONDS", 60.0)
INDEX_REBUILD_BATCH_SIZE = env_int("INDEX_REBUILD_BATCH_SIZE", 1000)
INDEX_REBUILD_GATE_SAMPLE = env_int("INDEX_REBUILD_GATE_SAMPLE", 50)
INDEX_KEEP_PREVIOUS = 1  # indices kept after a swap, for rollback
OPENSEARCH_NUMBER_OF_REPLICAS = env_int("OPENSEARCH_NUMBER_OF_REPLICAS", 0)

INDEX_REBUILD_HOUR = env_int("INDEX_REBUILD_HOUR", 3)
if not 0 <= INDEX_REBUILD_HOUR <= 23:
    raise ImproperlyConfigured("INDEX_REBUILD_HOUR must be an hour of the day, 0-23")

CELERY_TASK_ROUTES.update({"indexer.tasks.*": {"queue": "index"}})
CELERY_BEAT_SCHEDULE.update(
    {
        # Each job expires at its interval, so a backlog of runs never piles up.
        "index-catch-up": {"task": "indexer.tasks.index_catch_up_task", "schedule": 5.0, "options": {"expires": 5}},
        "index-reconcile": {
            "task": "indexer.tasks.index_reconcile_task",
            "schedule": env_float("INDEX_RECONCILE_EVERY_SECONDS", 900.0),
            "options": {"expires": env_float("INDEX_RECONCILE_EVERY_SECONDS", 900.0)},
        },
        # At a fixed hour (UTC), not every 24 h from whenever beat started: a deploy
        # restarts beat, and an interval would move the rebuild back by a day each time.
        "index-rebuild": {
            "task": "indexer.tasks.index_rebuild_task",
            "schedule": crontab(hour=INDEX_REBUILD_HOUR, minute=0),
            "options": {"expires": 3600},
        },
        # Availability is indexed with the coming week's UTC offsets: just after that
        # week moves on (midnight UTC), reindex the tutors of zones whose offset changes.
        "index-time-zones": {
            "task": "indexer.tasks.index_time_zones_task",
            "schedule": crontab(hour=0, minute=5),
            "options": {"expires": 24 * 3600},
        },
    }
)

# --- Activity log (web/activity/) -----------------------------------------------
ACTIVITY_RETENTION_DAYS = env_int("ACTIVITY_RETENTION_DAYS", 90)
# How often buffered events (activity_log_buffered) are moved from Redis into the table.
ACTIVITY_DRAIN_EVERY_SECONDS = env_float("ACTIVITY_DRAIN_EVERY_SECONDS", 2.0)
ACTIVITY_PURGE_EVERY_SECONDS = env_float("ACTIVITY_PURGE_EVERY_SECONDS", 3600.0)

CELERY_TASK_ROUTES.update(
    {
        "web.activity.tasks.activity_drain_buffer_task": {"queue": "activity"},
        "web.activity.tasks.activity_purge_old_task": {"queue": "activity"},
    }
)
CELERY_BEAT_SCHEDULE.update(
    {
        "activity-drain-buffer": {
            "task": "web.activity.tasks.activity_drain_buffer_task",
            "schedule": ACTIVITY_DRAIN_EVERY_SECONDS,
            "options": {"expires": ACTIVITY_DRAIN_EVERY_SECONDS},
        },
        "activity-purge-old": {
            "task": "web.activity.tasks.activity_purge_old_task",
            "schedule": ACTIVITY_PURGE_EVERY_SECONDS,
            "options": {"expires": ACTIVITY_PURGE_EVERY_SECONDS},
        },
    }
)

# --- Accounts (web/accounts/) ----------------------------------------------------
# A password reset link works once (the token hashes the password and last sign-in) and
# for an hour; an email verification link for two days.
PASSWORD_RESET_TIMEOUT = env_int("PASSWORD_RESET_TIMEOUT", 3600)
EMAIL_VERIFICATION_MAX_AGE = env_int("EMAIL_VERIFICATION_MAX_AGE", 48 * 3600)

CELERY_TASK_ROUTES.update({"web.accounts.tasks.*": {"queue": "mail"}})
CELERY_BEAT_SCHEDULE.update(
    {
        # Outstanding refresh tokens past their expiry (kept for the logout blacklist).
        "accounts-flush-expired-tokens": {
            "task": "web.accounts.tasks.accounts_flush_expired_tokens_task",
            "schedule": 86400.0,
            "options": {"expires": 86400},
        },
    }
)

# --- Mail (web/mail/) ---------------------------------------------------------
# One URL says where mail goes: console:// prints it (the default, as `make run` wants),
# smtp://user:pass@host:587 sends it; see config.env.email_from_url.
EMAIL_URL = env_str("EMAIL_URL") or "console://"
globals().update(email_from_url(EMAIL_URL))
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL") or "MASH Marketplace <no-reply@localhost>"
# Where links in mails point (the front end that serves them, or this API).
SITE_URL = (env_str("SITE_URL") or "http://127.0.0.1:8000").rstrip("/")
MAIL_CATCH_UP_MIN_AGE_SECONDS = env_float("MAIL_CATCH_UP_MIN_AGE_SECONDS", 30.0)
MAIL_REDISPATCH_AFTER_SECONDS = env_float("MAIL_REDISPATCH_AFTER_SECONDS", 900.0)

CELERY_TASK_ROUTES.update({"web.mail.tasks.*": {"queue": "mail"}})
CELERY_BEAT_SCHEDULE.update(
    {
        "mail-catch-up": {"task": "web.mail.tasks.mail_catch_up_task", "schedule": 30.0, "options": {"expires": 30}},
    }
)

# --- Lessons (web/lessons/) ------------------------------------------------------
LESSONS_COMPLETE_EVERY_SECONDS = env_float("LESSONS_COMPLETE_EVERY_SECONDS", 60.0)
LESSONS_IDEMPOTENCY_PURGE_EVERY_SECONDS = env_float("LESSONS_IDEMPOTENCY_PURGE_EVERY_SECONDS", 3600.0)

CELERY_TASK_ROUTES.update({"web.lessons.tasks.*": {"queue": "celery"}})
CELERY_BEAT_SCHEDULE.update(
    {
        "lessons-complete": {
            "task": "web.lessons.tasks.lessons_complete_task",
            "schedule": LESSONS_COMPLETE_EVERY_SECONDS,
            "options": {"expires": LESSONS_COMPLETE_EVERY_SECONDS},
        },
        "lessons-idempotency-purge": {
            "task": "web.lessons.tasks.lessons_idempotency_purge_task",
            "schedule": LESSONS_IDEMPOTENCY_PURGE_EVERY_SECONDS,
            "options": {"expires": LESSONS_IDEMPOTENCY_PURGE_EVERY_SECONDS},
        },
    }
)

# --- Relations (web/relations/) -------------------------------------------------
# Pending requests and invitations expire 14 days after their last send; this job marks them.
RELATIONS_EXPIRE_EVERY_SECONDS = env_float("RELATIONS_EXPIRE_EVERY_SECONDS", 300.0)

CELERY_TASK_ROUTES.update({"web.relations.tasks.*": {"queue": "activity"}})
CELERY_BEAT_SCHEDULE.update(
    {
        "relations-expire": {
            "task": "web.relations.tasks.relations_expire_task",
            "schedule": RELATIONS_EXPIRE_EVERY_SECONDS,
            "options": {"expires": RELATIONS_EXPIRE_EVERY_SECONDS},
        },
        # Repairs a tutor's active-student count that changed behind the services (an
        # account deleted outright in the admin); nightly, after the index rebuild hour.
        "relations-recount-active-students": {
            "task": "web.relations.tasks.relations_recount_active_students_task",
            "schedule": crontab(minute=30, hour=(INDEX_REBUILD_HOUR + 1) % 24),
            "options": {"expires": 3600},
        },
    }
)

# --- Marketplace (web/marketplace/) ----------------------------------------------
# After this many consecutive search failures, searches fail fast (503) for the reset
# period, then one probe request decides whether the cluster is back.
SEARCH_BREAKER_FAILURES = env_int("SEARCH_BREAKER_FAILURES", 3)
SEARCH_BREAKER_RESET_SECONDS = env_float("SEARCH_BREAKER_RESET_SECONDS", 10.0)
MARKETPLACE_METRICS_DRAIN_EVERY_SECONDS = env_float("MARKETPLACE_METRICS_DRAIN_EVERY_SECONDS", 10.0)

CELERY_TASK_ROUTES.update({"web.marketplace.tasks.*": {"queue": "activity"}})
CELERY_BEAT_SCHEDULE.update(
    {
        "marketplace-metrics-drain": {
            "task": "web.marketplace.tasks.marketplace_metrics_drain_task",
            "schedule": MARKETPLACE_METRICS_DRAIN_EVERY_SECONDS,
            "options": {"expires": MARKETPLACE_METRICS_DRAIN_EVERY_SECONDS},
        },
    }
)

# --- Reviews (web/reviews/) --------------------------------------------------------
# The Bayesian score the index ranks by is (C*m + sum) / (m + n): every tutor's reviews
# plus m reviews' worth of the platform's mean rating C. m is the prior weight; C is
# recomputed nightly from all published reviews (REVIEWS_PRIOR_MEAN until then).
REVIEWS_PRIOR_WEIGHT = env_int("REVIEWS_PRIOR_WEIGHT", 10)
REVIEWS_PRIOR_MEAN = env_float("REVIEWS_PRIOR_MEAN", 4.0)
if REVIEWS_PRIOR_WEIGHT < 1 or not 1.0 <= REVIEWS_PRIOR_MEAN <= 5.0:
    raise ImproperlyConfigured("REVIEWS_PRIOR_WEIGHT must be >= 1 and REVIEWS_PRIOR_MEAN within 1-5")
REVIEWS_PRIOR_HOUR = env_int("REVIEWS_PRIOR_HOUR", 2)
if not 0 <= REVIEWS_PRIOR_HOUR <= 23:
    raise ImproperlyConfigured("REVIEWS_PRIOR_HOUR must be an hour of the day, 0-23")
REVIEWS_RECONCILE_EVERY_SECONDS = env_float("REVIEWS_RECONCILE_EVERY_SECONDS", 3600.0)
# New reviews per account (an hour, a day) and per client address (an hour).
REVIEWS_CREATE_PER_USER_HOUR = env_int("REVIEWS_CREATE_PER_USER_HOUR", 10)
REVIEWS_CREATE_PER_USER_DAY = env_int("REVIEWS_CREATE_PER_USER_DAY", 30)
REVIEWS_CREATE_PER_ADDRESS_HOUR = env_int("REVIEWS_CREATE_PER_ADDRESS_HOUR", 60)

CELERY_TASK_ROUTES.update({"web.reviews.tasks.*": {"queue": "celery"}})
CELERY_BEAT_SCHEDULE.update(
    {
        "reviews-reconcile": {
            "task": "web.reviews.tasks.reviews_reconcile_task",
            "schedule": REVIEWS_RECONCILE_EVERY_SECONDS,
            "options": {"expires": REVIEWS_RECONCILE_EVERY_SECONDS},
        },
        # Before the nightly index rebuild, so the rebuilt index has the new scores.
        "reviews-prior-refresh": {
            "task": "web.reviews.tasks.reviews_prior_refresh_task",
            "schedule": crontab(hour=REVIEWS_PRIOR_HOUR, minute=30),
            "options": {"expires": 3600},
        },
    }
)

# --- Observability ------------------------------------------------------------
LOG_LEVEL = env_str("LOG_LEVEL") or "INFO"
# json: one JSON object per line, for a log shipper (production). console: one short line
# per request or event, for a person watching a terminal (`make run` sets it).
LOG_FORMAT = log_format()
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "json": {"()": "web.core.logging.JsonFormatter"},
        "console": {"()": "web.core.logging.ConsoleFormatter"},
    },
    "filters": {
        # Celery's own lines about a periodic task (beat sent it, a worker received it, it
        # succeeded) come every few seconds, and about the per-tutor index task and the mail
        # task once per change: DEBUG. The tasks log when they did something; failures and
        # retries keep their level.
        "periodic_task_chatter": {
            "()": "web.core.logging.PeriodicTaskChatter",
            "tasks": sorted(
                {entry["task"] for entry in CELERY_BEAT_SCHEDULE.values()}
                | {"indexer.tasks.index_tutor_task", "web.mail.tasks.mail_send_task"}
            ),
        },
    },
    "handlers": {
        "stdout": {"class": "logging.StreamHandler", "formatter": LOG_FORMAT, "filters": ["periodic_task_chatter"]},
    },
    "root": {"handlers": ["stdout"], "level": LOG_LEVEL},
    "loggers": {
        # Requests are logged once by our middleware; Django's own access/error
        # lines for 4xx would duplicate them.
        "django.request": {"level": "ERROR", "propagate": True},
        "django.server": {"level": "WARNING", "propagate": True},
        # 409s are expected (an older version arriving late); real failures are logged by us.
        "opensearch": {"level": "ERROR", "propagate": True},
        "opensearchpy.trace": {"level": "WARNING", "propagate": False},
        "urllib3": {"level": "WARNING", "propagate": True},
    },
}
