"""预约签到: scan the appointment QR or swipe the ID card → the hall service matches today's
appointments → a priority ticket; too early, too late or not found explained in plain words."""

from __future__ import annotations

from typing import Any

from kiosk.flows.base import Screen, choice
from kiosk.flows.ticket import TicketFlow
from queueing.codes import Priority


class CheckinFlow(TicketFlow):
    name = "checkin"
    wants_scan = True

    def __init__(self, core: Any) -> None:
        super().__init__(core)
        self.state = "identify"
        self.code: str | None = None
        self.rejected = ""

    @property
    def wants_card(self) -> bool:  # type: ignore[override]
        return self.state == "identify"

    def handle(self, action: str, args: dict[str, Any]) -> None:
        if action == "booking" and self.state in ("identify", "error"):  # 预约其他日期 (kiosk/flows/booking.py)
            self.core.start_flow("booking")
        elif self.state == "error" and action == "retry":
            self.goto("identify")

    def on_scan(self, payload: Any) -> None:
        if self.state != "identify":
            return
        kind, text = self.core.classify(payload)
        if kind != "appointment":
            self.rejected = self.tr("checkin.not_appointment")
            return
        self.code, self.rejected = text, ""
        self.core.appointments.ensure_known(text)
        self._check_in(appointment_code=text)

    def on_card(self, card: Any) -> None:
        if self.state != "identify":
            return
        self.core.session.card = card
        # The hall service needs the appointment (or a service) to check in: the card's own
        # booking today is found in the day's list by the card's HMAC, and its code sent.
        id_number = self.core.identity(card).id_number
        code = self.core.appointments.code_for(id_number)
        if code is None:
            tr = self.tr
            self.error = (tr("hall.appointment_not_found.title"), [tr("hall.appointment_not_found.body")])
            self.goto("error")
            return
        self._check_in(appointment_code=code, id_number=id_number)

    def _check_in(self, *, appointment_code: str | None = None, id_number: str | None = None) -> None:
        outcome = self.core.issue_ticket(None, priority=Priority.APPOINTMENT, id_number=id_number,
                                         appointment_code=appointment_code)
        if outcome.error:
            self.error = outcome.error
            self.goto("error")
            return
        self.result = outcome.ticket
        self.service_id = (outcome.ticket or {}).get("service_id")
        self.goto("done")

    def screen(self) -> Screen:
        if self.state == "identify":
            tr = self.tr
            return Screen("card", tr("checkin.title"), {
                "lines": [tr("checkin.how")], "accepts": ["card", "scan"], "problem": self.rejected,
                "buttons": [choice("booking", tr("booking.offer"))]},
                speech=tr("speech.checkin"))
        return super().screen()
