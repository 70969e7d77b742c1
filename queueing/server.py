"""The hall service's listening socket: uvicorn set up with TLS and the connection limits.

Owns what happens before a request reaches the ASGI app (body caps and rate limits are the app's
side, ``queueing.limits``):

- **TLS** from ``--tls-cert/--tls-key`` (TLS 1.2 or newer); the handshake must finish within the
  head timeout (asyncio's default is 60 s).
- **Head timeout**: a connection that has not sent a complete request head within
  ``head_timeout`` seconds of connecting (or of its previous answer) is closed. uvicorn's
  ``timeout_keep_alive`` only starts after an answer and stops at the first byte, so a silent
  or trickling client kept its socket forever (issue 14: ~1,100 idle connections took the
  service off the LAN under systemd's 1,024 open files).
- **Connection cap**: at most ``max_connections`` connections. A new one over the cap closes the
  longest-waiting connection that is between requests; when every one is busy (event streams,
  requests in progress) the newcomer gets a clean ``503`` with ``Retry-After``. The default cap
  stays under the process's open-files limit, so ``accept()`` never fails with EMFILE.

TLS connections are counted from the end of their handshake; one that never completes it is
dropped by the handshake timeout (and the units raise ``LimitNOFILE``)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import resource
import socket
import ssl
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, ClassVar

import uvicorn
from fastapi import FastAPI
from uvicorn.protocols.http.h11_impl import H11Protocol

try:
    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
except ImportError:  # httptools missing: h11
    HttpToolsProtocol = None  # type: ignore[assignment,misc]

log = logging.getLogger(__name__)

HEAD_TIMEOUT_S = 10.0
MAX_HEAD_BYTES = 16 * 1024  # a request head of more than 16 KiB is an attack
KEEP_ALIVE_S = 5
# Open files the process keeps besides connections: SQLite files, logs, the loop, threads' pipes.
_RESERVED_FILES = 100
ACCEPT_BURST = 64  # connections accepted per wake-up (and the listen queue): < _RESERVED_FILES


def default_max_connections() -> int:
    """What the open-files limit leaves for connections (at most 4,000)."""
    soft, _hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY:
        return 4000
    return max(16, min(4000, soft - _RESERVED_FILES))


@dataclass(frozen=True)
class ServerLimits:
    head_timeout_s: float = HEAD_TIMEOUT_S
    max_connections: int = 0  # 0: default_max_connections()

    def connections(self) -> int:
        return self.max_connections or default_max_connections()


@dataclass(frozen=True)
class TlsFiles:
    cert: str
    key: str


_BUSY = b'{"error": {"code": "http_error", "message": "too many connections: try again shortly"}}'


async def _busy(scope: Any, receive: Any, send: Any) -> None:
    """The ASGI app of a connection over the cap: a clean 503 once its request head is read."""
    await send({"type": "http.response.start", "status": 503, "headers": [
        (b"content-type", b"application/json"), (b"content-length", str(len(_BUSY)).encode()),
        (b"retry-after", b"5"), (b"connection", b"close")]})
    await send({"type": "http.response.body", "body": _BUSY})


class _Guard:
    """Shared by every connection of one server: who waits for a request head, oldest first."""

    def __init__(self, limits: ServerLimits) -> None:
        self.head_timeout = limits.head_timeout_s
        self.cap = limits.connections()
        self.open = 0
        self.waiting: OrderedDict[_Guarded, None] = OrderedDict()


class _Corked(asyncio.Transport):
    """A connection's transport whose writes of one event-loop step leave in one ``send``.

    uvicorn writes a response's head and its body separately, and asyncio sends each at once:
    two system calls, two TCP segments and two wake-ups of the client per answer (issue 16's
    profile: 12 % of the hall service's samples in ``transport.write``). Here the writes of one
    step wait in a buffer that a ``call_soon`` hands to the real transport; closing, aborting or
    ending the stream sends what waits first, so nothing is reordered or lost."""

    def __init__(self, inner: asyncio.Transport, loop: asyncio.AbstractEventLoop) -> None:
        super().__init__()
        self._inner, self._loop = inner, loop
        self._held: list[bytes] = []

    def _flush(self) -> None:
        held, self._held = self._held, []
        if held and not self._inner.is_closing():
            self._inner.write(held[0] if len(held) == 1 else b"".join(held))

    def write(self, data: bytes | bytearray | memoryview) -> None:
        if not data:
            return
        if not self._held:
            self._loop.call_soon(self._flush)
        self._held.append(bytes(data))

    def writelines(self, list_of_data: Iterable[bytes | bytearray | memoryview]) -> None:
        for data in list_of_data:
            self.write(data)

    def close(self) -> None:
        self._flush()
        self._inner.close()

    def abort(self) -> None:
        self._held = []
        self._inner.abort()

    def write_eof(self) -> None:
        self._flush()
        self._inner.write_eof()

    def can_write_eof(self) -> bool:
        return self._inner.can_write_eof()

    def is_closing(self) -> bool:
        return self._inner.is_closing()

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return self._inner.get_extra_info(name, default)

    def pause_reading(self) -> None:
        self._inner.pause_reading()

    def resume_reading(self) -> None:
        self._inner.resume_reading()

    def is_reading(self) -> bool:
        return self._inner.is_reading()

    def set_protocol(self, protocol: asyncio.BaseProtocol) -> None:
        self._inner.set_protocol(protocol)

    def get_protocol(self) -> asyncio.BaseProtocol:
        return self._inner.get_protocol()

    def get_write_buffer_size(self) -> int:
        return self._inner.get_write_buffer_size() + sum(map(len, self._held))

    def get_write_buffer_limits(self) -> tuple[int, int]:
        return self._inner.get_write_buffer_limits()

    def set_write_buffer_limits(self, high: int | None = None, low: int | None = None) -> None:
        self._inner.set_write_buffer_limits(high, low)


class _Guarded:
    """The head timeout, head size cap and connection cap, mixed into either uvicorn protocol
    (they share ``cycle``, ``app``, ``loop``, ``transport`` and the hooks used here)."""

    guard: ClassVar[_Guard]
    cycle: Any
    app: Any
    loop: asyncio.AbstractEventLoop
    transport: asyncio.Transport

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._head_timer: asyncio.TimerHandle | None = None
        self._counted = False
        self._head_bytes = 0

    # -- waiting for a request head
    def _await_head(self) -> None:
        if self._head_timer is None:
            self._head_timer = self.loop.call_later(self.guard.head_timeout, self._head_timed_out)
        self.guard.waiting[self] = None
        self._head_bytes = 0

    def _got_head(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None
        self.guard.waiting.pop(self, None)

    def _head_timed_out(self) -> None:
        self._head_timer = None
        self.guard.waiting.pop(self, None)
        if not self.transport.is_closing():
            self.transport.close()

    # -- asyncio.Protocol
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        super().connection_made(_Corked(transport, self.loop))  # type: ignore[misc]
        guard = self.guard
        while guard.open >= guard.cap and guard.waiting:
            oldest, _ = guard.waiting.popitem(last=False)
            oldest._head_timed_out()
            guard.open -= 1
            oldest._counted = False
        if guard.open >= guard.cap:
            # Every connection is busy. Answer this one's request properly (the parser reads it,
            # then a 503 and close) rather than resetting it unread; the head timeout still applies.
            log.warning("connection cap reached: answering 503", extra={"ctx": {"cap": guard.cap}})
            self.app = _busy
            self._head_timer = self.loop.call_later(guard.head_timeout, self._head_timed_out)
            return
        guard.open += 1
        self._counted = True
        self._await_head()

    def connection_lost(self, exc: Exception | None) -> None:
        self._got_head()
        if self._counted:
            self.guard.open -= 1
            self._counted = False
        super().connection_lost(exc)  # type: ignore[misc]

    def data_received(self, data: bytes) -> None:
        before = self.cycle
        waiting = self._head_timer is not None
        super().data_received(data)  # type: ignore[misc]
        if self.cycle is not before:
            self._got_head()
        elif waiting:
            self._head_bytes += len(data)
            if self._head_bytes > MAX_HEAD_BYTES and not self.transport.is_closing():
                log.warning("request head over %d bytes: connection closed", MAX_HEAD_BYTES)
                self._got_head()
                self.transport.close()

    def on_response_complete(self) -> None:
        before = self.cycle
        super().on_response_complete()  # type: ignore[misc]
        # no pipelined request started: the connection waits for its next head
        if self.cycle is before and not self.transport.is_closing():
            self._await_head()


class GuardedH11Protocol(_Guarded, H11Protocol):
    """uvicorn's h11 protocol (pure Python) with the guard: where httptools is not installed."""


class GuardedHttpToolsProtocol(_Guarded, HttpToolsProtocol):
    """uvicorn's httptools protocol (the C parser of Node's llhttp) with the guard: the default.
    h11 cost 18 % of the hall service's interpreter time per request (issue 16's profile)."""


class _HallLoop(asyncio.SelectorEventLoop):
    """The default loop with the TLS handshake held to the head timeout."""

    handshake_timeout: float = HEAD_TIMEOUT_S

    async def create_server(self, *args: Any, **kwargs: Any) -> asyncio.Server:
        if kwargs.get("ssl") is not None:
            kwargs.setdefault("ssl_handshake_timeout", self.handshake_timeout)
        return await super().create_server(*args, **kwargs)


def bind(host: str, port: int) -> socket.socket:
    """A listening TCP socket. proto=IPPROTO_TCP, not 0: asyncio turns Nagle off (TCP_NODELAY)
    only on sockets that say they are TCP, and accepted sockets inherit it; without it every
    keep-alive request waits ~40 ms for the client's delayed ACK (benchmarks/bench_roundtrip.py)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(1024)
    return sock


def new_server(
    app: FastAPI, *, limits: ServerLimits | None = None, tls: TlsFiles | None = None, log_level: str = "warning"
) -> uvicorn.Server:
    limits = limits or ServerLimits()
    base: type[_Guarded] = GuardedHttpToolsProtocol if HttpToolsProtocol is not None else GuardedH11Protocol
    protocol = type("HallHttpProtocol", (base,), {"guard": _Guard(limits)})
    config = uvicorn.Config(
        getattr(app.state, "front", app),  # the hall API's fast lane in front of it (queueing.api_fast)
        http=protocol,
        log_level=log_level,
        access_log=False,
        timeout_graceful_shutdown=2,
        timeout_keep_alive=KEEP_ALIVE_S,
        lifespan="on",
        log_config=None,
        # uvicorn's own 503 (by open connections or running tasks) as a second line behind ours,
        # with room for the newcomers that ours answers (their connections count in uvicorn's)
        limit_concurrency=limits.connections() + 64,
        h11_max_incomplete_event_size=MAX_HEAD_BYTES,
        # asyncio accepts up to `backlog` connections per wake-up before any reaches the cap's
        # connection_made; uvicorn's 2048 let one burst of 1,100 run the process out of files
        # (EMFILE) whenever the loop was slow to wake. 64 stays inside the reserved files.
        backlog=ACCEPT_BURST,
        ssl_certfile=tls.cert if tls else None,
        ssl_keyfile=tls.key if tls else None,
    )
    config.load()
    if config.ssl is not None:
        config.ssl.minimum_version = ssl.TLSVersion.TLSv1_2
    return uvicorn.Server(config)


def serve(server: uvicorn.Server, sock: socket.socket) -> None:
    """Run ``server`` on ``sock`` until it is told to exit (blocks; any thread)."""
    _HallLoop.handshake_timeout = server.config.http_protocol_class.guard.head_timeout  # type: ignore[attr-defined]
    try:
        with asyncio.Runner(loop_factory=_HallLoop) as runner:
            runner.run(server.serve(sockets=[sock]))
    finally:
        with contextlib.suppress(OSError):
            sock.close()
