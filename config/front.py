"""The front server: reads each request in full before gunicorn spends a thread on it.

    python -m config.front        # listens on BIND (HOST:PORT), runs gunicorn behind it

gunicorn's threads (WEB_CONCURRENCY x WEB_THREADS) each serve one request from its first
byte to its last: a client that sends its headers, or its body, slowly holds a thread for
as long as it likes, and a few dozen such sockets freeze the API. This asyncio server
sits in front, costing a socket and a few kB per waiting client instead of a thread:

- headers must arrive within FRONT_HEADER_TIMEOUT seconds and the body within
  FRONT_BODY_TIMEOUT (408 otherwise); an idle kept-alive connection is closed after
  WEB_KEEPALIVE seconds;
- at most FRONT_MAX_CONNECTIONS_PER_ADDRESS open connections per client address (429; an
  IPv6 client counts as its /64, as the API's own limits count it)
  and FRONT_MAX_CONNECTIONS in all (503);
- a chunked body is decoded here and passed on with a Content-Length, so the
  application reads it like any other (it used to read it as empty);
- the limits gunicorn would answer with HTML (414 request line, 431 headers, 400 bad
  request line) are checked here, stricter than gunicorn's, and answered in the API's
  JSON error shape, as are 413, 408, 502/503/504;
- only a complete request is passed to gunicorn (over loopback, one connection per
  request, with the client's address in a PROXY protocol line, so REMOTE_ADDR is the
  client's); the answer is read in full before it is written back, so a client that
  reads slowly holds no gunicorn thread either.

HTTP parsing is h11's (python-hyper), not ours. If gunicorn exits, so does this process,
with its code: the launcher (or the container's restart policy) starts both again.
"""

from __future__ import annotations

import asyncio
import ctypes
import json
import logging
import os
import signal
import socket
import subprocess
import sys
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import h11

from web.core.error_shape import error_shape
from web.core.network import client_network

ROOT = Path(__file__).resolve().parent.parent
log = logging.getLogger("mash.front")
# Answers the front server gives itself get the request line the application logs for its own.
request_log = logging.getLogger("mash.request")

# gunicorn's own limits are 4094 (request line), 8190 (one header line), 100 (headers):
# ours are at most those, so gunicorn never answers a request we passed on with its HTML.
MAX_REQUEST_LINE = 4094
MAX_HEADER_LINE = 8190
MAX_HEADERS = 100
MAX_HEAD_BYTES = 32 * 1024
# Headers about one hop: not passed on (the front sets its own framing).
_HOP_BY_HOP = frozenset(
    b"connection keep-alive proxy-connection te trailer transfer-encoding upgrade expect content-length".split()
)
_READ_SIZE = 64 * 1024


def _env_float(name: str, default: float) -> float:
    return float(os.environ.get(name) or default)


def _env_int(name: str, default: int) -> int:
    return int(os.environ.get(name) or default)


@dataclass(frozen=True)
class FrontSettings:
    header_timeout: float = 10.0
    body_timeout: float = 30.0
    keepalive_timeout: float = 75.0
    upstream_timeout: float = 60.0
    send_timeout: float = 30.0
    max_connections: int = 2048
    max_connections_per_address: int = 64
    max_body_bytes: int = 1024 * 1024

    @classmethod
    def from_env(cls) -> FrontSettings:
        return cls(
            header_timeout=_env_float("FRONT_HEADER_TIMEOUT", cls.header_timeout),
            body_timeout=_env_float("FRONT_BODY_TIMEOUT", cls.body_timeout),
            keepalive_timeout=_env_float("WEB_KEEPALIVE", cls.keepalive_timeout),
            upstream_timeout=_env_float("FRONT_UPSTREAM_TIMEOUT", cls.upstream_timeout),
            send_timeout=_env_float("FRONT_SEND_TIMEOUT", cls.send_timeout),
            max_connections=_env_int("FRONT_MAX_CONNECTIONS", cls.max_connections),
            max_connections_per_address=_env_int("FRONT_MAX_CONNECTIONS_PER_ADDRESS", cls.max_connections_per_address),
            max_body_bytes=_env_int("MAX_REQUEST_BODY_BYTES", cls.max_body_bytes),
        )


class Refusal(Exception):
    """An answer the front gives itself, in the JSON error shape; the connection closes after it."""

    def __init__(self, status: int, code: str, message: str, retry_after: int | None = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.retry_after = status, code, message, retry_after


def _error_response(refusal: Refusal, request_id: str) -> tuple[h11.Response, bytes]:
    body = json.dumps(error_shape(refusal.code, refusal.message, request_id=request_id)).encode()
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
        (b"x-request-id", request_id.encode()),
        (b"connection", b"close"),
    ]
    if refusal.retry_after is not None:
        headers.append((b"retry-after", str(refusal.retry_after).encode()))
    return h11.Response(status_code=refusal.status, headers=headers), body


_REASONS = {400: b"Bad Request", 408: b"Request Timeout", 411: b"Length Required", 413: b"Content Too Large",
            414: b"URI Too Long", 429: b"Too Many Requests", 431: b"Request Header Fields Too Large",
            501: b"Not Implemented", 502: b"Bad Gateway", 503: b"Service Unavailable", 504: b"Gateway Timeout"}


@dataclass
class Front:
    settings: FrontSettings
    upstream: tuple[str, int]
    connections: Counter[str] = field(default_factory=Counter)
    total: int = 0

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        peer = writer.get_extra_info("peername") or ("unknown", 0)
        address = client_network(str(peer[0]))
        limit = self.settings.max_connections_per_address
        refusal = None
        if self.total >= self.settings.max_connections:
            refusal = Refusal(503, "service_unavailable", "Too many open connections, retry shortly.", 1)
        elif limit and self.connections[address] >= limit:
            refusal = Refusal(429, "rate_limited", f"At most {limit} open connections per client address.", 1)
        if refusal is not None:
            writer.write(_error_bytes(*_error_response(refusal, uuid.uuid4().hex)))
            await _close(writer)
            return
        self.total += 1
        self.connections[address] += 1
        try:
            await Connection(self, reader, writer, peer).serve()
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        except Exception:
            log.exception("front connection failed")
        finally:
            self.total -= 1
            self.connections[address] -= 1
            if self.connections[address] <= 0:
                del self.connections[address]
            await _close(writer)


async def _close(writer: asyncio.StreamWriter) -> None:
    try:
        writer.close()
        await asyncio.wait_for(writer.wait_closed(), 1)
    except (TimeoutError, OSError):
        pass


class Connection:
    """One client connection: requests one after another (keep-alive), each read in full."""

    def __init__(self, front: Front, reader: asyncio.StreamReader, writer: asyncio.StreamWriter,
                 peer: tuple) -> None:
        self.front, self.reader, self.writer, self.peer = front, reader, writer, peer
        self.settings = front.settings
        self.h11 = h11.Connection(h11.SERVER, max_incomplete_event_size=MAX_HEAD_BYTES)

    async def serve(self) -> None:
        first = True
        while True:
            request_id = uuid.uuid4().hex
            request: h11.Request | None = None
            started = asyncio.get_running_loop().time()
            try:
                request = await self._read_head(first)
                if request is None:
                    return  # the client closed, or stayed idle past the keep-alive
                request_id = _request_id(request) or request_id
                body = await self._read_body(request)
                response, payload = await self._forward(request, body)
            except Refusal as refusal:
                request_log.info("request", extra={
                    "request_id": request_id,
                    "method": request.method.decode("latin-1") if request else None,
                    "path": request.target.decode("latin-1").split("?", 1)[0][:256] if request else None,
                    "status": refusal.status,
                    "duration_ms": round((asyncio.get_running_loop().time() - started) * 1000, 2),
                    "user_id": None,
                })
                await self._refuse(refusal, request_id)
                return
            await self._send(response, payload)
            if self.h11.our_state is h11.MUST_CLOSE or self.h11.their_state is h11.MUST_CLOSE:
                return
            try:
                self.h11.start_next_cycle()
            except h11.LocalProtocolError:
                return
            first = False

    async def _receive(self, deadline: float) -> bytes:
        remaining = deadline - asyncio.get_running_loop().time()
        if remaining <= 0:
            raise TimeoutError
        return await asyncio.wait_for(self.reader.read(_READ_SIZE), remaining)

    async def _read_head(self, first: bool) -> h11.Request | None:
        loop = asyncio.get_running_loop()
        head = b""
        deadline = loop.time() + self.settings.header_timeout
        if not first:  # kept alive: wait idle for the next request, then time its head
            event = self.h11.next_event()
            if event is h11.NEED_DATA and not self.h11.trailing_data[0]:
                try:
                    data = await asyncio.wait_for(self.reader.read(_READ_SIZE), self.settings.keepalive_timeout)
                except TimeoutError:
                    return None
                if not data:
                    return None
                head += data
                self.h11.receive_data(data)
                deadline = loop.time() + self.settings.header_timeout
            elif isinstance(event, h11.Request):
                _check_headers(event)
                return event
        while True:
            _check_request_line(head)
            try:
                event = self.h11.next_event()
            except h11.RemoteProtocolError as exc:
                raise _protocol_refusal(exc, head) from None
            if isinstance(event, h11.Request):
                _check_headers(event)
                return event
            if event is h11.PAUSED or isinstance(event, h11.ConnectionClosed):
                return None
            try:
                data = await self._receive(deadline)
            except TimeoutError:
                if not head:
                    return None  # an idle connection that never sent a byte: just close it
                message = f"The request headers did not arrive within {self.settings.header_timeout:g} s."
                raise Refusal(408, "request_timeout", message) from None
            if not data and not head:
                return None
            head += data
            self.h11.receive_data(data)

    async def _read_body(self, request: h11.Request) -> bytes:
        limit = self.settings.max_body_bytes
        length = _header(request, b"content-length")
        if length is not None and length.isdigit() and int(length) > limit:
            raise Refusal(413, "request_too_large", f"The request body may be at most {limit} bytes.")
        if self.h11.they_are_waiting_for_100_continue:
            await self._write(self.h11.send(h11.InformationalResponse(status_code=100, headers=[])))
        deadline = asyncio.get_running_loop().time() + self.settings.body_timeout
        chunks: list[bytes] = []
        size = 0
        while True:
            try:
                event = self.h11.next_event()
            except h11.RemoteProtocolError as exc:
                raise Refusal(400, "bad_request", f"Malformed request body: {exc}.") from None
            if isinstance(event, h11.Data):
                size += len(event.data)
                if size > limit:
                    raise Refusal(413, "request_too_large", f"The request body may be at most {limit} bytes.")
                chunks.append(bytes(event.data))
            elif isinstance(event, h11.EndOfMessage):
                return b"".join(chunks)
            elif isinstance(event, h11.ConnectionClosed):
                raise ConnectionError("closed mid-body")
            elif event is h11.NEED_DATA:
                try:
                    data = await self._receive(deadline)
                except TimeoutError:
                    raise Refusal(408, "request_timeout",
                                  f"The request body did not arrive within {self.settings.body_timeout:g} s.") from None
                self.h11.receive_data(data)

    async def _forward(self, request: h11.Request, body: bytes) -> tuple[h11.Response, bytes]:
        """Pass the whole request to gunicorn; return its whole answer."""
        headers = [(name, value) for name, value in request.headers.raw_items() if name.lower() not in _HOP_BY_HOP]
        if body or request.method not in (b"GET", b"HEAD", b"DELETE", b"OPTIONS"):
            headers.append((b"Content-Length", str(len(body)).encode()))
        headers.append((b"Connection", b"close"))
        head = b"%s %s HTTP/1.1\r\n" % (request.method, request.target)
        head += b"".join(name + b": " + value + b"\r\n" for name, value in headers)
        upstream = h11.Connection(h11.CLIENT)
        # h11 reads the answer (it must know a HEAD's has no body); the request bytes are ours.
        upstream.send(h11.Request(method=request.method, target=request.target,
                                  headers=[(b"host", _header(request, b"host") or b"localhost")]))
        upstream.send(h11.EndOfMessage())
        try:
            reader, writer = await asyncio.wait_for(asyncio.open_connection(*self.front.upstream), 5)
        except (TimeoutError, OSError):
            message = "The application server is not ready, retry shortly."
            raise Refusal(503, "service_unavailable", message, 5) from None
        try:
            writer.write(self._proxy_line() + head + b"\r\n" + body)
            await writer.drain()
            return await asyncio.wait_for(self._read_upstream(reader, upstream), self.settings.upstream_timeout)
        except TimeoutError:
            raise Refusal(504, "gateway_timeout", "The application did not answer in time.") from None
        except (OSError, h11.ProtocolError):
            raise Refusal(502, "bad_gateway", "The application server closed the connection.") from None
        finally:
            await _close(writer)

    async def _read_upstream(self, reader: asyncio.StreamReader,
                             upstream: h11.Connection) -> tuple[h11.Response, bytes]:
        response: h11.Response | None = None
        chunks: list[bytes] = []
        while True:
            event = upstream.next_event()
            if event is h11.NEED_DATA:
                upstream.receive_data(await reader.read(_READ_SIZE))
            elif isinstance(event, h11.Response):
                response = event
            elif isinstance(event, h11.Data):
                chunks.append(bytes(event.data))
            elif isinstance(event, (h11.EndOfMessage, h11.ConnectionClosed)):
                break
        if response is None:
            raise OSError("no response")
        headers = [(name, value) for name, value in response.headers.raw_items()
                   if name.lower() not in _HOP_BY_HOP or name.lower() == b"content-length"]
        return h11.Response(status_code=response.status_code, headers=headers, reason=response.reason), b"".join(chunks)

    def _proxy_line(self) -> bytes:
        """PROXY protocol v1: gunicorn sets REMOTE_ADDR to the client's address from it."""
        local = self.writer.get_extra_info("sockname") or ("127.0.0.1", 0)
        client = self.peer
        family = "TCP6" if ":" in str(client[0]) else "TCP4"
        if ":" in str(local[0]) and family == "TCP4" or ":" not in str(local[0]) and family == "TCP6":
            local = ("::" if family == "TCP6" else "0.0.0.0", local[1])
        return f"PROXY {family} {client[0]} {local[0]} {client[1]} {local[1]}\r\n".encode()

    async def _send(self, response: h11.Response, payload: bytes) -> None:
        if self.h11.our_state is not h11.SEND_RESPONSE:
            return
        try:
            data = self.h11.send(response)
            if payload and response.status_code not in (204, 304):
                data += self.h11.send(h11.Data(data=payload))
            data += self.h11.send(h11.EndOfMessage())
        except h11.LocalProtocolError:
            data = b""  # e.g. a body on an answer to HEAD: h11 drops it itself
        await self._write(data)

    async def _refuse(self, refusal: Refusal, request_id: str) -> None:
        response, body = _error_response(refusal, request_id)
        if self.h11.our_state is h11.SEND_RESPONSE:
            await self._send(response, body)
        else:  # h11 answers no request it could not parse: the bytes are ours
            await self._write(_error_bytes(response, body))

    async def _write(self, data: bytes) -> None:
        if not data:
            return
        self.writer.write(data)
        await asyncio.wait_for(self.writer.drain(), self.settings.send_timeout)


def _error_bytes(response: h11.Response, body: bytes) -> bytes:
    """An answer written without h11's state machine (before or instead of a parsed request)."""
    reason = _REASONS.get(response.status_code, b"Error")
    head = b"HTTP/1.1 %d %s\r\n" % (response.status_code, reason)
    head += b"".join(name + b": " + value + b"\r\n" for name, value in response.headers.raw_items())
    return head + b"\r\n" + body


def _header(request: h11.Request, name: bytes) -> bytes | None:
    for key, value in request.headers:
        if key == name:
            return bytes(value)
    return None


def _request_id(request: h11.Request) -> str | None:
    value = _header(request, b"x-request-id")
    if value and len(value) <= 64 and all(chr(c).isalnum() or chr(c) in "._-" for c in value):
        return value.decode()
    return None


def _check_request_line(head: bytes) -> None:
    end = head.find(b"\n")
    if (end == -1 and len(head) > MAX_REQUEST_LINE) or end > MAX_REQUEST_LINE + 1:
        raise Refusal(414, "uri_too_long", f"The request line may be at most {MAX_REQUEST_LINE} bytes.")


def _check_headers(request: h11.Request) -> None:
    items = request.headers.raw_items()
    if len(items) > MAX_HEADERS:
        raise Refusal(431, "headers_too_large", f"At most {MAX_HEADERS} request headers.")
    for name, value in items:
        if len(name) + 2 + len(value) > MAX_HEADER_LINE:
            raise Refusal(431, "headers_too_large",
                          f"A request header may be at most {MAX_HEADER_LINE} bytes ({name.decode()[:64]}).")
    encoding = _header(request, b"transfer-encoding")
    if encoding is not None and encoding.lower() != b"chunked":
        raise Refusal(501, "not_implemented", "Only the chunked transfer coding is supported.")


def _protocol_refusal(exc: h11.RemoteProtocolError, head: bytes) -> Refusal:
    if exc.error_status_hint == 431 or len(head) > MAX_HEAD_BYTES:
        return Refusal(431, "headers_too_large", f"The request headers may be at most {MAX_HEAD_BYTES} bytes.")
    if exc.error_status_hint == 501:  # a transfer coding other than chunked
        return Refusal(501, "not_implemented", "Only the chunked transfer coding is supported.")
    return Refusal(400, "bad_request", f"Malformed request: {exc}.")


# --- the process -------------------------------------------------------------------


def _die_with_parent() -> None:
    """gunicorn gets SIGTERM should this process be killed outright (Linux' PR_SET_PDEATHSIG),
    so a restarted front never leaves an orphaned gunicorn behind."""
    try:
        ctypes.CDLL(None).prctl(1, signal.SIGTERM)
    except (OSError, AttributeError):
        pass  # not Linux: the orphan exits when its workers next find the master gone


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _bind() -> tuple[str, int]:
    bind = os.environ.get("BIND") or f"{os.environ.get('HOST', '127.0.0.1')}:{os.environ.get('PORT', '8000')}"
    host, _, port = bind.rpartition(":")
    return host.strip("[]") or "0.0.0.0", int(port)


async def serve(settings: FrontSettings, bind: tuple[str, int], upstream: tuple[str, int],
                app: subprocess.Popen[bytes] | None = None) -> int:
    """Serve until SIGTERM/SIGINT or until the application server exits; returns the exit code."""
    front = Front(settings, upstream)
    server = await asyncio.start_server(front.handle, *bind, backlog=1024, reuse_address=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    log.info("front listening on %s:%s, application on %s:%s", *bind, *upstream)
    code = 0
    async with server:
        while not stop.is_set():
            if app is not None and app.poll() is not None:
                log.error("application server exited with code %s", app.returncode)
                code = app.returncode or 1
                break
            try:
                await asyncio.wait_for(stop.wait(), 0.5)
            except TimeoutError:
                pass
    return code


def main() -> int:
    # Imported here: only the process needs the log set-up (and so the settings' env).
    from config.env import log_format
    from web.core.logging import ConsoleFormatter, JsonFormatter

    handler = logging.StreamHandler()
    handler.setFormatter(ConsoleFormatter() if log_format() == "console" else JsonFormatter())
    logging.basicConfig(level=logging.INFO, handlers=[handler])
    upstream = ("127.0.0.1", int(os.environ.get("UPSTREAM_PORT") or _free_port()))
    # gunicorn on loopback only, trusting the PROXY line from this process for REMOTE_ADDR.
    env = {**os.environ, "BIND": f"{upstream[0]}:{upstream[1]}", "PROXY_PROTOCOL": "1"}
    app = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "config.wsgi:application", "-c", "config/gunicorn.conf.py"],
        cwd=ROOT, env=env, preexec_fn=_die_with_parent,
    )
    try:
        return asyncio.run(serve(FrontSettings.from_env(), _bind(), upstream, app))
    finally:
        if app.poll() is None:
            app.terminate()
            try:
                app.wait(15)
            except subprocess.TimeoutExpired:
                app.kill()


if __name__ == "__main__":
    sys.exit(main())
