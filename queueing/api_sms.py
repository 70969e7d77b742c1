"""The hall service's SMS opt-in routes: a citizen gives a mobile number for one ticket, at the
kiosk (kiosk role) or on the ticket's phone page (its ``?track=`` token).

``POST /api/v1/tickets/{ticket_id}/sms`` ``{"phone", "consent": true, "lang"}`` seals the number in
sms.db (queueing/sms/outbox.py) and answers it masked; ``DELETE`` takes it back; ``GET
/api/v1/sms`` says whether the hall sends texts at all. The phone page's form
(queueing/sms/phone_page.py) goes through the same :func:`opt_in`. The number is never logged,
never echoed whole and never part of the event log."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import FastAPI, Header, Request
from pydantic import BaseModel, Field

from common.i18n import LANGUAGES
from queueing.api_routes import RouteContext
from queueing.codes import HallCode
from queueing.engine import QueueEngine
from queueing.model import QueueError
from queueing.sms.case_notices import checked_opt_in
from queueing.sms.outbox import SmsOutbox
from queueing.validation import token_matches


class SmsOptIn(BaseModel):
    phone: str = Field(..., max_length=20, description="mainland mobile number, 11 digits (1[3-9]…)",
                       examples=["13812345678"])
    consent: bool = Field(False, description="the citizen agreed to the consent line shown with the keypad")
    lang: str = Field("zh_CN", max_length=8, description=f"language of the messages: {', '.join(LANGUAGES)}")


class SmsAnswer(BaseModel):
    ticket_id: str
    phone: str = Field(..., description="masked: 138****5678")
    subscribed: bool


def _outbox(request: Request) -> SmsOutbox:
    outbox: SmsOutbox | None = getattr(request.app.state, "sms_outbox", None)
    if outbox is None:
        raise QueueError(409, HallCode.SMS_DISABLED, "this hall sends no text messages")
    return outbox


def opt_in(outbox: SmsOutbox, engine: QueueEngine, ticket_id: str, phone: str, consent: bool, lang: str) -> str:
    """Check and keep one opt-in (the kiosk's and the phone page's one path); the number masked."""
    phone, lang = checked_opt_in(phone, consent, lang)
    t, _, _ = engine.ticket(ticket_id)
    return outbox.subscribe(t.id, t.day, t.service_id, t.number, phone, lang)


def add_routes(app: FastAPI, ctx: RouteContext) -> None:
    def admit(ticket_id: str, track: str | None, authorization: str | None) -> None:
        """The ticket's own track token (the phone page), or a kiosk (or admin) bearer token."""
        if token_matches(track, ctx.track_token(ticket_id)):
            return
        presented = authorization[7:].strip() if authorization and authorization.lower().startswith("bearer ") else ""
        caller = ctx.keys.authenticate(presented) if presented else None
        if caller is None:
            raise QueueError(401, HallCode.UNAUTHORIZED, "a kiosk token or the ticket's track token is required")
        if caller.role not in ("kiosk", "admin"):
            raise QueueError(403, HallCode.FORBIDDEN, f"the {caller.role} role cannot do this")

    @app.get("/api/v1/sms")
    async def sms_state(request: Request, role: str = ctx.require("kiosk", "counter", "display")) -> dict[str, bool]:
        """Whether this hall sends text messages (the kiosk offers the opt-in only then)."""
        return {"enabled": getattr(request.app.state, "sms_outbox", None) is not None}

    @app.post("/api/v1/tickets/{ticket_id}/sms", response_model=SmsAnswer)
    async def sms_opt_in(ticket_id: str, body: SmsOptIn, request: Request, track: str | None = None,
                         authorization: Annotated[str | None, Header()] = None) -> dict[str, Any]:
        """Text messages for this ticket: turn near, rating invitation, 差评 callback notice."""
        admit(ticket_id, track, authorization)
        outbox = _outbox(request)
        masked = await ctx.call(opt_in, outbox, ctx.engine, ticket_id, body.phone, body.consent, body.lang)
        return {"ticket_id": ticket_id, "phone": masked, "subscribed": True}

    @app.delete("/api/v1/tickets/{ticket_id}/sms", response_model=SmsAnswer)
    async def sms_opt_out(ticket_id: str, request: Request, track: str | None = None,
                          authorization: Annotated[str | None, Header()] = None) -> dict[str, Any]:
        """No more messages for this ticket; the number is deleted once nothing is in flight."""
        admit(ticket_id, track, authorization)
        outbox = _outbox(request)
        sub = outbox.subscription(ticket_id)
        if sub is None:
            raise QueueError(404, HallCode.TICKET_NOT_FOUND, f"no SMS opt-in for ticket {ticket_id!r}")
        await ctx.call(outbox.stop_for, ticket_id)
        return {"ticket_id": ticket_id, "phone": sub.phone_mask, "subscribed": False}
