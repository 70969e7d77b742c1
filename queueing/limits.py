"""Limits the hall service's ASGI app applies before any handler runs (issue 14, finding 3 and 9).

- :class:`BodyLimit`: every request body is capped before it is read. A declared
  ``Content-Length`` over the cap is refused at once; a chunked body is counted as it arrives and
  refused the moment it passes the cap, so nothing past the cap is ever held in memory (a 1 GB
  chunked POST took the service to 3.1 GB). The whole body must also arrive within
  ``body_timeout_s`` (a trickled body is a slow-loris too). Answers: 413/408 with the API's error
  shape and ``Connection: close``.
- :class:`PublicRateLimit`: a token bucket per client address on the citizens' phone routes
  (``/t/ /a/ /g/ /c/ /api/v1/public/``), which need no token: over the rate a clean 429 with
  ``Retry-After``. Staff and device routes carry bearer tokens and are not limited here.

The socket-level limits (head timeout, connection cap, TLS) are ``queueing.server``'s."""

from __future__ import annotations

import asyncio
import json
import math
import re
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass, field
from typing import Any

from common.i18n import translate
from queueing.codes import HallCode

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

KIB = 1024
PUBLIC_PREFIXES = ("/t/", "/a/", "/g/", "/c/", "/api/v1/public/")


@dataclass(frozen=True)
class BodyCaps:
    default: int = 64 * KIB
    #: (path regex, cap): the first match wins
    paths: tuple[tuple[str, int], ...] = (
        (r"^/api/v1/appointments$", 2048 * KIB),  # a day's appointments pushed at once
        (r"^/t/[^/]+/rate$", 16 * KIB),  # the phone's rating form is a few hundred bytes
        (r"^/api/v1/fleet/heartbeat$", 8 * KIB),  # a machine's heartbeat is under 1 KiB
    )
    body_timeout_s: float = 30.0

    def cap(self, path: str) -> int:
        for pattern, cap in self.paths:
            if re.match(pattern, path):
                return cap
        return self.default


@dataclass(frozen=True)
class PublicRate:
    per_second: float = 2.0
    burst: int = 60
    clients: int = 10_000  # addresses remembered; the longest idle is forgotten first


async def _answer(send: Send, status: int, code: HallCode, message: str, **headers: str) -> None:
    body = json.dumps({"error": {"code": code, "message": message}}, ensure_ascii=False).encode()
    raw = [(b"content-type", b"application/json; charset=utf-8"), (b"content-length", str(len(body)).encode())]
    raw += [(k.replace("_", "-").encode(), v.encode()) for k, v in headers.items()]
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": body})


def _header(scope: Scope, name: bytes) -> bytes | None:
    for k, v in scope.get("headers", ()):
        if k == name:
            return bytes(v)
    return None


class BodyLimit:
    def __init__(self, app: ASGIApp, caps: BodyCaps | None = None) -> None:
        self.app, self.caps = app, caps or BodyCaps()
        self._caps: dict[str, int] = {}  # path → cap: the regexes cost 2 % of a request (issue 16)

    def _cap(self, path: str) -> int:
        cap = self._caps.get(path)
        if cap is None:
            if len(self._caps) >= 1024:  # the paths are the clients': a bounded memo
                self._caps.clear()
            cap = self._caps[path] = self.caps.cap(path)
        return cap

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        cap = self._cap(scope["path"])
        length = _header(scope, b"content-length")
        chunked = b"chunked" in (_header(scope, b"transfer-encoding") or b"").lower()
        if length is None and not chunked:
            await self.app(scope, receive, send)  # no body (GET, SSE): nothing to read
            return
        if length is not None and (not length.isdigit() or int(length) > cap):
            await _answer(send, 413, HallCode.PAYLOAD_TOO_LARGE, f"the body may have at most {cap} bytes",
                          connection="close")
            return
        body = bytearray()
        try:
            # one deadline for the whole body: a timer handle, not a task per message (wait_for's:
            # 2 % of a hot request, issue 16)
            async with asyncio.timeout(self.caps.body_timeout_s):
                while True:
                    message = await receive()
                    if message["type"] != "http.request":
                        return  # the client went away
                    body += message.get("body", b"")
                    if len(body) > cap or not message.get("more_body", False):
                        break
        except TimeoutError:
            await _answer(send, 408, HallCode.HTTP_ERROR, "the body did not arrive in time", connection="close")
            return
        if len(body) > cap:
            await _answer(send, 413, HallCode.PAYLOAD_TOO_LARGE, f"the body may have at most {cap} bytes",
                          connection="close")
            return
        messages: list[Message] = [{"type": "http.request", "body": bytes(body), "more_body": False}]

        async def replay() -> Message:
            return messages.pop() if messages else await receive()

        await self.app(scope, replay, send)


@dataclass
class _Bucket:
    tokens: float
    at: float = field(default_factory=time.monotonic)


class PublicRateLimit:
    def __init__(self, app: ASGIApp, rate: PublicRate | None = None) -> None:
        self.app, self.rate = app, rate or PublicRate()
        self._buckets: OrderedDict[str, _Bucket] = OrderedDict()

    def _retry_after(self, client: str) -> int:
        """0 when ``client`` may go on, else the seconds until it may."""
        now, rate = time.monotonic(), self.rate
        b = self._buckets.pop(client, None) or _Bucket(float(rate.burst), now)
        b.tokens = min(float(rate.burst), b.tokens + (now - b.at) * rate.per_second)
        b.at = now
        self._buckets[client] = b  # most recent last
        while len(self._buckets) > rate.clients:
            self._buckets.popitem(last=False)
        if b.tokens >= 1.0:
            b.tokens -= 1.0
            return 0
        return max(1, math.ceil((1.0 - b.tokens) / rate.per_second))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"].startswith(PUBLIC_PREFIXES):
            client = (scope.get("client") or ("?", 0))[0]
            wait = self._retry_after(str(client))
            if wait:
                lang = "en" if b"lang=en" in scope.get("query_string", b"") else "zh"
                await _answer(send, 429, HallCode.RATE_LIMITED, translate(lang, "phone.limit.too_many"),
                              retry_after=str(wait))
                return
        await self.app(scope, receive, send)
