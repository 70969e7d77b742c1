"""Routes of alerts that reach a person (rules: queueing/alerts.py) and of the display's notices
(queueing/notices.py).

- ``GET /api/v1/alerts/open``: alerts not resolved, as this console sees them (a counter: its own
  and escalated ones; the dashboard: all), with their state and who acknowledged them.
- ``GET /api/v1/alerts/{id}``: one alert; staff see all of it, the kiosk that raised a help call
  reads its state and who is coming with the raise answer's ``?follow=`` token.
- ``POST /api/v1/alerts/{id}/resolve``: done, by the signed-in staff (``/ack`` is in api.py).
- ``GET /api/v1/notices`` (any role: the displays), ``POST /api/v1/notices`` and
  ``DELETE /api/v1/notices/{id}`` (a signed-in member of staff at the dashboard).

While the service runs, help calls nobody acknowledged are escalated every few seconds."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from fastapi import FastAPI
from pydantic import BaseModel, Field

from queueing import alerts, notices
from queueing.api_routes import RouteContext, every
from queueing.codes import HallCode
from queueing.credentials import current_caller
from queueing.model import QueueError
from queueing.validation import RowId, token_matches

log = logging.getLogger(__name__)
ESCALATION_CHECK_S = 5.0


class ResolveBody(BaseModel):
    staff_id: str | None = Field(None, max_length=64)
    note: str | None = Field(None, max_length=500, description="what was done (optional)")


class NoticeBody(BaseModel):
    staff_id: str | None = Field(None, max_length=64)
    text_zh: str = Field(..., min_length=1, max_length=200)
    text_en: str = Field("", max_length=300)
    starts_at: datetime | None = Field(None, description="ISO time; without an offset: the hall's zone; none: now")
    ends_at: datetime = Field(..., description="ISO time; without an offset: the hall's zone")


def follow_token(ctx: RouteContext, alert_id: int) -> str:
    """The token with which the kiosk that raised an alert follows it (``alert:`` keeps it apart
    from a ticket's track token)."""
    return ctx.track_token(f"alert:{alert_id}")


def _signed_in() -> tuple[str, str | None]:
    """The signed-in staff of this request and the counter they are signed in at."""
    caller = current_caller.get()
    if caller is None or caller.staff is None:
        raise QueueError(401, HallCode.SESSION_REQUIRED, "sign in first (POST /api/v1/sessions)")
    return caller.staff.id, caller.session_counter or caller.counter_id


def add_routes(app: FastAPI, ctx: RouteContext) -> None:
    engine, hall = ctx.engine, ctx.engine.hall

    every(app, ESCALATION_CHECK_S, lambda: ctx.call(alerts.escalate_due, engine), "help-call escalation check")

    @app.get("/api/v1/alerts/open")
    async def open_alerts(counter_id: str | None = None, role: str = ctx.require("admin", "counter")) -> dict[str, Any]:
        """Alerts not resolved yet, newest first: a counter's own and escalated ones, or (the
        dashboard) all of them."""
        caller = current_caller.get()
        mine = None
        if role == "counter":
            mine = (caller.session_counter or caller.counter_id if caller else None) or counter_id
            if mine is None:
                raise QueueError(422, HallCode.INVALID_REQUEST, "counter_id: which counter's alerts")
        return {"alerts": await ctx.call(alerts.open_for, engine, mine)}

    @app.get("/api/v1/alerts/{alert_id}")
    async def one_alert(alert_id: RowId, follow: str | None = None,
                        role: str = ctx.require("admin", "counter", "kiosk")) -> dict[str, Any]:
        row = await ctx.call(alerts.get, engine, alert_id)
        if role == "kiosk":  # only the kiosk that raised it holds the token
            if not token_matches(follow, follow_token(ctx, alert_id)):
                raise QueueError(403, HallCode.INVALID_TOKEN, "follow an alert with the token its raise answered")
            return {"alert": alerts.citizen_view(hall, row)}
        return {"alert": alerts.public(hall, row)}

    @app.post("/api/v1/alerts/{alert_id}/resolve")
    async def resolve(alert_id: RowId, body: ResolveBody | None = None,
                      role: str = ctx.require("admin", "counter")) -> dict[str, Any]:
        staff_id, counter_id = _signed_in()
        ctx.staff(body)  # a typed staff_id must be the signed-in one
        alert = await ctx.call(alerts.resolve, engine, alert_id, staff_id, counter_id, body.note if body else None,
                               role == "counter")
        return {"resolved": alert_id, "alert": alert}

    @app.get("/api/v1/notices")
    async def list_notices(role: str = ctx.require("kiosk", "counter", "display", "admin")) -> dict[str, Any]:
        answer: dict[str, Any] = await ctx.call(notices.current, engine)
        return answer

    @app.post("/api/v1/notices", status_code=201)
    async def post_notice(body: NoticeBody, role: str = ctx.require("admin")) -> dict[str, Any]:
        staff_id, _ = _signed_in()
        ctx.staff(body)

        def instant(value: datetime | None) -> float | None:
            if value is None:
                return None
            return (value if value.tzinfo else value.replace(tzinfo=hall.tz)).timestamp()

        ends = instant(body.ends_at)
        assert ends is not None
        notice = await ctx.call(notices.post, engine, body.text_zh, body.text_en, instant(body.starts_at), ends,
                                staff_id)
        return {"notice": notice}

    @app.delete("/api/v1/notices/{notice_id}", status_code=200)
    async def withdraw_notice(notice_id: RowId, role: str = ctx.require("admin")) -> dict[str, Any]:
        staff_id, _ = _signed_in()
        await ctx.call(notices.withdraw, engine, notice_id, staff_id)
        return {"withdrawn": notice_id}

