"""The front server (config/front.py) in front of a real gunicorn, on the test database.

Slow clients hold sockets, not threads; the edge answers in the API's JSON error shape;
chunked bodies reach the application whole."""

from __future__ import annotations

import http.client
import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlparse

import pytest
from rest_framework_simplejwt.tokens import RefreshToken

from tests.factories import TutorProfileFactory
from web.profiles.models import TutorProfile

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _get(port: int, path: str, source: str = "127.0.0.2", timeout: float = 5.0, headers: dict | None = None):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout, source_address=(source, 0))
    try:
        conn.request("GET", path, headers={"Host": "localhost", **(headers or {})})
        response = conn.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        conn.close()


@pytest.fixture(scope="module")
def start_front(django_db_setup, django_db_blocker, tmp_path_factory) -> Iterator[Callable[..., int]]:
    """Start `python -m config.front` (and so gunicorn) on the test database; returns its port."""
    from django.db import connection

    database_url = urlparse(os.environ["DATABASE_URL"])._replace(path="/" + connection.settings_dict["NAME"]).geturl()
    procs: list[subprocess.Popen[bytes]] = []

    def start(**settings: str) -> int:
        port = _free_port()
        env = {
            **os.environ,
            "DATABASE_URL": database_url,
            "HOST": "127.0.0.1",
            "PORT": str(port),
            # Few threads, so a handful of stalled requests would take all of them.
            "WEB_CONCURRENCY": "1",
            "WEB_THREADS": "4",
            "LOG_LEVEL": "WARNING",
            "PROMETHEUS_MULTIPROC_DIR": str(tmp_path_factory.mktemp("metrics")),
            **settings,
        }
        procs.append(subprocess.Popen([sys.executable, "-m", "config.front"], cwd=ROOT, env=env))
        deadline = time.monotonic() + 60
        while True:
            try:
                if _get(port, "/api/health/")[0] == 200:
                    return port
            except OSError:
                pass
            assert time.monotonic() < deadline, "the front server did not come up"
            time.sleep(0.3)

    yield start
    for proc in procs:
        proc.terminate()
        proc.wait(20)


@pytest.fixture(scope="module")
def front(start_front) -> int:
    return start_front(FRONT_HEADER_TIMEOUT="120", FRONT_BODY_TIMEOUT="120", FRONT_MAX_CONNECTIONS_PER_ADDRESS="32")


def _stalled(port: int, source: str, slow_body: bool) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port), timeout=5, source_address=(source, 0))
    if slow_body:  # headers in full, then 10 of the 1,000 body bytes declared
        sock.sendall(b"POST /api/auth/token/ HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
                     b"Content-Length: 1000\r\n\r\n{\"email\": ")
    else:  # headers that never end
        sock.sendall(b"GET /api/health/ HTTP/1.1\r\nHost: localhost\r\nX-Slow: ")
    return sock


def _still_open(sock: socket.socket) -> bool:
    sock.setblocking(False)
    try:
        return sock.recv(1) != b""  # data would be an answer: not what a stalled request gets
    except BlockingIOError:
        return True
    except OSError:
        return False
    finally:
        sock.setblocking(True)


def test_two_hundred_stalled_connections_do_not_starve_fifty_normal_requests(front) -> None:
    # 200 stalled sockets, 20 from each of ten addresses (under the per-address limit of 32).
    stalled = [_stalled(front, f"127.0.0.{10 + n % 10}", slow_body=n % 2 == 1) for n in range(200)]
    try:
        time.sleep(0.5)  # all of them accepted and waiting
        with ThreadPoolExecutor(10) as pool:
            results = list(pool.map(lambda _: _get(front, "/api/health/", timeout=5), range(50)))
        assert [status for status, _, _ in results] == [200] * 50
        assert all(json.loads(body) for _, _, body in results)
        assert all(_still_open(sock) for sock in stalled)  # held, not dropped to make room
    finally:
        for sock in stalled:
            sock.close()


def test_connections_per_client_address_are_bounded(front) -> None:
    held = [_stalled(front, "127.0.0.3", slow_body=False) for _ in range(32)]
    try:
        time.sleep(0.3)
        refused = _get(front, "/api/health/", source="127.0.0.3")
        assert refused[0] == 429
        assert json.loads(refused[2])["error"]["code"] == "rate_limited"
        assert int(refused[1]["retry-after"]) >= 1
        assert _get(front, "/api/health/", source="127.0.0.4")[0] == 200  # other clients are served
    finally:
        for sock in held:
            sock.close()
    time.sleep(0.3)
    assert _get(front, "/api/health/", source="127.0.0.3")[0] == 200  # freed as they close


def _raw(port: int, data: bytes) -> tuple[int, dict[str, str], dict]:
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(data)
        received = b""
        while b"\r\n\r\n" not in received or len(received.split(b"\r\n\r\n", 1)[1]) < _length(received):
            chunk = sock.recv(65536)
            if not chunk:
                break
            received += chunk
    head, body = received.split(b"\r\n\r\n", 1)
    lines = head.decode().split("\r\n")
    headers = {name.lower(): value.strip() for name, value in (line.split(":", 1) for line in lines[1:])}
    return int(lines[0].split()[1]), headers, json.loads(body)


def _length(received: bytes) -> int:
    for line in received.split(b"\r\n\r\n", 1)[0].split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.lower() == b"content-length":
            return int(value)
    return 0


@pytest.mark.parametrize(
    ("request_bytes", "status", "code"),
    [
        (b"GET /api/marketplace/tutors/?search=" + b"a" * 5000 + b" HTTP/1.1\r\nHost: localhost\r\n\r\n",
         414, "uri_too_long"),
        (b"GET /api/health/ HTTP/1.1\r\nHost: localhost\r\nX-Big: " + b"b" * 10240 + b"\r\n\r\n",
         431, "headers_too_large"),
        (b"GET /api/health/ HTTP/1.1\r\nHost: localhost\r\n" + b"".join(b"X-%d: 1\r\n" % n for n in range(120))
         + b"\r\n", 431, "headers_too_large"),
        (b"\x16\x03\x01 nonsense\r\n\r\n", 400, "bad_request"),
        (b"GET /api/health/ HTTP/1.1 extra\r\nHost: localhost\r\n\r\n", 400, "bad_request"),
        (b"POST /api/auth/token/ HTTP/1.1\r\nHost: localhost\r\nContent-Length: 5000000\r\n\r\n",
         413, "request_too_large"),
        (b"POST /api/auth/token/ HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: gzip\r\n\r\n",
         501, "not_implemented"),
    ],
    ids=["long-query", "big-header", "many-headers", "garbage", "bad-request-line", "huge-body", "gzip-coding"],
)
def test_errors_outside_django_are_in_the_json_error_shape(front, request_bytes, status, code) -> None:
    answered, headers, body = _raw(front, request_bytes)
    assert answered == status
    assert headers["content-type"] == "application/json"
    assert body["error"]["code"] == code
    assert body["error"]["message"]
    assert body["request_id"] == headers["x-request-id"]


def _chunked(payload: bytes, size: int = 7) -> bytes:
    parts = [payload[i:i + size] for i in range(0, len(payload), size)]
    return b"".join(b"%x\r\n%s\r\n" % (len(part), part) for part in parts) + b"0\r\n\r\n"


@pytest.mark.django_db(transaction=True)
def test_a_chunked_patch_updates_the_profile(front) -> None:
    tutor = TutorProfileFactory(headline="Before")
    token = RefreshToken.for_user(tutor.user).access_token
    payload = json.dumps({"headline": "Sent in chunks"}).encode()
    status, headers, body = _raw(
        front,
        b"PATCH /api/me/profile/ HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
        b"Authorization: Bearer " + str(token).encode() + b"\r\nTransfer-Encoding: chunked\r\n\r\n" + _chunked(payload),
    )
    assert status == 200, body
    assert body["headline"] == "Sent in chunks"
    assert TutorProfile.objects.get(pk=tutor.pk).headline == "Sent in chunks"
    assert headers["x-request-id"]  # the application's answer, passed through


@pytest.mark.django_db(transaction=True)
def test_a_chunked_post_is_read_in_full(front) -> None:
    payload = json.dumps({"email": "nobody@example.com", "password": "wrong-password"}).encode()
    status, _, body = _raw(
        front,
        b"POST /api/auth/token/ HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
        b"Transfer-Encoding: chunked\r\n\r\n" + _chunked(payload),
    )
    assert status == 401, body  # the credentials were read (not "field is required")
    assert body["error"]["code"] == "no_active_account"


def test_slow_headers_and_slow_bodies_time_out_in_the_json_shape(start_front) -> None:
    port = start_front(FRONT_HEADER_TIMEOUT="1", FRONT_BODY_TIMEOUT="1")
    for slow_body in (False, True):
        sock = _stalled(port, "127.0.0.6", slow_body=slow_body)
        started = time.monotonic()
        sock.settimeout(10)
        received = b""
        while chunk := sock.recv(65536):
            received += chunk
        sock.close()
        assert time.monotonic() - started < 5
        head, body = received.split(b"\r\n\r\n", 1)
        assert head.startswith(b"HTTP/1.1 408 ")
        assert json.loads(body)["error"]["code"] == "request_timeout"


def test_an_ipv6_client_counts_as_its_64() -> None:
    """Two addresses of one /64 share the per-address budget; another /64 has its own.
    (This machine has one IPv6 address, so the writer here only reports a peer.)"""
    import asyncio

    from config.front import Front, FrontSettings

    class Writer:
        def __init__(self, peer: str) -> None:
            self.peer, self.written = peer, b""

        def get_extra_info(self, name: str) -> tuple[str, int]:
            return (self.peer, 1234)

        def write(self, data: bytes) -> None:
            self.written += data

        def close(self) -> None:
            pass

        async def wait_closed(self) -> None:
            pass

    front = Front(settings=FrontSettings(max_connections_per_address=1), upstream=("127.0.0.1", 9))
    front.connections["2001:db8:1:2::/64"] = 1  # one connection from that line already open
    same_line, other_line = Writer("2001:db8:1:2:aaaa::7"), Writer("2001:db8:1:3::7")
    async def client(writer: Writer) -> None:
        reader = asyncio.StreamReader()
        reader.feed_eof()  # a client that closes at once
        await front.handle(reader, writer)  # type: ignore[arg-type]

    asyncio.run(client(same_line))
    assert same_line.written.startswith(b"HTTP/1.1 429 ")
    assert front.connections["2001:db8:1:2::/64"] == 1
    assert "2001:db8:1:3::/64" not in front.connections
    assert front.total == 0
    # Another line is served (a client that closes at once: nothing to answer).
    asyncio.run(client(other_line))
    assert not other_line.written.startswith(b"HTTP/1.1 429 ")
    assert front.connections == {"2001:db8:1:2::/64": 1} and front.total == 0
