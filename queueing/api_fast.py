"""A fast lane for the hall service's hot POST routes (issue 16): issuing a ticket and the counter
operations of a life cycle (call-next, recall, start, finish, no-show).

FastAPI's request path (its exception and exit-stack layers, the linear route scan, dependency
solving, ``email.message`` content-type parsing, ``Request.body``) cost about half of the main
thread's CPU per request, and their middleware layers another 8 %. This pure-ASGI layer sits in
front of the whole FastAPI app (``server.new_server`` serves ``app.state.front``); a hot
request goes through the same body cap (``queueing.limits.BodyLimit``, so 413/408 stay as they
were) and is answered here only when everything is ordinary: an exact hot path,
``Content-Type: application/json`` (or no body where the route's body is optional), and a body
the route's own pydantic model accepts (``model_validate_json``). Then it runs the same
authorisation (``admit``) and the same handler the FastAPI route calls, and sends the same
``Response`` (an unexpected exception: the 500 Starlette's ``ServerErrorMiddleware`` sent, raised
on to uvicorn's log). Every other request — an unknown path, another method, any invalid or
unusual body — goes to the FastAPI app unchanged, with its buffered body, so every error answer
stays FastAPI's own."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ValidationError
from starlette.responses import PlainTextResponse, Response

from queueing.limits import ASGIApp, BodyCaps, BodyLimit, Message, Receive, Scope, Send
from queueing.model import QueueError

COUNTERS = "/api/v1/counters/"

#: (counter id or None, the validated body or None) → the answer
Handler = Callable[[Any, Any], Awaitable[Response]]
#: (authorization header, x-hall-session header, counter id of the path, roles) → the role
Admit = Callable[[str | None, str | None, str | None, tuple[str, ...]], str]
#: a refusal as the API answers it
Refusal = Callable[[QueueError], Response]


@dataclass(frozen=True)
class HotRoute:
    body: type[BaseModel]
    optional: bool  # the body may be left out (``body: X | None = None``)
    roles: tuple[str, ...]
    handler: Handler


class HotRoutes:
    """The table the lane answers from, filled by ``create_app`` next to the FastAPI routes."""

    def __init__(self) -> None:
        self.exact: dict[str, HotRoute] = {}
        self.counter_ops: dict[str, HotRoute] = {}  # /api/v1/counters/{counter_id}/<op>
        self.admit: Admit | None = None
        self.refusal: Refusal | None = None

    def find(self, path: str) -> tuple[HotRoute | None, str | None]:
        route = self.exact.get(path)
        if route is not None:
            return route, None
        if path.startswith(COUNTERS):
            counter_id, _, op = path[len(COUNTERS):].partition("/")
            if counter_id and "/" not in op:
                return self.counter_ops.get(op), counter_id
        return None, None


def _headers(scope: Scope) -> tuple[bytes | None, str | None, str | None]:
    content_type = authorization = session = None
    for k, v in scope["headers"]:  # first one wins, as in Starlette's Headers.get
        if k == b"content-type":
            content_type = content_type if content_type is not None else bytes(v)
        elif k == b"authorization":
            authorization = authorization if authorization is not None else bytes(v).decode("latin-1")
        elif k == b"x-hall-session":
            session = session if session is not None else bytes(v).decode("latin-1")
    return content_type, authorization, session


class FastLane:
    def __init__(self, app: ASGIApp, routes: HotRoutes, caps: BodyCaps | None = None) -> None:
        self.app, self.routes = app, routes
        self._capped = BodyLimit(self._hot, caps)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "POST" and not scope.get("root_path"):
            route, counter_id = self.routes.find(scope["path"])
            if route is not None:
                scope["hall.hot"] = route, counter_id
                await self._capped(scope, receive, send)
                return
        await self.app(scope, receive, send)

    async def _hot(self, scope: Scope, receive: Receive, send: Send) -> None:
        route, counter_id = scope.pop("hall.hot")
        chunks, more = [], True
        while more:  # one message: the body cap in front has buffered it
            message = await receive()
            if message["type"] != "http.request":
                return  # the client went away
            chunks.append(message.get("body", b""))
            more = message.get("more_body", False)
        body = b"".join(chunks)
        content_type, authorization, session = _headers(scope)
        value: BaseModel | None = None
        if body:
            if content_type is None or content_type.lower() != b"application/json":
                value = None
            else:
                try:
                    value = route.body.model_validate_json(body)
                except ValidationError:
                    value = None
            if value is None:
                await self._hand_off(scope, body, receive, send)
                return
        elif not route.optional:
            await self._hand_off(scope, body, receive, send)
            return
        assert self.routes.admit is not None and self.routes.refusal is not None
        try:
            self.routes.admit(authorization, session, counter_id, route.roles)
            response = await route.handler(counter_id, value)
        except QueueError as exc:
            response = self.routes.refusal(exc)
        except Exception:
            await PlainTextResponse("Internal Server Error", status_code=500)(scope, receive, send)
            raise
        await response(scope, receive, send)

    async def _hand_off(self, scope: Scope, body: bytes, receive: Receive, send: Send) -> None:
        replay: list[Message] = [{"type": "http.request", "body": body, "more_body": False}]

        async def again() -> Message:
            return replay.pop() if replay else await receive()

        await self.app(scope, again, send)
