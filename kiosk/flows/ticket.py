"""取号: zone → service (people waiting, minutes) → card where the service is real-name, green
channel offered to the elderly → ticket issued by the hall service → printed, or shown large
with its QR and staff alerted when the printer can't. Where the hall sends text messages, the
ticket screen offers 短信提醒: the citizen types a mobile number on the keypad under a consent
line and the hall service keeps it sealed for this ticket only (queueing/api_sms.py)."""

from __future__ import annotations

import logging
import re
from typing import Any

from kiosk.catalogue import ServiceItem, shown_in
from kiosk.flows.base import Flow, Screen, choice
from queueing.client import HallServiceError
from queueing.codes import HallCode, Priority

log = logging.getLogger(__name__)
GREEN_CHANNEL_AGE = 65
CATCH_ALL = "catch_all"  # 兜底: 不确定办哪项 / 其他事项 (the hall's catch_all_service)
MOBILE = re.compile(r"1[3-9]\d{9}")


class TicketFlow(Flow):
    name = "ticket"

    def __init__(self, core: Any, *, service_id: str | None = None) -> None:
        super().__init__(core)
        self.zone_id: str | None = None
        self.service_id: str | None = None
        self.priority = Priority.NORMAL
        self.result: dict[str, Any] | None = None
        self.error: tuple[str, list[str]] | None = None
        self.state = "zone"
        self.sms_offered = False
        self.phone = ""  # typed on the keypad; cleared once sent
        self.sms_problem = ""
        self.sms_line = ""
        if service_id:
            self._choose_service(service_id)

    @property
    def wants_card(self) -> bool:  # type: ignore[override]
        return self.state == "card"

    def transient_states(self) -> set[str]:
        return {"done", "error", "green"}

    @property
    def in_form(self) -> bool:  # type: ignore[override]
        return self.state == "sms"

    def back(self) -> bool:
        if self.state == "sms":  # back to the ticket, the number forgotten
            self.phone, self.sms_problem, self.state = "", "", "done"
            return True
        return super().back()

    # -- actions -------------------------------------------------------------------------------
    def handle(self, action: str, args: dict[str, Any]) -> None:
        if self.state in ("zone", "service") and action == "choose" and args.get("id") == CATCH_ALL:
            self._catch_all()
            return
        if self.state == "zone" and action == "choose":
            self.zone_id = args["id"]
            self.goto("service")
        elif self.state == "service" and action == "choose":
            self._choose_service(args["id"])
        elif self.state == "green" and action in ("green", "normal"):
            self.priority = Priority.GREEN if action == "green" else Priority.NORMAL
            self._issue()
        elif self.state == "error" and action == "retry":
            self._issue()
        elif self.state == "error" and action == "booking" and self.service_id:  # 今日号源已发完 → 预约
            self.core.start_flow("booking", service_id=self.service_id)
        elif self.state == "done" and action == "sms" and self.sms_offered:
            self.phone, self.sms_problem = "", ""
            self.goto("sms")
        elif self.state == "sms" and action == "key":
            self.phone = self.core.keypad_edit(self.phone, str(args.get("key", "")), limit=11)
            self.sms_problem = ""
        elif self.state == "sms" and action == "ok":
            self._opt_in()

    def _opt_in(self) -> None:
        if not MOBILE.fullmatch(self.phone):
            self.sms_problem = self.tr("ticket.sms.invalid")
            return
        tid = (self.result or {}).get("id", "")
        try:
            answer = self.core.hall.sms_opt_in(tid, self.phone, consent=True, lang=self.core.translator.language)
            self.sms_line = self.tr("ticket.sms.done", phone=answer["phone"])
            self.sms_offered = False
        except HallServiceError as exc:
            if exc.rule is HallCode.INVALID_PHONE:
                self.sms_problem = self.tr("ticket.sms.invalid")
                return
            log.warning("SMS opt-in refused", extra={"ctx": {"code": exc.code}})
            self.sms_line = self.tr("ticket.sms.failed")
        self.phone = ""
        self.state = "done"

    def _choose_service(self, service_id: str) -> None:
        item = self.core.catalogue.service(service_id)
        if item is None:
            return
        self.service_id = service_id
        self.zone_id = item.zone
        if item.real_name:
            self.goto("card")
        else:
            self._issue()

    def _catch_all(self) -> None:
        """兜底: 不确定办哪项 / 其他事项 takes a ticket for the hall's catch-all window."""
        service_id = self.core.catch_all_service
        if service_id:
            self.service_id, self.zone_id = service_id, None
            self._issue()

    def _catch_all_choice(self) -> list[dict[str, Any]]:
        """The 兜底 choice, at the end of a list, when the hall names a catch-all service."""
        self.core.queue_overview()  # the hall's answer names it
        if not self.core.catch_all_service:
            return []
        return [choice(CATCH_ALL, self.tr("ticket.catch_all"), self.tr("ticket.catch_all.sub"))]

    def on_card(self, card: Any) -> None:
        if self.state != "card":
            return
        identity = self.core.identity(card)
        self.core.session.card = card
        if identity.age is not None and identity.age >= GREEN_CHANNEL_AGE:
            self.goto("green")
        else:
            self._issue()

    def _issue(self) -> None:
        id_number = self.core.identity(self.core.session.card).id_number if self.core.session.card else None
        outcome = self.core.issue_ticket(self.service_id, priority=self.priority, id_number=id_number)
        if outcome.error:
            self.error = outcome.error
            self.goto("error")
            return
        self.result = outcome.ticket
        try:
            self.sms_offered = self.core.hall is not None and self.core.hall.sms_enabled()
        except HallServiceError:  # an older hall service, or unreachable: no offer
            self.sms_offered = False
        self.goto("done")

    # -- screens ---------------------------------------------------------------------------------
    def _shown(self, chinese: str, english: str) -> str:
        """Catalogue text in the kiosk's language; Chinese with its note where English is missing."""
        return shown_in(chinese, english, self.core.translator.language, self.tr("catalogue.chinese_only"))

    def _name(self, item: ServiceItem | None) -> str:
        return self._shown(item.name, item.name_en) if item else ""

    def screen(self) -> Screen:
        tr = self.tr
        if self.state == "zone":
            zones = self.core.catalogue.zones
            return Screen("menu", tr("ticket.zone.title"), {
                "choices": [*(choice(z.id, self._shown(z.name, z.name_en)) for z in zones),
                            *self._catch_all_choice()]})
        if self.state == "service":
            overview = self.core.queue_overview()
            choices = []
            for item in self.core.catalogue.in_zone(self.zone_id or ""):
                info = overview.get(item.id)
                if info is None:
                    sub = tr("ticket.service.unknown_wait")
                elif not info.get("open", True):
                    sub = tr("ticket.service.closed")
                else:
                    sub = tr("ticket.service.wait", waiting=info["waiting"], minutes=info["eta_minutes"])
                choices.append(choice(item.id, self._name(item), sub,
                                      enabled=info is None or info.get("open", True)))
            return Screen("menu", tr("ticket.service.title"), {"choices": [*choices, *self._catch_all_choice()]})
        if self.state == "card":
            chosen = self.core.catalogue.service(self.service_id or "")
            return Screen("card", tr("ticket.card.title"), {
                "lines": [tr("ticket.card.why", service=self._name(chosen))],
                "accepts": ["card"]}, speech=tr("speech.insert_card"))
        if self.state == "green":
            return Screen("menu", tr("ticket.green.title"), {
                "lines": [tr("ticket.green.explain")],
                "choices": [choice("green", tr("ticket.green.yes"), accent="green"),
                            choice("normal", tr("ticket.green.no"))], "action": "by_id"})
        if self.state == "sms":
            return Screen("keypad", tr("ticket.sms.title"), {
                "value": self.phone, "layout": "phone", "letters": [], "lines": [tr("ticket.sms.consent")],
                "problem": self.sms_problem, "ok_label": tr("ticket.sms.ok")})
        if self.state == "error":
            title, lines = self.error or (tr("ticket.error.title"), [])
            buttons = [choice("retry", tr("common.retry")), choice("home", tr("common.home"))]
            if title == tr("hall.service_cap_reached.title"):  # 今日号源已发完: another day (kiosk/flows/booking.py)
                buttons.insert(0, choice("booking", tr("booking.offer"), tr("booking.offer.sub")))
            return self.message(title, lines, kind="warning", buttons=buttons)
        return self._ticket_screen()

    def _ticket_screen(self) -> Screen:
        tr = self.tr
        r = self.result or {}
        item = self.core.catalogue.service(self.service_id or "")
        lines = [tr("ticket.done.ahead", waiting=r.get("waiting_ahead", 0), minutes=r.get("eta_minutes", 0))]
        if item and item.window_hint:
            lines.append(tr("ticket.done.where", where=self._shown(item.window_hint, item.window_hint_en)))
        if r.get("printed"):
            lines.append(tr("ticket.done.printed"))
        else:
            lines += [tr("ticket.done.not_printed"), tr("ticket.done.staff_told")]
        if self.sms_line:
            lines.append(self.sms_line)
        buttons = [choice("home", tr("common.finish"))]
        if self.sms_offered:
            buttons.insert(0, choice("sms", tr("ticket.sms.offer"), tr("ticket.sms.offer_sub")))
        return Screen("ticket", tr("ticket.done.title"), {
            "number": r.get("number", ""), "service": self._name(item) or tr("ticket.catch_all"),
            "priority": r.get("priority", "normal"), "lines": lines, "qr": r.get("qr_url", ""),
            "printed": bool(r.get("printed")), "buttons": buttons},
            speech=tr("speech.ticket", number=r.get("number", ""), minutes=r.get("eta_minutes", 0)))
