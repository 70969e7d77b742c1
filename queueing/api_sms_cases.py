"""The hall service's SMS opt-ins beyond the ticket (queueing/sms/case_notices.py, docs/sms.md):
the kiosk (kiosk role, or admin) hands over a citizen's number with their consent for

- ``POST /api/v1/sms/bookings`` ``{"phone", "consent": true, "lang", "code", "service_id",
  "service_name", "slot_start", "slot_end"}``: the booking confirmation, texted once;
- ``POST /api/v1/sms/pickups`` ``{"phone", "consent": true, "lang", "receipt_no"}``: one text when
  the platform says the case is ready for pickup.

No ID number and no name come here. The answer holds the number masked only; errors are the
ticket opt-in's (422 ``invalid_phone`` / ``consent_required``, 409 ``sms_disabled``)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import FastAPI, Request
from pydantic import BaseModel, Field

from queueing.api_routes import RouteContext
from queueing.api_sms import SmsOptIn, _outbox
from queueing.sms import case_notices


class BookingSms(SmsOptIn):
    code: str = Field(..., max_length=40, description="the platform's booking code", examples=["APPT1:ABCD2345"])
    service_id: str = Field(..., max_length=32, examples=["S0101"])
    service_name: str = Field("", max_length=80, description="the service as the citizen read it, in `lang`")
    slot_start: datetime
    slot_end: datetime


class PickupSms(SmsOptIn):
    receipt_no: str = Field(..., max_length=64, description="the case's receipt number (or the kiosk's local number)")


class CaseSmsAnswer(BaseModel):
    phone: str = Field(..., description="masked: 138****5678")
    subscribed: bool


def add_routes(app: FastAPI, ctx: RouteContext) -> None:
    @app.post("/api/v1/sms/bookings", response_model=CaseSmsAnswer)
    async def sms_booking(body: BookingSms, request: Request,
                          role: str = ctx.require("kiosk", "admin")) -> dict[str, Any]:
        """Text the citizen this booking's confirmation (once)."""
        outbox = _outbox(request)
        masked = await ctx.call(lambda: case_notices.subscribe_booking(
            outbox, ctx.engine, phone=body.phone, consent=body.consent, lang=body.lang, code=body.code,
            service_id=body.service_id, service_name=body.service_name, slot_start=body.slot_start,
            slot_end=body.slot_end))
        return {"phone": masked, "subscribed": True}

    @app.post("/api/v1/sms/pickups", response_model=CaseSmsAnswer)
    async def sms_pickup(body: PickupSms, request: Request,
                         role: str = ctx.require("kiosk", "admin")) -> dict[str, Any]:
        """One text when the platform says this case is ready for pickup at the 出件 window."""
        outbox = _outbox(request)
        keep_days = int(getattr(request.app.state, "sms_pickup_days", 30))
        masked = await ctx.call(lambda: case_notices.subscribe_pickup(
            outbox, ctx.engine, phone=body.phone, consent=body.consent, lang=body.lang,
            receipt_no=body.receipt_no, keep_days=keep_days))
        return {"phone": masked, "subscribed": True}
