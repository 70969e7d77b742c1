"""The seam between the hall service's app and the route modules of one feature each.

``queueing/api.py`` builds the app, its auth and the core queue routes; a feature with routes of
its own (cases, SMS, complaints, notices, fleet health…) lives in its own ``queueing/api_<x>.py``
with one ``add_routes(app, ctx)`` function, listed in :data:`queueing.api.ROUTE_MODULES`. The
:class:`RouteContext` hands it what every route needs, so no module reaches into ``create_app``."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from fastapi import FastAPI

    from queueing.credentials import Credentials
    from queueing.engine import QueueEngine
    from queueing.events import EventHub


class StaffTyped(Protocol):
    """A request body that may name a staff member (StaffBody and its kin)."""

    staff_id: str | None


@dataclass(frozen=True)
class RouteContext:
    """What a route module gets from the app: the engine and its one-thread pool, the auth
    markers, and the hall's event hub."""

    engine: QueueEngine
    #: ``await ctx.call(fn, *args)`` runs ``fn`` on the engine's thread (never on the event loop)
    call: Callable[..., Awaitable[Any]]
    pool: ThreadPoolExecutor
    #: ``role: str = ctx.require("admin", "counter")``: the Depends() marker of the roles admitted
    require: Callable[..., Any]
    #: the signed-in staff of this request (or a typed staff_id from a shared token); see api.staff
    staff: Callable[..., str | None]
    hub: EventHub
    keys: Credentials
    track_token: Callable[[str], str]
    #: the hall key (phone-page tokens, queueing/public_tokens.py) and the phone pages' public base URL
    hall_key: str = ""
    public_base: str = ""


AddRoutes = Callable[["FastAPI", RouteContext], None]
log = logging.getLogger(__name__)


def every(app: FastAPI, seconds: float, check: Callable[[], Awaitable[Any]], what: str) -> None:
    """Run ``await check()`` every ``seconds`` while the app serves (started and cancelled with the
    app's lifespan); a failing check is logged as ``what`` and never stops the service."""

    async def loop() -> None:
        while True:
            await asyncio.sleep(seconds)
            try:
                await check()
            except Exception:  # a periodic check must never take the service down
                log.exception("%s failed", what)

    inner = app.router.lifespan_context

    @asynccontextmanager
    async def lifespan(a: Any) -> AsyncIterator[Any]:
        async with inner(a) as state:
            task = asyncio.create_task(loop())
            try:
                yield state
            finally:
                task.cancel()

    app.router.lifespan_context = lifespan
