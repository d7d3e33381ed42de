"""`make run` and `make test` on a fresh machine.

    python -m config.launcher run     # services, migrate, demo data, index, web + worker + beat
    python -m config.launcher test    # services, then pytest (extra arguments go to pytest)

Services whose URL is unset are started embedded (see config.embedded) and
stopped again on exit, Ctrl-C or SIGTERM.
"""

from __future__ import annotations

import logging
import os
import secrets
import shlex
import signal
import subprocess
import sys
import time
from pathlib import Path
from types import FrameType

from config.embedded import EmbeddedStack, reset_dir
from web.core.logging import ConsoleFormatter

ROOT = Path(__file__).resolve().parent.parent
log = logging.getLogger("mash.launcher")


class _Stop(Exception):
    pass


def _raise_stop(signum: int, frame: FrameType | None) -> None:
    raise _Stop(signal.Signals(signum).name)


def _data_dir(default: str) -> Path:
    return Path(os.environ.get("MASH_DATA_DIR", ROOT / default)).resolve()


def _local_secret_key(data_dir: Path) -> str:
    """A per-checkout key kept in the data folder, so sessions survive restarts."""
    path = data_dir / "secret_key"
    if not path.exists():
        data_dir.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


def _manage(*args: str) -> None:
    subprocess.run([sys.executable, str(ROOT / "manage.py"), *args], check=True, cwd=ROOT)


def _terminate(procs: dict[str, subprocess.Popen[bytes]], grace: float = 15.0) -> None:
    for proc in procs.values():
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + grace
    for name, proc in procs.items():
        try:
            proc.wait(max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            log.warning("%s did not stop in time; killing it", name)
            proc.kill()
            proc.wait()


def run() -> int:
    data_dir = _data_dir(".data")
    os.environ.setdefault("SECRET_KEY", _local_secret_key(data_dir))
    # The local stack is served over plain http.
    os.environ.setdefault("SESSION_COOKIE_SECURE", "0")
    os.environ.setdefault("CSRF_COOKIE_SECURE", "0")
    port = os.environ.setdefault("PORT", "8000")
    # A person reads this console: one short line per request or event, not JSON.
    os.environ.setdefault("LOG_FORMAT", "console")
    metrics_dir = data_dir / "prometheus"
    reset_dir(metrics_dir)
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(metrics_dir)

    signal.signal(signal.SIGTERM, _raise_stop)
    signal.signal(signal.SIGINT, _raise_stop)
    procs: dict[str, subprocess.Popen[bytes]] = {}
    stack = EmbeddedStack(data_dir)
    try:
        stack.start()
        env_file = data_dir / "env"
        _write_env_file(env_file)
        _manage("migrate", "--noinput")
        _manage("seed_demo", "--if-empty")
        _manage("search_index", "ensure")
        python = sys.executable
        procs["web"] = subprocess.Popen(
            [
                # Binds to PORT (set above) like every other setting: config/gunicorn.conf.py.
                python, "-m", "gunicorn", "config.wsgi:application", "-c", "config/gunicorn.conf.py",
            ],
            cwd=ROOT,
        )
        procs["worker"] = subprocess.Popen(
            # --quiet: no banner; the worker logs one "ready" line (LOG_LEVEL and LOG_FORMAT
            # apply, see config/celery.py).
            [python, "-m", "celery", "-A", "config", "--quiet", "worker",
             "--concurrency", os.environ.get("CELERY_CONCURRENCY", "2"), "-Q", "celery,index,activity,mail"],
            cwd=ROOT,
        )
        procs["beat"] = subprocess.Popen(
            [python, "-m", "celery", "-A", "config", "--quiet", "beat",
             "--schedule", str(data_dir / "celerybeat-schedule")],
            cwd=ROOT,
        )
        base = f"http://127.0.0.1:{port}"
        print(
            "\nMASH Marketplace is starting:\n"
            f"  API           {base}/api/marketplace/tutors/\n"
            f"  OpenAPI docs  {base}/api/docs/\n"
            f"  Health        {base}/api/health/ready/\n"
            f"  Metrics       {base}/metrics\n"
            f"  Admin         {base}/admin/  (admin@example.com / see README)\n"
            "Ctrl-C stops everything.\n",
            flush=True,
        )
        while True:
            for name, proc in procs.items():
                if proc.poll() is not None:
                    log.error("%s exited with code %s; stopping the stack", name, proc.returncode)
                    return 1
            time.sleep(0.5)
    except _Stop as stop:
        log.info("received %s, stopping", stop)
        return 0
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        _terminate(procs)
        stack.stop()
        (data_dir / "env").unlink(missing_ok=True)


def _write_env_file(path: Path) -> None:
    """The running stack's settings, for `make manage ARGS=...` in another terminal."""
    names = ("DATABASE_URL", "REDIS_URL", "OPENSEARCH_URL", "SECRET_KEY", "PROMETHEUS_MULTIPROC_DIR")
    path.write_text("".join(f"{name}={shlex.quote(os.environ[name])}\n" for name in names if name in os.environ))
    path.chmod(0o600)


def test(pytest_args: list[str]) -> int:
    data_dir = _data_dir(".data/test")
    os.environ.setdefault("SECRET_KEY", "test-secret-key-not-for-production-" + "x" * 20)
    os.environ.setdefault("OPENSEARCH_INDEX_PREFIX", "test")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    signal.signal(signal.SIGTERM, _raise_stop)
    stack = EmbeddedStack(data_dir)
    try:
        stack.start()
        return subprocess.run([sys.executable, "-m", "pytest", *pytest_args], cwd=ROOT).returncode
    except _Stop:
        return 1
    finally:
        stack.stop()


def main(argv: list[str]) -> int:
    handler = logging.StreamHandler()
    handler.setFormatter(ConsoleFormatter())
    logging.basicConfig(level=logging.INFO, handlers=[handler])
    logging.getLogger("pgserver").setLevel(logging.WARNING)
    if not argv or argv[0] not in {"run", "test"}:
        print(__doc__)
        return 2
    return run() if argv[0] == "run" else test(argv[1:])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
