"""The hall service's complaint routes (吐槽找茬; the rules: queueing/complaints.py).

- ``POST /api/v1/complaints`` (kiosk): file one (idempotent on its ``id``); its number and the
  phone page's path (``/c/<token>``, the QR on the citizen's slip);
- ``GET /api/v1/complaints?from=&to=&state=`` (dashboard, admin): the days' complaints with the
  citizen's text, and 投诉办结率 (``closure``: received, closed, rate);
- ``GET /api/v1/complaints/{number}`` (kiosk, counter, admin): one complaint's state and the
  hall's reply (the kiosk's 进度查询), never the citizen's text;
- ``POST /api/v1/complaints/{number}/assign|reply|close`` (dashboard, admin): by signed-in staff;
- ``GET /c/<token>``: the citizen's phone page: state and the hall's reply."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Annotated, Any

from fastapi import FastAPI, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel, Field

from queueing import complaints
from queueing.api_routes import RouteContext
from queueing.codes import HallCode
from queueing.credentials import current_caller
from queueing.model import QueueError, bad_input
from queueing.public_pages import PublicPages, PublicPagesConfig, esc, t
from queueing.public_tokens import complaint_from_token, complaint_token

log = logging.getLogger(__name__)


class ComplaintBody(BaseModel):
    id: str = Field(..., min_length=32, max_length=36, description="the kiosk's uuid of this complaint")
    topic: str = Field(..., max_length=20, examples=list(complaints.TOPICS))
    text: str = Field(..., min_length=1, max_length=1000)
    local_number: str | None = Field(None, max_length=40, description="the kiosk's own number, filed while offline")
    filed_at: str | None = Field(None, max_length=40, description="ISO 8601: when the citizen filed it")


class AssignBody(BaseModel):
    to: str = Field(..., min_length=1, max_length=80, description="a staff number or a counter id")


class ReplyBody(BaseModel):
    text: str = Field(..., min_length=1, max_length=2000)


def _day(name: str, value: str | None) -> str | None:
    if value is not None:
        try:
            datetime.strptime(value, "%Y-%m-%d")
        except ValueError:
            raise bad_input(HallCode.INVALID_DATE, f"{name} must be a date YYYY-MM-DD") from None
    return value


def _signed_in() -> str:
    caller = current_caller.get()
    if caller is None or caller.staff is None:  # who handled it: a signed-in member of staff
        raise QueueError(401, HallCode.SESSION_REQUIRED, "sign in first (POST /api/v1/sessions)")
    return caller.staff.id


def add_routes(app: FastAPI, ctx: RouteContext) -> None:
    engine = ctx.engine
    pages = PublicPages(engine, ctx.hub, ctx.hall_key, PublicPagesConfig(base_url=ctx.public_base))

    def links(number: str) -> dict[str, str]:
        path = f"/c/{complaint_token(ctx.hall_key, number)}"
        return {"public_path": path, **({"public_url": ctx.public_base.rstrip("/") + path} if ctx.public_base else {})}

    @app.post("/api/v1/complaints", status_code=201)
    async def file_complaint(body: ComplaintBody, role: str = ctx.require("kiosk")) -> dict[str, Any]:
        filed = None
        if body.filed_at:
            try:
                filed = datetime.fromisoformat(body.filed_at).timestamp()
            except ValueError:
                raise bad_input(HallCode.INVALID_DATE, "filed_at must be ISO 8601") from None
        caller = current_caller.get()
        c = await ctx.call(complaints.file, engine, body.id, body.topic, body.text,
                           caller.device if caller else role, body.local_number, filed)
        return {"complaint": c, **links(c["number"])}

    @app.get("/api/v1/complaints")
    async def list_complaints(
        from_: Annotated[str | None, Query(alias="from")] = None,
        to: str | None = None,
        state: str | None = None,
        role: str = ctx.require("admin"),
    ) -> dict[str, Any]:
        today = engine.hall.day(engine.clock())
        start = _day("from", from_) or today
        end = _day("to", to) or max(start, today)
        if state is not None and state not in complaints.STATES:
            raise bad_input(HallCode.INVALID_REQUEST, f"state must be one of {', '.join(complaints.STATES)}")
        rows = await ctx.call(lambda: complaints.in_range(engine, start, end, text=True))
        shown = [r for r in rows if state is None or r["state"] == state]
        return {"from": start, "to": end, "complaints": shown, "closure": complaints.closure_rate(rows)}

    @app.get("/api/v1/complaints/{number}")
    async def one_complaint(number: str, role: str = ctx.require("kiosk", "counter", "admin")) -> dict[str, Any]:
        return {"complaint": await ctx.call(complaints.get, engine, number.strip().upper()), **links(number)}

    @app.post("/api/v1/complaints/{number}/assign")
    async def assign(number: str, body: AssignBody, role: str = ctx.require("admin")) -> dict[str, Any]:
        return {"complaint": await ctx.call(complaints.assign, engine, number, _signed_in(), body.to)}

    @app.post("/api/v1/complaints/{number}/reply")
    async def reply(number: str, body: ReplyBody, role: str = ctx.require("admin")) -> dict[str, Any]:
        return {"complaint": await ctx.call(complaints.reply, engine, number, _signed_in(), body.text)}

    @app.post("/api/v1/complaints/{number}/close")
    async def close(number: str, role: str = ctx.require("admin")) -> dict[str, Any]:
        return {"complaint": await ctx.call(complaints.close, engine, number, _signed_in())}

    def page(token: str, lang: str) -> HTMLResponse:
        path = f"/c/{token}"
        number = complaint_from_token(ctx.hall_key, token)
        if number is None:
            return pages.problem(lang, 404, "error.title", "error.forged", path)
        try:
            c = complaints.get(engine, number)
        except QueueError as exc:
            if exc.code != HallCode.COMPLAINT_NOT_FOUND:
                raise
            # a kiosk's local number the hall has not heard of yet (the kiosk reports it when it can)
            body = (f'<h1>{t(lang, "complaint.title")}</h1><div class="card"><dl><dt>{t(lang, "complaint.number")}'
                    f'</dt><dd>{esc(number)}</dd></dl></div><div class="state waiting" role="status"><p>'
                    f'{t(lang, "complaint.not_yet")}</p></div>')
            return pages.page(lang, t(lang, "complaint.title"), body, path)
        rows = [("complaint.number", esc(c["number"])),
                ("complaint.topic", esc(t(lang, f"complaint.topic.{c['topic']}"))),
                ("complaint.filed", esc(str(c["filed_at"] or "").replace("T", " ")[:16])),
                ("complaint.state", f'<strong>{esc(t(lang, "complaint.state." + c["state"]))}</strong>')]
        body = f'<h1>{t(lang, "complaint.title")}</h1><div class="card"><dl>' + "".join(
            f"<dt>{t(lang, k)}</dt><dd>{v}</dd>" for k, v in rows) + "</dl></div>"
        tone = "done" if c["state"] == "closed" else "waiting"
        if c["reply"]:
            body += (f'<section class="state {tone}"><h1>{t(lang, "complaint.reply")}</h1>'
                     f'<p>{esc(c["reply"])}</p></section>')
        else:
            body += f'<div class="state {tone}" role="status"><p>{t(lang, "complaint.no_reply")}</p></div>'
        return pages.page(lang, f'{t(lang, "complaint.title")} · {c["number"]}', body, path)

    @app.get("/c/{token}/", include_in_schema=False)
    def complaint_page_slash(token: str) -> Response:  # relative to the public base, never the Host header
        return RedirectResponse(f"{pages.base}/c/{token}", status_code=307)

    @app.get("/c/{token}", response_class=HTMLResponse, include_in_schema=False)
    def complaint_page(token: str, request: Request) -> Response:
        lang = request.query_params.get("lang", "zh")
        lang = lang if lang in ("zh", "en") else "zh"
        try:
            return page(token, lang)
        except Exception:  # a citizen sees a plain page, the log gets the trace
            log.exception("complaint page failed")
            return pages.problem(lang, 500, "error.title", "error.server", request.url.path)
