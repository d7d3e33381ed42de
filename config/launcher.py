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
from collections import deque
from dataclasses import dataclass, field
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


@dataclass
class Supervised:
    """One long-running process of the stack, restarted when it dies."""

    name: str
    args: list[str]
    env: dict[str, str] | None = None
    new_session: bool = False
    proc: subprocess.Popen[bytes] | None = None
    exits: deque[float] = field(default_factory=deque)
    restart_at: float | None = None

    def start(self) -> None:
        self.proc = subprocess.Popen(self.args, cwd=ROOT, env=self.env, start_new_session=self.new_session)
        self.restart_at = None


class Supervisor:
    """Keeps the web server, the worker and beat running, as compose's restart policy does
    in production: a process that exits is started again after a back-off that doubles
    with each exit (1 s, 2 s, 4 s ... at most `backoff_max`), every exit and restart
    logged. More than `max_restarts` exits of one process within `window` seconds means it
    cannot run (a bad setting, a port taken): then the stack stops instead of looping."""

    def __init__(self, services: list[Supervised], *, max_restarts: int = 5, window: float = 300.0,
                 backoff_base: float = 1.0, backoff_max: float = 30.0) -> None:
        self.services = {service.name: service for service in services}
        self.max_restarts, self.window = max_restarts, window
        self.backoff_base, self.backoff_max = backoff_base, backoff_max

    def start(self) -> None:
        for service in self.services.values():
            service.start()

    def check(self, now: float | None = None) -> bool:
        """One round: note exits, restart what is due. False when a process gave up."""
        now = time.monotonic() if now is None else now
        for service in self.services.values():
            if service.restart_at is not None:
                if now >= service.restart_at:
                    service.start()
                    log.info("%s restarted (pid %s)", service.name, service.proc.pid if service.proc else None)
                continue
            if service.proc is None or service.proc.poll() is None:
                continue
            while service.exits and service.exits[0] < now - self.window:
                service.exits.popleft()
            service.exits.append(now)
            code = service.proc.returncode
            if len(service.exits) > self.max_restarts:
                log.error("%s exited with code %s, %d times in %.0f s; stopping the stack",
                          service.name, code, len(service.exits), self.window)
                return False
            delay = min(self.backoff_max, self.backoff_base * 2 ** (len(service.exits) - 1))
            log.error("%s exited with code %s; restarting in %.0f s (%d of %d restarts in %.0f s)",
                      service.name, code, delay, len(service.exits), self.max_restarts, self.window)
            service.restart_at = now + delay
        return True

    def processes(self) -> dict[str, subprocess.Popen[bytes]]:
        return {name: service.proc for name, service in self.services.items() if service.proc is not None}


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
    supervisor = Supervisor([])
    stack = EmbeddedStack(data_dir)
    try:
        stack.start()
        env_file = data_dir / "env"
        _write_env_file(env_file)
        _manage("migrate", "--noinput")
        _manage("seed_demo", "--if-empty")
        _manage("search_index", "ensure")
        python = sys.executable
        supervisor = Supervisor([
            # The front server on PORT, with gunicorn behind it (config/front.py,
            # config/gunicorn.conf.py).
            Supervised("web", [python, "-m", "config.front"]),
            # --quiet: no banner; the worker logs one "ready" line (LOG_LEVEL and LOG_FORMAT
            # apply, see config/celery.py).
            Supervised("worker", [python, "-m", "celery", "-A", "config", "--quiet", "worker",
                                  "--concurrency", os.environ.get("CELERY_CONCURRENCY", "2"),
                                  "-Q", "celery,index,activity,mail"]),
            Supervised("beat", [python, "-m", "celery", "-A", "config", "--quiet", "beat",
                                "--schedule", str(data_dir / "celerybeat-schedule")]),
        ])
        supervisor.start()
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
        while supervisor.check():
            time.sleep(0.5)
        return 1
    except _Stop as stop:
        log.info("received %s, stopping", stop)
        return 0
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        _terminate(supervisor.processes())
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
