"""``GET /api/v1/events`` served ahead of the middleware chain (issue 16).

As a FastAPI ``StreamingResponse`` every chunk to every subscriber went through the whole send
chain (the hall's BodyLimit/PublicRateLimit, Starlette's ServerErrorMiddleware and
ExceptionMiddleware, FastAPI's layers, an anyio task group per response) before uvicorn wrote
it: with 50 subscribers that was most of the extra CPU a life cycle cost. :class:`EventStream`
wraps the app's whole middleware stack and answers this one route itself with uvicorn's own
``send``; every other request (and the OpenAPI document, which still describes the route from
its FastAPI declaration) passes through unchanged.

What a subscriber sees is the same: the same status, headers and bytes (the hub's frames), the
same authentication (``Authorization: Bearer`` or ``?token=``, the API's 401 error shape),
``Last-Event-ID`` replay. The stream ends when the client goes away (``http.disconnect``) or the
hub closes."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from urllib.parse import parse_qsl

from queueing.events import EventHub
from queueing.limits import ASGIApp, Receive, Scope, Send
from queueing.model import QueueError

PATH = "/api/v1/events"
HEADERS = [
    (b"content-type", b"text/event-stream; charset=utf-8"),
    (b"cache-control", b"no-cache"),
    (b"x-accel-buffering", b"no"),
]


class EventStream:
    """ASGI: ``GET /api/v1/events`` from ``hub``; anything else to ``app``.

    ``authenticate(authorization, token)`` raises :class:`QueueError` for a refused caller;
    ``refuse(exc)`` is the ASGI app answering it (the API's error response)."""

    def __init__(
        self,
        app: ASGIApp,
        hub: EventHub,
        authenticate: Callable[[str | None, str | None], object],
        refuse: Callable[[QueueError], ASGIApp],
    ) -> None:
        self.app, self.hub, self.authenticate, self.refuse = app, hub, authenticate, refuse

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] != PATH or scope["method"] != "GET":
            await self.app(scope, receive, send)
            return
        authorization = last_event_id = None
        for k, v in scope["headers"]:
            if k == b"authorization":
                authorization = v.decode("latin-1")
            elif k == b"last-event-id":
                last_event_id = v.decode("latin-1")
        token = None
        for k, v in parse_qsl(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True):
            if k == "token":
                token = v  # the last one wins, as FastAPI's query parameter did
        try:
            self.authenticate(authorization, token)
        except QueueError as exc:
            await self.refuse(exc)(scope, receive, send)
            return
        try:
            last = int(last_event_id) if last_event_id else None
        except ValueError:
            last = None
        await send({"type": "http.response.start", "status": 200, "headers": HEADERS})
        pump = asyncio.ensure_future(self._pump(last, send))
        gone = asyncio.ensure_future(self._disconnect(receive))
        try:
            await asyncio.wait((pump, gone), return_when=asyncio.FIRST_COMPLETED)
        finally:
            for t in (pump, gone):
                t.cancel()
            for t in (pump, gone):
                with contextlib.suppress(asyncio.CancelledError):
                    await t
        if pump.done() and not pump.cancelled() and pump.exception() is None and not gone.done():
            await send({"type": "http.response.body", "body": b"", "more_body": False})

    async def _pump(self, last: int | None, send: Send) -> None:
        stream = self.hub.stream(last)
        try:
            async for chunk in stream:
                await send({"type": "http.response.body", "body": chunk, "more_body": True})
        finally:
            await stream.aclose()

    @staticmethod
    async def _disconnect(receive: Receive) -> None:
        while (await receive())["type"] != "http.disconnect":
            pass
