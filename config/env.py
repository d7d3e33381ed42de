"""Reading configuration from the environment, in one place.

Every setting that differs between a laptop, CI and production comes from an
environment variable read here; nothing else in the project reads os.environ
for configuration.
"""

from __future__ import annotations

import os
from typing import Any
from urllib.parse import parse_qs, unquote, urlparse

from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_str(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(name)
    return default if value is None else value


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    lowered = value.strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name} must be a boolean (1/0, true/false), got {value!r}")


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    try:
        return int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be an integer, got {value!r}") from None


def env_float(name: str, default: float) -> float:
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    try:
        return float(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a number, got {value!r}") from None


def env_choice(name: str, choices: tuple[str, ...], default: str) -> str:
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    if value.strip() not in choices:
        raise ImproperlyConfigured(f"{name} must be one of {', '.join(choices)}, got {value!r}")
    return value.strip()


def log_format() -> str:
    """LOG_FORMAT: `json` (one JSON object per line, the default) or `console` (one short
    line per event, for a person). Read by the settings and by gunicorn's own config."""
    return env_choice("LOG_FORMAT", ("json", "console"), "json")


def env_list(name: str, default: list[str]) -> list[str]:
    value = os.environ.get(name)
    if value is None:
        return list(default)
    return [item.strip() for item in value.split(",") if item.strip()]


def database_from_url(url: str) -> dict[str, Any]:
    """Turn ``postgresql://user:pass@host:port/name?host=/socket/dir`` into a Django DB dict.

    A ``host`` query parameter (a Unix socket directory, as the embedded server
    uses) wins over the network location.
    """
    parsed = urlparse(url)
    if parsed.scheme not in {"postgres", "postgresql", "pgsql"}:
        raise ImproperlyConfigured(f"DATABASE_URL must be a postgresql:// URL, got scheme {parsed.scheme!r}")
    query = parse_qs(parsed.query)
    name = unquote(parsed.path.lstrip("/"))
    if not name:
        raise ImproperlyConfigured("DATABASE_URL must name a database")
    host = query.get("host", [parsed.hostname or ""])[0]
    # A database that drops packets fails a connection in seconds instead of the system's
    # TCP timeout (minutes), so no request or worker start hangs on it.
    try:
        connect_timeout = int(query.get("connect_timeout", ["5"])[0])
    except ValueError:
        raise ImproperlyConfigured("DATABASE_URL connect_timeout must be a whole number of seconds") from None
    options: dict[str, Any] = {"connect_timeout": connect_timeout}
    if "sslmode" in query:
        options["sslmode"] = query["sslmode"][0]
    return {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": name,
        "USER": unquote(parsed.username or ""),
        "PASSWORD": unquote(parsed.password or ""),
        "HOST": host,
        "PORT": str(parsed.port or ""),
        "OPTIONS": options,
    }


_EMAIL_BACKENDS = {
    "smtp": "django.core.mail.backends.smtp.EmailBackend",
    "smtps": "django.core.mail.backends.smtp.EmailBackend",
    "console": "django.core.mail.backends.console.EmailBackend",
    "file": "django.core.mail.backends.filebased.EmailBackend",
    "locmem": "django.core.mail.backends.locmem.EmailBackend",
}


def email_from_url(url: str) -> dict[str, Any]:
    """Django's EMAIL_* settings from one URL.

    ``smtp://user:pass@host:587`` (STARTTLS unless ``?tls=0``), ``smtps://...:465`` (TLS from
    the start), ``console://`` (print each mail), ``file:///path/dir`` (one file per mail),
    ``locmem://`` (kept in memory, for tests). ``?timeout=`` sets the SMTP timeout (default 10 s).
    """
    parsed = urlparse(url)
    backend = _EMAIL_BACKENDS.get(parsed.scheme)
    if backend is None:
        raise ImproperlyConfigured(
            f"EMAIL_URL must start with one of {', '.join(sorted(_EMAIL_BACKENDS))}://, got {parsed.scheme!r}"
        )
    query = parse_qs(parsed.query)
    settings: dict[str, Any] = {"EMAIL_BACKEND": backend}
    if parsed.scheme == "file":
        if not parsed.path:
            raise ImproperlyConfigured("EMAIL_URL file:// must name a directory")
        settings["EMAIL_FILE_PATH"] = unquote(parsed.path)
    if parsed.scheme in {"smtp", "smtps"}:
        if not parsed.hostname:
            raise ImproperlyConfigured("EMAIL_URL must name the SMTP host")
        try:
            timeout = float(query.get("timeout", ["10"])[0])
        except ValueError:
            raise ImproperlyConfigured("EMAIL_URL timeout must be a number of seconds") from None
        settings.update(
            EMAIL_HOST=parsed.hostname,
            EMAIL_PORT=parsed.port or (465 if parsed.scheme == "smtps" else 587),
            EMAIL_HOST_USER=unquote(parsed.username or ""),
            EMAIL_HOST_PASSWORD=unquote(parsed.password or ""),
            EMAIL_USE_SSL=parsed.scheme == "smtps",
            EMAIL_USE_TLS=parsed.scheme == "smtp" and query.get("tls", ["1"])[0] != "0",
            EMAIL_TIMEOUT=timeout,
        )
    return settings
