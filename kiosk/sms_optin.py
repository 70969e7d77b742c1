"""短信提醒 beside a done screen other than the ticket's (issue 18): the booking's (its
confirmation by text) and the receipt of a case chosen 自取 ("text me when it is ready").

The same opt-in as the ticket screen's (kiosk/flows/ticket.py): a 短信提醒 button where the hall
sends texts (``GET /api/v1/sms``), the on-screen phone keypad under a consent line, 同意并订阅, a
wrong number answered with ``ticket.sms.invalid`` and nothing sent, the number masked once the
hall has it. The number lives in this object only while typed and is forgotten once sent (or on
返回); the hall keeps it sealed (queueing/sms/case_notices.py). Words are ``<purpose>.sms.*``
(``offer``, ``offer_sub``, ``title``, ``consent``, ``done``, ``failed``), the OK button and the
wrong-number line the ticket's."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from enum import StrEnum
from typing import Any

from kiosk.flows.base import Screen, choice
from queueing.client import HallServiceError
from queueing.codes import HallCode

log = logging.getLogger(__name__)
MOBILE = re.compile(r"1[3-9]\d{9}")
STATE = "sms"


class SmsPurpose(StrEnum):
    BOOKING = "booking"
    PICKUP = "pickup"


class SmsOptIn:
    """One opt-in of one flow; ``send(phone, lang)`` hands the number to the hall (its answer has
    ``phone`` masked). The flow draws :meth:`screen` in state ``sms`` and adds :meth:`button` and
    :meth:`lines` to its done screen."""

    def __init__(self, flow: Any, purpose: SmsPurpose, send: Callable[[str, str], dict[str, Any]],
                 done_state: str = "done") -> None:
        self.flow, self.purpose, self._send, self.done_state = flow, purpose, send, done_state
        self.offered = False
        self.phone = ""
        self.problem = ""
        self.line = ""

    def offer(self) -> None:
        """Offer the opt-in where the hall sends texts (asked once, at the done screen)."""
        hall = self.flow.core.hall
        try:
            self.offered = hall is not None and hall.sms_enabled()
        except HallServiceError:  # an older hall service, or unreachable: no offer
            self.offered = False

    def _tr(self, what: str, **kw: Any) -> str:
        return str(self.flow.tr(f"{self.purpose}.sms.{what}", **kw))

    def back(self) -> bool:
        """返回 on the keypad: back to the done screen, the number forgotten."""
        if self.flow.state != STATE:
            return False
        self.phone, self.problem = "", ""
        self.flow.state = self.done_state
        return True

    def handle(self, action: str, args: dict[str, Any]) -> bool:
        """A tap of the opt-in (on the done screen or the keypad); True when it was one."""
        flow = self.flow
        if flow.state == self.done_state and action == "sms" and self.offered:
            self.phone, self.problem = "", ""
            flow.goto(STATE)
        elif flow.state == STATE and action == "key":
            self.phone = flow.core.keypad_edit(self.phone, str(args.get("key", "")), limit=11)
            self.problem = ""
        elif flow.state == STATE and action == "ok":
            self._opt_in()
        else:
            return False
        return True

    def _opt_in(self) -> None:
        if not MOBILE.fullmatch(self.phone):
            self.problem = self.flow.tr("ticket.sms.invalid")
            return
        try:
            answer = self._send(self.phone, self.flow.core.translator.language)
            self.line = self._tr("done", phone=answer["phone"])
            self.offered = False
        except HallServiceError as exc:
            if exc.rule is HallCode.INVALID_PHONE:
                self.problem = self.flow.tr("ticket.sms.invalid")
                return
            log.warning("SMS opt-in refused", extra={"ctx": {"purpose": str(self.purpose), "code": exc.code}})
            self.line = self._tr("failed")
            self.offered = False
        self.phone = ""
        self.flow.state = self.done_state

    def button(self) -> list[dict[str, Any]]:
        return [choice("sms", self._tr("offer"), self._tr("offer_sub"))] if self.offered else []

    def lines(self) -> list[str]:
        return [self.line] if self.line else []

    def screen(self) -> Screen:
        return Screen("keypad", self._tr("title"), {
            "value": self.phone, "layout": "phone", "letters": [], "lines": [self._tr("consent")],
            "problem": self.problem, "ok_label": self.flow.tr("ticket.sms.ok")})


# -- the two places ---------------------------------------------------------------------------------

def booking_opt_in(flow: Any) -> SmsOptIn:
    """预约's done screen (kiosk/flows/booking.py): the confirmation texted once by the hall, with
    the code, the service and the slot (no ID number, no name)."""

    def send(phone: str, lang: str) -> dict[str, Any]:
        slot = flow.slot
        return dict(flow.core.hall.sms_booking({
            "phone": phone, "consent": True, "lang": lang, "code": str(flow.answer.get("code", "")),
            "service_id": flow.service_id, "service_name": flow._service_name(),
            "slot_start": slot.start.isoformat(timespec="seconds"),
            "slot_end": slot.end.isoformat(timespec="seconds")}))

    return SmsOptIn(flow, SmsPurpose.BOOKING, send)


def pickup_opt_in(flow: Any) -> SmsOptIn:
    """The receipt screen of a submission chosen 自取 (kiosk/flows/submit.py): one text when the
    platform says the case is ready at the 出件 window."""

    def send(phone: str, lang: str) -> dict[str, Any]:
        o = flow.outcome
        return dict(flow.core.hall.sms_pickup(o.receipt_no or o.local_no, phone, consent=True, lang=lang))

    return SmsOptIn(flow, SmsPurpose.PICKUP, send)


def offer_pickup(flow: Any) -> None:
    """At the receipt: offered for a case chosen 自取 that has a number."""
    from kiosk.catalogue import Delivery

    o = flow.outcome
    if getattr(flow.delivery, "method", None) is Delivery.PICKUP and o is not None and (o.receipt_no or o.local_no):
        flow.sms.offer()
