"""Log formats and filters, chosen in settings.LOGGING by LOG_FORMAT.

`JsonFormatter` (production): one JSON object per line, so any log shipper can parse it.
`ConsoleFormatter` (`make run`): one short line per request or event, for a person.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

# Attributes every LogRecord has; anything else was passed through `extra=` and
# becomes a field of the line.
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {"message", "asctime"}


def _extra(record: logging.LogRecord) -> dict[str, Any]:
    return {key: value for key, value in vars(record).items() if key not in _STANDARD and not key.startswith("_")}


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        payload: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        payload.update(_extra(record))
        if record.exc_info:
            payload["exc_info"] = self.formatException(record.exc_info)
        return json.dumps(payload, default=str, ensure_ascii=False)


# Fields the console leaves out: the request's id (the JSON line has it), and Celery's
# `data`, which repeats what its message already says.
_CONSOLE_HIDDEN = frozenset({"request_id", "data"})


def _console_value(value: Any) -> str:
    if isinstance(value, str):
        return value if value and not any(c.isspace() or c in "\"'=" for c in value) else json.dumps(value)
    if isinstance(value, dict | list | tuple):
        return json.dumps(value, default=str, ensure_ascii=False, separators=(",", ":"))
    return str(value)


def _short_name(logger: str) -> str:
    """`mash.indexer` -> `indexer`, `celery.worker.consumer.mingle` -> `celery`."""
    return logger.removeprefix("mash.").split(".", 1)[0]


class ConsoleFormatter(logging.Formatter):
    """`06:21:54 GET /api/marketplace/tutors/ 200 12.3 ms user=5` for a request;
    `06:21:54 WARNING health: readiness check failed check=redis error=...` otherwise:
    local time, the level unless it is INFO, the logger (its app, or library), the message
    and the `extra=` fields as key=value. A traceback follows on its own lines."""

    def format(self, record: logging.LogRecord) -> str:
        fields = {key: value for key, value in _extra(record).items() if key not in _CONSOLE_HIDDEN}
        if record.name == "mash.request" and {"method", "path", "status", "duration_ms"} <= fields.keys():
            text = f"{fields.pop('method')} {fields.pop('path')} {fields.pop('status')} {fields.pop('duration_ms')} ms"
            if fields.get("user_id") is None:
                fields.pop("user_id", None)
            else:
                fields["user"] = fields.pop("user_id")
        else:
            text = f"{_short_name(record.name)}: {record.getMessage()}"
        parts = [datetime.fromtimestamp(record.created).strftime("%H:%M:%S")]
        if record.levelno != logging.INFO:
            parts.append(record.levelname)
        parts.append(text)
        parts.extend(f"{key}={_console_value(value)}" for key, value in fields.items())
        line = " ".join(parts)
        if record.exc_info:
            line += "\n" + self.formatException(record.exc_info)
        return line


class PeriodicTaskChatter(logging.Filter):
    """Demotes to DEBUG Celery's routine INFO lines about the named tasks: beat sending
    one, a worker receiving it, the task succeeding. Beat sends the periodic jobs every
    few seconds, and those lines would bury everything else; each job logs at INFO itself
    when it did something. Retries and failures keep their level.

    Attached to a handler, so the demoted record is dropped unless its logger is enabled
    for DEBUG (LOG_LEVEL=DEBUG shows them).
    """

    def __init__(self, tasks: Iterable[str] = ()) -> None:
        super().__init__()
        self.tasks = frozenset(tasks)

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno != logging.INFO or _routine_task_line(record) not in self.tasks:
            return True
        record.levelno, record.levelname = logging.DEBUG, "DEBUG"
        return logging.getLogger(record.name).isEnabledFor(logging.DEBUG)


def _routine_task_line(record: logging.LogRecord) -> str | None:
    """The task a routine Celery line is about, or None for any other line."""
    message = str(record.msg)
    if record.name == "celery.beat" and message.startswith("Scheduler: Sending due task"):
        # logged as ("Scheduler: Sending due task %s (%s)", entry name, task name)
        args = record.args if isinstance(record.args, tuple) else ()
        return str(args[1]) if len(args) > 1 else None
    data = getattr(record, "data", None)
    if not isinstance(data, dict):
        return None
    if (record.name == "celery.worker.strategy" and message.rstrip().endswith("received")) or (
        record.name == "celery.app.trace" and " succeeded in " in message
    ):
        return str(data.get("name"))
    return None
