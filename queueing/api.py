"""The hall service's HTTP JSON API (FastAPI; OpenAPI at ``/openapi.json``).

Owns: the contract paths, bearer-token roles (kiosk, counter, display, dashboard, admin; 401 for
a missing, wrong or revoked token, 403 for a wrong role or another counter's device; who holds
which token and staff sessions: ``queueing/credentials.py``), the error shape ``{"error": {"code", "message"}}`` for
every 4xx, and the SSE endpoint. All rules live in the engine; handlers only translate.

Tokens are also accepted as ``?token=`` on ``/api/v1/events`` (a browser's EventSource cannot
set headers), and a ticket can be read without a role token with its own ``?track=`` token
(returned when it is issued), which is what a citizen's phone page uses."""

from __future__ import annotations

import asyncio
import contextvars
import functools
import hashlib
import hmac
import inspect
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from typing import Annotated, Any, Literal

from fastapi import Depends, FastAPI, Header, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse, Response, StreamingResponse
from fastapi.routing import APIRoute
from pydantic import BaseModel, ConfigDict, Field
from pydantic_core import to_json
from starlette.exceptions import HTTPException as StarletteHTTPException

from queueing import alerts as alert_desk
from queueing import api_alerts, api_cases, api_fleet, api_quiet, api_sms, api_sms_cases, api_stats, api_updates
from queueing.api_complaints import add_routes as add_complaint_routes
from queueing.api_fast import FastLane, HotRoute, HotRoutes
from queueing.api_routes import AddRoutes, RouteContext
from queueing.appointment_feed import AppointmentFeed
from queueing.codes import EndReason, HallCode, Outcome, Priority, TicketStatus
from queueing.committer import EngineThread
from queueing.credentials import FOREVER, Caller, Credentials, SignInError, current_caller
from queueing.engine import QueueEngine
from queueing.event_stream import EventStream
from queueing.events import EventHub
from queueing.limits import BodyCaps, BodyLimit, PublicRate, PublicRateLimit
from queueing.model import CounterState, QueueError, Ticket
from queueing.public_pages import PublicPagesConfig, mount_public_pages, public_links
from queueing.receipt_links import report as report_receipt
from queueing.signoff import sign_off
from queueing.validation import FIELD_CODES, RowId, Text, token_matches

log = logging.getLogger(__name__)
API_VERSION = "1"
ANY = ("kiosk", "counter", "display", "admin")
#: the feature route modules' ``add_routes`` (queueing/api_routes.py), added after the core routes
ROUTE_MODULES: tuple[AddRoutes, ...] = (add_complaint_routes, api_sms.add_routes, api_stats.add_routes,
                                           api_fleet.add_routes, api_cases.add_routes, api_alerts.add_routes,
                                           api_updates.add_routes, api_quiet.add_routes,
                                           api_sms_cases.add_routes)


class IssueBody(BaseModel):
    service_id: str | None = Field(None, examples=["S0101"])
    priority: Priority | None = None
    id_number: Text | None = Field(None, description="read from the ID card; only its HMAC is stored")
    appointment_code: Text | None = None
    channel: Text | None = Field(None, max_length=40, examples=["kiosk-03"])
    case_no: str | None = Field(None, max_length=64, description="the case the ticket is for (a pickup ticket)")


class StaffBody(BaseModel):
    staff_id: str | None = Field(None, max_length=64)


class CallBody(StaffBody):
    ticket_id: str
    reason: str = Field(..., min_length=1, max_length=200)


class FinishBody(StaffBody):
    outcome: Outcome = Outcome.DONE
    reason: str | None = Field(None, max_length=200, description="why: required for rejected")
    supervisor_id: str | None = Field(None, max_length=64, description="rejected: the supervisor's staff number")
    supervisor_pin: str | None = Field(None, max_length=256, description="rejected: that supervisor's PIN or password")
    case_no: str | None = Field(None, min_length=1, max_length=64, examples=["330100202612010001"],
                                description="the case number (banjian bianhao), typed or scanned at the counter")


class TransferBody(StaffBody):
    service_id: str
    reason: str | None = Field(None, max_length=200)


class PauseBody(StaffBody):
    reason: str = Field(..., min_length=1, max_length=200)


class PutBackBody(StaffBody):
    ticket_id: str | None = None


class RatingBody(BaseModel):
    level: int | Literal["very_satisfied", "satisfied", "basic", "dissatisfied", "very_dissatisfied"]
    reason: str | None = Field(None, max_length=200)
    comment: str | None = Field(None, max_length=1000)
    stage: Literal["accept", "finish"] | None = Field(None, description="a stage of [rating] stages "
                                                      "(one case, several ratings); default the last (finish)")
    attitude: int | None = Field(None, ge=1, le=5, description="sub-score: attitude 1..5")
    efficiency: int | None = Field(None, ge=1, le=5, description="sub-score: efficiency 1..5")
    competence: int | None = Field(None, ge=1, le=5, description="sub-score: competence 1..5")


class RectifyBody(BaseModel):
    response: str = Field(..., min_length=1, max_length=2000)
    staff_id: str | None = Field(None, max_length=64)


class SignInBody(BaseModel):
    staff_id: str = Field(..., min_length=1, max_length=64, description="the staff number")
    password: str = Field(..., min_length=1, max_length=256, description="password or PIN")
    counter_id: str | None = Field(None, max_length=40)


class AlertBody(BaseModel):
    kind: str = Field(..., min_length=1, max_length=40, examples=["help", "printer", "device", "sync"])
    source: str = Field("", max_length=80)
    message: str = Field("", max_length=500)


class ReceiptLinkBody(BaseModel):
    receipt_no: str | None = Field(None, min_length=1, max_length=64, examples=["SG2026112300017"],
                                   description="the platform's receipt number the sync answer gave the kiosk's record")
    rejected: bool = Field(False, description="the platform refused the record for good (dead-lettered)")
    reason: str = Field("", max_length=64, description="the platform's code of the refusal")


class Appointment(BaseModel):
    code: str
    service_id: str
    id_number_hash: str | None = None
    slot_start: str
    slot_end: str
    name_masked: str | None = None


class AppointmentsBody(BaseModel):
    appointments: list[Appointment]


class ErrorDetail(BaseModel):
    code: HallCode
    message: str


class ErrorAnswer(BaseModel):
    """The body of every 4xx answer."""

    error: ErrorDetail


class TicketOut(BaseModel):
    """A ticket as the API shows it (``Ticket.public``): never the person hash."""

    id: str
    number: str
    service_id: str
    status: TicketStatus
    priority: Priority
    issued_at: str | None
    queued_since: str | None
    channel: str | None
    counter_id: str | None
    called_at: str | None
    started_at: str | None
    finished_at: str | None
    recalls: int
    outcome: Outcome | EndReason | None
    slot_start: str | None
    slot_end: str | None
    transferred_from: str | None
    transferred_to: str | None
    case_no: str | None = None


class TicketAnswer(BaseModel):
    """A ticket with its estimate; issuing adds ``track_token`` and the phone page's
    ``public_path`` (and ``public_url``), reading by number adds ``rated``."""

    model_config = ConfigDict(extra="allow")

    ticket: TicketOut
    waiting_ahead: int | None = None
    eta_minutes: int | None = None


class TicketList(BaseModel):
    tickets: list[TicketOut]


def error(status: int, code: HallCode, message: str) -> JSONResponse:
    return JSONResponse({"error": {"code": code, "message": message}}, status_code=status)


# The invalid field whose own code the API answered with before the body was typed.
_FIELD_CODES = {"outcome": HallCode.INVALID_OUTCOME, **FIELD_CODES}


class _InPool:
    """The engine's methods as awaitables, run on the service's own engine thread.

    Writes serialise in the store anyway; with the framework's forty threads the one holding
    the write lock keeps losing the interpreter to threads that only queue for the same lock
    (measured: 100 life cycles/s with 40 threads, 112 with 4, 138 with 1; docs/benchmarks.md)."""

    def __init__(self, engine: QueueEngine, pool: ThreadPoolExecutor) -> None:
        self._engine, self._pool = engine, pool

    def __getattr__(self, name: str) -> Callable[..., Awaitable[Any]]:
        return functools.partial(in_pool, self._pool, getattr(self._engine, name))


async def in_pool(pool: ThreadPoolExecutor, fn: Callable[..., Any], *args: object) -> Any:
    """``fn(*args)`` on the engine's thread; the request's context (its caller: the device on
    every event) goes with the call. On the ``EngineThread`` an engine operation may share its
    commit with the ones queued beside it (queueing/committer.py)."""
    ctx = contextvars.copy_context()
    if isinstance(pool, EngineThread):
        return await pool.run_op(ctx, fn, *args)
    return await asyncio.get_running_loop().run_in_executor(pool, functools.partial(ctx.run, fn, *args))


# FastAPI ≥ 0.16x asks OpenTelemetry on every request whether tracing, metrics or logs are set up
# (an environment look-up each): the hall service uses none of them.
_NO_TELEMETRY: dict[str, Any] = (
    {"telemetry": {"tracing": False, "metrics": False, "logs": False}}
    if "telemetry" in inspect.signature(FastAPI.__init__).parameters else {}
)

_AUTH_PARAMETERS = [
    {"name": name, "in": "header", "required": False,
     "schema": {"anyOf": [{"type": "string"}, {"type": "null"}], "title": title}}
    for name, title in (("authorization", "Authorization"), ("x-hall-session", "X-Hall-Session"))
]


def _uses_auth(dependant: Any) -> bool:
    return any(getattr(d.call, "hall_auth", False) or _uses_auth(d) for d in dependant.dependencies)


def _document_auth(app: FastAPI) -> None:
    """The ``Authorization`` and ``X-Hall-Session`` headers in the OpenAPI document of every
    operation behind ``require`` (read from the request by the dependency itself)."""
    plain = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        spec = plain()  # cached by FastAPI as app.openapi_schema: completed in place, once
        for route in app.routes:
            if isinstance(route, APIRoute) and route.include_in_schema and _uses_auth(route.dependant):
                for method in route.methods or ():
                    params = spec["paths"][route.path_format][method.lower()].setdefault("parameters", [])
                    params += [p for p in _AUTH_PARAMETERS if p not in params]
        return spec

    app.openapi = openapi  # type: ignore[method-assign]


def create_app(
    engine: QueueEngine,
    credentials: dict[str, str],
    hub: EventHub,
    workers: int = 1,
    public: PublicPagesConfig | None = None,
    body_caps: BodyCaps | None = None,
    public_rate: PublicRate | None = None,
    auth: Credentials | None = None,
    appointment_feed: AppointmentFeed | None = None,
    integrity_check_s: float = 3600.0,
) -> FastAPI:
    hall = engine.hall
    pool = (EngineThread(engine) if workers == 1
            else ThreadPoolExecutor(max_workers=workers, thread_name_prefix="hall-engine"))
    eng: Any = _InPool(engine, pool)
    if auth is None:  # the store's own file holds the device and staff tables
        store = engine.store
        auth = Credentials(getattr(store, "path"), credentials,  # noqa: B009 (SQLiteStore only)
                           on_failure=getattr(store, "report_failure", None))
    keys: Credentials = auth
    track_key = hashlib.sha256(b"track:" + credentials["hall_key"].encode()).digest()

    def track_token(ticket_id: str) -> str:
        return hmac.new(track_key, ticket_id.encode(), hashlib.sha256).hexdigest()[:24]

    def caller_of(authorization: str | None, token: str | None = None, session: str | None = None) -> Caller:
        presented = None
        if authorization and authorization.lower().startswith("bearer "):
            presented = authorization[7:].strip()
        elif token:
            presented = token
        if not presented:
            raise QueueError(401, HallCode.UNAUTHORIZED, "a bearer token is required")
        caller = keys.authenticate(presented)
        if caller is None:
            raise QueueError(401, HallCode.UNAUTHORIZED, "unknown or revoked token")
        if session:
            signed_in = keys.session(caller, session)
            if signed_in is None:
                raise QueueError(401, HallCode.SESSION_INVALID, "the staff session ended: sign in again")
            caller = signed_in
        current_caller.set(caller)  # read by the handler below and, in the engine thread, by _event
        return caller

    def role_of(authorization: str | None, token: str | None = None) -> str:
        return caller_of(authorization, token).role

    def require(*roles: str, dashboard: bool = True) -> Any:  # a Depends() marker
        """A dependency admitting ``roles`` (and admin; a dashboard device wherever admin is named,
        unless ``dashboard=False``); a counter device or session only for its own counter."""

        async def dep(request: Request) -> str:
            # headers read here, not as FastAPI Header() parameters: their per-request validation
            # was a third of FastAPI's dependency solving (issue 16); _document_auth keeps them in
            # the OpenAPI document as they were
            headers = request.headers
            return admit(headers.get("authorization"), headers.get("x-hall-session"),
                         request.path_params.get("counter_id"), roles, dashboard)

        dep.hall_auth = True  # type: ignore[attr-defined]  # found by _document_auth
        return Depends(dep)

    def admit(authorization: str | None, session: str | None, path_counter: str | None,
              roles: tuple[str, ...], dashboard: bool = True) -> str:
        """``require``'s rule (also the fast lane's, queueing/api_fast.py): the caller's role."""
        caller = caller_of(authorization, session=session)
        role = caller.role
        allowed = role == "admin" or role in roles or (dashboard and role == "dashboard" and "admin" in roles)
        if not allowed:
            raise QueueError(403, HallCode.FORBIDDEN, f"the {role} role cannot do this")
        for bound in (caller.counter_id, caller.session_counter):
            if path_counter is not None and bound is not None and path_counter != bound:
                raise QueueError(403, HallCode.WRONG_COUNTER, f"this device works counter {bound} only")
        return role

    def staff(body: StaffBody | RectifyBody | None, required: bool = True) -> str | None:
        """The staff of an operation: the signed-in session's, never a typed one.

        Without a session a typed ``staff_id`` is taken only from a shared credentials.json token
        (the embedded default and installs from before enrolment); an enrolled device must sign in."""
        typed = body.staff_id if body else None
        caller = current_caller.get()
        if caller is not None and caller.staff is not None:
            if typed is not None and typed != caller.staff.id:
                raise QueueError(403, HallCode.STAFF_MISMATCH, "staff_id differs from the signed-in staff")
            return caller.staff.id
        if caller is not None and not caller.shared and required:
            raise QueueError(401, HallCode.SESSION_REQUIRED, "sign in at this device first (POST /api/v1/sessions)")
        return typed

    async def integrity_watch() -> None:
        """queue.db checked in full every ``integrity_check_s`` while running, at a quiet moment
        (no event for a second, or after a minute of waiting anyway), on a thread of its own:
        damage in pages no request reads (yesterday's rows) shows in health before a restart."""
        while True:
            await asyncio.sleep(integrity_check_s)
            for _ in range(60):
                seen = hub.last_seq
                await asyncio.sleep(1.0)
                if hub.last_seq == seen:
                    break
            try:
                if await asyncio.to_thread(engine.store.check_integrity):
                    return  # remembered by the store: health says 503 until the restart
            except Exception:  # the watch must never take the service down
                log.exception("periodic integrity check failed")

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        hub.bind(asyncio.get_running_loop())  # the hub wakes SSE subscribers on this loop
        watch = asyncio.create_task(integrity_watch()) if integrity_check_s > 0 else None
        yield
        if watch is not None:
            watch.cancel()
        hub.close()  # ends open event streams so the server can stop
        pool.shutdown(wait=True)
        keys.close()

    app = FastAPI(
        **_NO_TELEMETRY,
        title="Hall queue service",
        version=API_VERSION,
        lifespan=lifespan,
        description="Tickets, counters, display and events of one government service hall.",
        responses={"4XX": {"model": ErrorAnswer, "description": "refused: `error.code` says which rule"}},
        docs_url=None,  # /docs and /redoc are the admin's (below), not the LAN's
        redoc_url=None,
    )
    # Starlette's own trailing-slash redirect builds Location from the Host header (issue 14):
    # the phone pages redirect themselves with a relative Location (public_pages).
    app.router.redirect_slashes = False
    # In front of it all, the hot routes' fast lane (queueing.api_fast; its table is filled with
    # the routes below): what the server serves (queueing.server.new_server).
    hot = HotRoutes()
    app.state.front = FastLane(app, hot, body_caps)
    # Outermost first: the phone routes' rate limit, then every body's cap (queueing.limits).
    app.add_middleware(BodyLimit, caps=body_caps)
    app.add_middleware(PublicRateLimit, rate=public_rate)

    def refusal(exc: QueueError) -> JSONResponse:
        return error(exc.status, exc.code, exc.message)

    hot.admit, hot.refusal = admit, refusal

    @app.exception_handler(QueueError)
    async def _queue_error(request: Request, exc: QueueError) -> JSONResponse:
        return refusal(exc)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        parts, codes = [], set()
        for e in exc.errors()[:5]:
            where = ".".join(str(x) for x in e.get("loc", ()) if x != "body")
            parts.append(f"{where or 'body'}: {e.get('msg')}")
            codes.add(_FIELD_CODES.get(where, HallCode.INVALID_REQUEST))
        code = codes.pop() if len(codes) == 1 else HallCode.INVALID_REQUEST
        return error(422, code, "; ".join(parts) or "invalid request")

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = {404: HallCode.NOT_FOUND, 405: HallCode.METHOD_NOT_ALLOWED}.get(exc.status_code, HallCode.HTTP_ERROR)
        return error(exc.status_code, code, str(exc.detail))

    def ticket_out(
        t: Ticket, ahead: int | None = None, minutes: int | None = None, status: int = 200, *,
        model: bool = True, extra: dict[str, object] | None = None
    ) -> Response:
        """A ``TicketAnswer`` as FastAPI's response-model validation wrote it (declared fields in
        order, unset ones null, then the extra keys; pydantic's JSON), without the validation:
        the ticket's keys are ``TicketOut``'s, in its order (tests/queueing/test_queue_hot_routes.py).
        ``model=False``: call-next's answer, which never went through the model (only the ticket)."""
        out: dict[str, Any] = {"ticket": t.public(hall)}
        if model:
            out["waiting_ahead"], out["eta_minutes"] = ahead, None if ahead is None else minutes
        return Response(content=to_json({**out, **(extra or {})}), status_code=status, media_type="application/json")

    def counter_out(cid: str, st: CounterState, cur: Ticket | None) -> dict[str, Any]:
        c = hall.counters[cid]
        return {
            "id": c.id,
            "name": c.name,
            "zone": c.zone,
            "services": list(c.services),
            "weights": c.weights,
            "paused": st.paused,
            "pause_reason": st.pause_reason,
            "staff_id": st.staff_id,
            "current": None
            if cur is None or cur.status not in ("called", "serving")
            else {
                "ticket_id": cur.id,
                "number": cur.number,
                "status": cur.status,
                "service_id": cur.service_id,
            },
        }

    mount_public_pages(app, engine, hub, credentials["hall_key"], public)  # /t/ /a/ /g/ phone pages

    # ------------------------------------------------------------------ API documentation (admin)

    async def admin_only(
        token: str | None = None, authorization: Annotated[str | None, Header()] = None
    ) -> None:
        role = role_of(authorization, token)
        if role != "admin":
            raise QueueError(403, HallCode.FORBIDDEN, f"the {role} role cannot do this")

    @app.get("/docs", include_in_schema=False, dependencies=[Depends(admin_only)])
    async def docs() -> HTMLResponse:
        return get_swagger_ui_html(openapi_url="/openapi.json", title=app.title)

    @app.get("/redoc", include_in_schema=False, dependencies=[Depends(admin_only)])
    async def redoc() -> HTMLResponse:
        return get_redoc_html(openapi_url="/openapi.json", title=app.title)

    # ------------------------------------------------------------------ public and reading

    @app.get("/api/v1/health", responses={503: {"description": "the queue store cannot be read or written"}})
    async def health() -> Any:
        # Honest: a committed probe write, so a damaged or full queue.db answers 503 and the
        # watchdog restarts the service (whose start-up check repairs a damaged file).
        problem = await eng.storage_problem()
        now = engine.clock()
        if problem is not None:
            return JSONResponse({"status": "unavailable", "hall_id": hall.id, "api_version": API_VERSION,
                                 "error": {"code": HallCode.STORAGE_FAILED, "message": problem[:300]}},
                                status_code=503)
        return {
            "status": "ok",
            "hall_id": hall.id,
            "hall_name": hall.name,
            "day": hall.day(now),
            "time": hall.iso(now),
            "api_version": API_VERSION,
            "last_event_id": hub.last_seq,
        }

    @app.get("/api/v1/services")
    async def services(role: str = require(*ANY)) -> dict[str, Any]:
        counts = await eng.waiting_counts()
        local = hall.local(engine.clock())
        return {
            "zones": [{"id": z.id, "name": z.name} for z in hall.zones],
            "services": [
                {
                    "id": s.id,
                    "name": s.name,
                    "zone": s.zone,
                    "prefix": s.prefix,
                    "target_wait_minutes": s.target_wait_minutes,
                    "typical_service_minutes": s.typical_service_minutes,
                    "daily_cap": s.daily_cap,
                    "opening_hours": s.hours.text(),
                    "open_now": s.hours.is_open(local),
                    "waiting": counts.get(s.id, 0),
                    "counters": [c.id for c in hall.counters_serving(s.id)],
                }
                for s in hall.services.values()
            ],
            "policy": vars(hall.policy),
            "catch_all_service": hall.catch_all_service,  # 兜底: 不确定办哪项 / 其他事项 (hall.toml)
            "pickup_service": hall.pickup_service,  # 统一窗口出件: the 出件 window's service (hall.toml)
        }

    @app.get("/api/v1/counters")
    async def counters(role: str = require(*ANY)) -> dict[str, Any]:
        return {
            "counters": [counter_out(cid, st, cur) for cid, (st, cur) in (await eng.counter_states()).items()]
        }

    @app.post("/api/v1/tickets", status_code=201, response_model=TicketAnswer)
    async def issue(body: IssueBody, role: str = require("kiosk")) -> Response:
        return await issue_ticket(None, body)

    async def issue_ticket(_counter: None, body: IssueBody) -> Response:
        args = (body.service_id, body.priority, body.id_number, body.appointment_code, body.channel, body.case_no)
        try:
            t, ahead, minutes = await eng.issue(*args)
        except QueueError as exc:
            # a booking made minutes ago: ask the platform once more, then check in again
            if (exc.code != HallCode.APPOINTMENT_NOT_FOUND or appointment_feed is None
                    or not await asyncio.to_thread(appointment_feed.pull_after_miss)):
                raise
            t, ahead, minutes = await eng.issue(*args)
        log.info(
            "ticket issued",
            extra={"ctx": {"number": t.number, "service": t.service_id, "priority": t.priority}},
        )
        links = public_links(credentials["hall_key"], t.id, public.base_url if public else "")
        return ticket_out(t, ahead, minutes, 201, extra={"track_token": track_token(t.id), **links})

    @app.get("/api/v1/tickets", response_model=TicketList)
    async def waiting(
        status: Literal["waiting"] = "waiting",
        service_id: str | None = None,
        limit: Annotated[int, Query(ge=1, le=1000)] = 200,
        role: str = require("counter", "display", "admin"),  # and the dashboard: who waits
    ) -> dict[str, Any]:
        return {"tickets": [t.public(hall) for t in await eng.waiting(service_id, limit)]}

    @app.get("/api/v1/tickets/{ticket_id}", response_model=TicketAnswer)
    async def ticket(
        ticket_id: str, track: str | None = None, authorization: Annotated[str | None, Header()] = None
    ) -> Response:
        if not token_matches(track, track_token(ticket_id)):
            role_of(authorization)  # any role may read a ticket
        t, ahead, minutes = await eng.ticket(ticket_id)
        return ticket_out(t, ahead, minutes)

    @app.get("/api/v1/tickets/by-number/{number}", response_model=TicketAnswer)
    async def ticket_by_number(number: str, role: str = require("kiosk", "counter", "admin")) -> Response:
        """Today's ticket by its number (the kiosk's rating screen: "type the number on your ticket")."""
        t, ahead, minutes = await eng.ticket_by_number(number)
        rating = await eng.rating_of(t.id)
        return ticket_out(t, ahead, minutes, extra={"rated": rating is not None})

    @app.get("/api/v1/ratings")
    async def ratings(
        from_: Annotated[str | None, Query(alias="from")] = None,
        to: str | None = None,
        bad: bool = False,
        role: str = require("admin"),
    ) -> dict[str, Any]:
        return {"ratings": await eng.ratings(from_, to, bad)}

    @app.post("/api/v1/ratings/{ticket_id}/rectification", status_code=201)
    async def rectify(ticket_id: str, body: RectifyBody, role: str = require("admin")) -> dict[str, Any]:
        # Signed off by a supervisor's own session: the admin token (or a dashboard device) alone
        # is nobody's name, and a typed staff_id would be whatever its holder typed.
        caller = current_caller.get()
        if caller is None or caller.staff is None or not caller.staff.supervisor:
            raise QueueError(403, HallCode.SUPERVISOR_REQUIRED, "a rectification is signed off by a supervisor")
        return {"rectification": await eng.rectify(ticket_id, body.response, staff(body))}

    @app.post("/api/v1/tickets/{ticket_id}/rating", status_code=201)
    async def rate(ticket_id: str, body: RatingBody, role: str = require("kiosk", "counter")) -> dict[str, Any]:
        scores = {"attitude": body.attitude, "efficiency": body.efficiency, "competence": body.competence}
        return {"rating": await eng.rate(ticket_id, body.level, body.reason, body.comment, body.stage, scores)}

    @app.get("/api/v1/display")
    async def display(role: str = require(*ANY)) -> dict[str, Any]:
        answer: dict[str, Any] = await eng.display()
        return answer

    @app.get("/api/v1/stats")
    async def stats(
        from_: Annotated[str | None, Query(alias="from")] = None,
        to: str | None = None,
        role: str = require("admin", "counter"),  # counters show their own day's counts
    ) -> dict[str, Any]:
        answer: dict[str, Any] = await eng.stats(from_, to)
        return answer

    # ------------------------------------------------------------------ counters

    @app.post(
        "/api/v1/counters/{counter_id}/call-next",
        response_model=None,
        responses={200: {"model": TicketAnswer}, 204: {"description": "nobody waits"}},
    )
    async def call_next(
        counter_id: str, body: StaffBody | None = None, role: str = require("counter")
    ) -> Response:
        return await call_next_at(counter_id, body)

    async def call_next_at(counter_id: str, body: StaffBody | None) -> Response:
        t = await eng.call_next(counter_id, staff(body))
        return Response(status_code=204) if t is None else ticket_out(t, model=False)

    @app.post("/api/v1/counters/{counter_id}/call", response_model=TicketAnswer)
    async def call_ticket(counter_id: str, body: CallBody, role: str = require("counter")) -> Response:
        return ticket_out(await eng.call_ticket(counter_id, body.ticket_id, body.reason, staff(body)))

    @app.post("/api/v1/counters/{counter_id}/recall", response_model=TicketAnswer)
    async def recall(counter_id: str, body: StaffBody | None = None, role: str = require("counter")) -> Response:
        return await recall_at(counter_id, body)

    async def recall_at(counter_id: str, body: StaffBody | None) -> Response:
        return ticket_out(await eng.recall(counter_id, staff(body)))

    @app.post("/api/v1/counters/{counter_id}/start", response_model=TicketAnswer)
    async def start(counter_id: str, body: StaffBody | None = None, role: str = require("counter")) -> Response:
        return await start_at(counter_id, body)

    async def start_at(counter_id: str, body: StaffBody | None) -> Response:
        return ticket_out(await eng.start(counter_id, staff(body)))

    @app.post("/api/v1/counters/{counter_id}/finish", response_model=TicketAnswer)
    async def finish(counter_id: str, body: FinishBody | None = None, role: str = require("counter")) -> Response:
        return await finish_at(counter_id, body)

    async def finish_at(counter_id: str, body: FinishBody | None) -> Response:
        outcome, who = body.outcome if body else Outcome.DONE, staff(body)
        reason, approver = (body.reason if body else None), None
        if outcome == Outcome.REJECTED and body is not None:  # 窗口无否决权: queueing/signoff.py
            approver = await sign_off(keys, body.supervisor_id, body.supervisor_pin, staff_refused)
        return ticket_out(await eng.finish(counter_id, outcome, who, reason, approver,
                                           body.case_no if body else None))

    @app.post("/api/v1/counters/{counter_id}/no-show", response_model=TicketAnswer)
    async def no_show(counter_id: str, body: StaffBody | None = None, role: str = require("counter")) -> Response:
        return await no_show_at(counter_id, body)

    async def no_show_at(counter_id: str, body: StaffBody | None) -> Response:
        return ticket_out(await eng.no_show(counter_id, staff(body)))

    # the same handlers, answered by the fast lane when the request is ordinary (api_fast)
    hot.exact["/api/v1/tickets"] = HotRoute(IssueBody, False, ("kiosk",), issue_ticket)
    for op, handler, model in (("call-next", call_next_at, StaffBody), ("recall", recall_at, StaffBody),
                               ("start", start_at, StaffBody), ("finish", finish_at, FinishBody),
                               ("no-show", no_show_at, StaffBody)):
        hot.counter_ops[op] = HotRoute(model, True, ("counter",), handler)

    @app.post("/api/v1/counters/{counter_id}/put-back", response_model=TicketAnswer)
    async def put_back(
        counter_id: str, body: PutBackBody | None = None, role: str = require("counter")
    ) -> Response:
        return ticket_out(await eng.put_back(counter_id, body.ticket_id if body else None, staff(body)))

    @app.post("/api/v1/counters/{counter_id}/transfer", response_model=TicketAnswer)
    async def transfer(counter_id: str, body: TransferBody, role: str = require("counter")) -> Response:
        return ticket_out(await eng.transfer(counter_id, body.service_id, staff(body), body.reason))

    @app.post("/api/v1/counters/{counter_id}/pause")
    async def pause(counter_id: str, body: PauseBody, role: str = require("counter")) -> dict[str, Any]:
        st = await eng.pause(counter_id, body.reason, staff(body))
        return {"counter": counter_out(counter_id, st, None)}

    @app.post("/api/v1/counters/{counter_id}/resume")
    async def resume(counter_id: str, body: StaffBody | None = None, role: str = require("counter")) -> dict[str, Any]:
        st = await eng.resume(counter_id, staff(body))
        return {"counter": counter_out(counter_id, st, None)}

    @app.get("/api/v1/counters/{counter_id}/preview")
    async def preview(
        counter_id: str, n: Annotated[int, Query(ge=1, le=50)] = 10, role: str = require("admin")
    ) -> dict[str, Any]:
        return {"counter_id": counter_id, "next": [t.public(hall) for t in await eng.preview(counter_id, n)]}

    # ------------------------------------------------------------------ staff sessions

    async def staff_refused(exc: SignInError, typed: str, device: str, counter_id: str | None) -> None:
        """A refused sign-in in the event log; the answer that locks an account also alerts the
        hall. An unknown 工号 is logged without what was typed (it may be anything, even a
        citizen's number typed into the wrong field)."""
        staff_id = typed if exc.known else None
        if exc.locked_now:
            until = "until a supervisor resets it (hall-server staff reset)" if exc.locked_until == FOREVER \
                else f"until {hall.iso(exc.locked_until or 0.0)}"
            alert = f"staff account {staff_id} locked after {exc.failures} wrong answers at {device}, {until}"
            await eng.staff_event("staff_locked", staff_id, counter_id, alert,
                                  {"failures": exc.failures, "for_good": exc.locked_until == FOREVER})
        else:
            await eng.staff_event("staff_sign_in_refused", staff_id, counter_id, None,
                                  {"failures": exc.failures, "locked": exc.locked_until is not None})

    @app.post("/api/v1/sessions", status_code=201)
    async def sign_in(
        body: SignInBody, authorization: Annotated[str | None, Header()] = None
    ) -> dict[str, Any]:
        """A member of staff signs in at this device (a counter device: at its counter)."""
        caller = caller_of(authorization)
        if caller.role not in ("counter", "dashboard", "admin"):
            raise QueueError(403, HallCode.FORBIDDEN, f"the {caller.role} role has no staff sessions")
        counter_id = caller.counter_id or body.counter_id
        if caller.counter_id and body.counter_id not in (None, caller.counter_id):
            raise QueueError(403, HallCode.WRONG_COUNTER, f"this device works counter {caller.counter_id} only")
        if counter_id is not None and counter_id not in hall.counters:
            raise QueueError(404, HallCode.COUNTER_NOT_FOUND, f"no counter {counter_id!r}")
        try:  # scrypt takes tens of milliseconds: off the event loop
            token, who = await asyncio.to_thread(keys.sign_in, caller, body.staff_id, body.password, counter_id)
        except SignInError as exc:
            await staff_refused(exc, body.staff_id, caller.device, counter_id)
            if exc.locked_until and not exc.locked_now:
                raise QueueError(403, HallCode.ACCOUNT_LOCKED, "too many wrong answers: ask a supervisor") from None
            raise QueueError(401, HallCode.BAD_CREDENTIALS, "wrong staff number or password") from None
        log.info("staff signed in", extra={"ctx": {"staff": who.id, "device": caller.device, "counter": counter_id}})
        await eng.staff_event("staff_sign_in", who.id, counter_id, None, {"supervisor": who.supervisor})
        return {"session": token, "counter_id": counter_id,
                "staff": {"id": who.id, "name": who.name, "supervisor": who.supervisor}}

    @app.post("/api/v1/sessions/sign-out", status_code=204)
    async def sign_out(
        authorization: Annotated[str | None, Header()] = None,
        x_hall_session: Annotated[str | None, Header()] = None,
    ) -> Response:
        caller_of(authorization, session=x_hall_session)
        ended = keys.sign_out(x_hall_session) if x_hall_session else None
        if ended is not None:
            await eng.staff_event("staff_sign_out", ended[0], ended[1], None)
        return Response(status_code=204)

    # ------------------------------------------------------------------ alerts and appointments

    @app.post("/api/v1/alerts", status_code=201)
    async def raise_alert(body: AlertBody, role: str = require(*ANY)) -> dict[str, Any]:
        # a help call: the first help counter someone is signed in at (the staff on duty)
        on_duty = next((c for c in alert_desk.help_counters(hall) if keys.counter_staffed(c)), None) \
            if body.kind == alert_desk.HELP else None
        alert = await eng.raise_alert(body.kind, body.source, body.message, on_duty)
        if alert.get("counter_id") and on_duty is None:
            # nobody signed in at any help counter: every counter and the dashboard at once
            alert = await in_pool(pool, alert_desk.escalate_now, engine, alert["id"],
                                  f"nobody signed in at {alert['counter_id']}")
        # the raiser (a kiosk's help call) follows it with this: GET /api/v1/alerts/{id}?follow=
        return {"alert": {**alert, "follow_token": track_token(f"alert:{alert['id']}")}}

    @app.get("/api/v1/alerts")
    async def alerts(
        all_: Annotated[bool, Query(alias="all")] = False, role: str = require("admin", "counter")
    ) -> dict[str, Any]:
        return {"alerts": await eng.alerts(all_)}

    @app.post("/api/v1/alerts/{alert_id}/ack")
    async def ack(alert_id: RowId, body: StaffBody | None = None,
                  role: str = require("admin", "counter")) -> dict[str, Any]:
        caller = current_caller.get()
        if caller is None or caller.staff is None:  # who saw it: a signed-in member of staff
            raise QueueError(401, HallCode.SESSION_REQUIRED, "sign in first (POST /api/v1/sessions)")
        # at a counter: only what its console shows (its own and escalated alerts), with the counter
        alert = await in_pool(pool, alert_desk.acknowledge, engine, alert_id, staff(body),
                              caller.session_counter or caller.counter_id, role == "counter")
        return {"acknowledged": alert_id, "alert": alert}

    @app.post("/api/v1/appointments")
    async def appointments(body: AppointmentsBody, role: str = require("admin", dashboard=False)) -> dict[str, Any]:
        """Today's appointments: from the platform or the hall's administrator, never a kiosk (a
        kiosk token on a public machine could move a citizen's appointment or forge one)."""
        return {"stored": await eng.push_appointments([a.model_dump() for a in body.appointments])}

    @app.put("/api/v1/receipts/{local_no}")
    async def link_receipt(local_no: str, body: ReceiptLinkBody, role: str = require("kiosk")) -> dict[str, Any]:
        """A kiosk's local receipt number became this platform 受理编号 (once synced), or the platform
        refused it (``rejected``: an alert): the phone page of the receipt's QR follows it. Written
        once, bound to the reporting device; another number or device is ``receipt_conflict``."""
        caller = current_caller.get()
        new = await asyncio.get_running_loop().run_in_executor(
            pool, report_receipt, engine, local_no, body.receipt_no, body.rejected, body.reason,
            caller.device if caller else role)
        return {"local_no": local_no, "receipt_no": body.receipt_no, "rejected": body.rejected, "new": new}

    # ------------------------------------------------------------------ events

    @app.get(
        "/api/v1/events",
        response_class=StreamingResponse,
        responses={200: {"content": {"text/event-stream": {}}}},
    )
    async def events(
        token: str | None = None,
        last_event_id: Annotated[str | None, Header()] = None,
        authorization: Annotated[str | None, Header()] = None,
    ) -> StreamingResponse:
        role_of(authorization, token)
        try:
            last = int(last_event_id) if last_event_id else None
        except ValueError:
            last = None
        return StreamingResponse(
            hub.stream(last),
            media_type="text/event-stream",
            headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
        )

    # the stream itself is served ahead of the middleware chain (queueing.event_stream, issue 16);
    # the route above stays for the OpenAPI document and the same answers
    build_stack = app.build_middleware_stack
    app.build_middleware_stack = lambda: EventStream(  # type: ignore[method-assign]
        build_stack(), hub, role_of, lambda exc: error(exc.status, exc.code, exc.message))

    _document_auth(app)
    routes = RouteContext(engine=engine, call=functools.partial(in_pool, pool), pool=pool, require=require,
                          staff=staff, hub=hub, keys=keys, track_token=track_token,
                          hall_key=credentials["hall_key"], public_base=public.base_url if public else "")
    for add_routes in ROUTE_MODULES:
        add_routes(app, routes)
    return app
