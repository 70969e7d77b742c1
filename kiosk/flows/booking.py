"""预约: zone → service → ID card → day → time (with 错峰 hints from the hall's history) → confirm →
the platform books it → the slip with the appointment code is printed; on the day the citizen
checks in with the card or the code (kiosk/flows/checkin.py). Started from the 预约签到 screen and
from the 今日号源已发完 answer of 取号 (``service_id`` given: straight to the card). The platform
work is kiosk/booking.py; a platform that is down or does not offer booking is said in plain
words, and nothing of the citizen is kept."""

from __future__ import annotations

from typing import Any

from kiosk import booking
from kiosk.booking import BookingFailed, BookingProblem, Day, Slot
from kiosk.catalogue import shown_in
from kiosk.flows.base import Flow, Screen, choice
from kiosk.sms_optin import STATE as SMS_STATE
from kiosk.sms_optin import booking_opt_in


class BookingFlow(Flow):
    name = "booking"

    def __init__(self, core: Any, *, service_id: str | None = None) -> None:
        super().__init__(core)
        self.state = "zone"
        self.zone_id = ""
        self.service_id = ""
        self.days: list[Day] = []
        self.quiet: list[tuple[int, list[int]]] = []  # 错峰: asked of the hall once, with the days
        self.day: Day | None = None
        self.slot: Slot | None = None
        self.booking_id = ""  # one per confirmation: a retry sends the same
        self.answer: dict[str, Any] = {}
        self.printed = False
        self.problem: BookingProblem | None = None
        self.sms = booking_opt_in(self)  # 短信提醒 on the done screen (kiosk/sms_optin.py)
        if not booking.available(core):
            self._fail(BookingProblem.UNAVAILABLE)
        elif service_id and core.catalogue.service(service_id) is not None:
            self.service_id = service_id
            self.state = "card"

    @property
    def wants_card(self) -> bool:  # type: ignore[override]
        return self.state == "card"

    @property
    def in_form(self) -> bool:  # type: ignore[override]
        return self.state == SMS_STATE

    def back(self) -> bool:
        return self.sms.back() or super().back()

    @property
    def holds_citizen(self) -> str:
        # the platform may be booking this citizen's slot now: its slip is on its way
        return str(self.tr("notice.booking")) if self.state == "booking" else ""

    def transient_states(self) -> set[str]:
        return {"problem", "done", "loading", "booking"}

    def _fail(self, problem: BookingProblem) -> None:
        self.problem = problem
        self.goto("problem")

    def _tr_name(self, chinese: str, english: str) -> str:
        return shown_in(chinese, english, self.core.translator.language, self.tr("catalogue.chinese_only"))

    def _service_name(self) -> str:
        item = self.core.catalogue.service(self.service_id)
        return self._tr_name(item.name, item.name_en) if item else self.service_id

    # -- actions -------------------------------------------------------------------------------
    def handle(self, action: str, args: dict[str, Any]) -> None:
        chosen = str(args.get("id", ""))
        if self.state in ("done", SMS_STATE) and self.sms.handle(action, args):
            return
        if self.state == "zone" and action == "choose":
            self.zone_id = chosen
            self.goto("service")
        elif self.state == "service" and action == "choose" and self.core.catalogue.service(chosen):
            self.service_id = chosen
            self.goto("card")
        elif self.state == "day" and action == "choose":
            self.day = next((d for d in self.days if d.date == chosen), None)
            if self.day is not None:
                self.goto("slot")
        elif self.state == "slot" and action == "choose" and self.day is not None:
            self.slot = next((s for s in self.day.slots if s.start.isoformat() == chosen and s.left > 0), None)
            if self.slot is not None:
                self.booking_id = booking.new_booking_id()
                self.goto("confirm")
        elif self.state == "confirm" and action == "confirm":
            self._book()
        elif self.state == "problem" and action == "retry":
            self._retry()

    def on_card(self, card: Any) -> None:
        if self.state != "card":
            return
        self.core.session.card = card
        self._load_days()

    def _current(self, state: str) -> bool:
        """A platform answer arriving late still belongs on the screen."""
        return self.core.flow is self and self.state == state

    def _answered(self, state: str, result: Any) -> bool:
        """Whether the platform's late answer is for the screen still shown and a good one; a
        refusal or a failure is said on it instead."""
        if not self._current(state):
            return False
        if isinstance(result, BookingFailed):
            self._fail(result.problem)
            return False
        if isinstance(result, Exception):
            self._fail(BookingProblem.OFFLINE)
            return False
        return True

    def _load_days(self) -> None:
        """正在查询: the platform's days off the worker (the screen answers meanwhile)."""
        self.goto("loading")
        service_id = self.service_id

        def arrived(result: Any) -> None:
            if not self._answered("loading", result):
                return
            self.days = result
            self.quiet = booking.quiet_times(self.core, self.days)
            self.goto("day")

        booking.in_background(self.core, lambda: booking.days(self.core, service_id), arrived)

    def _book(self) -> None:
        """正在预约: the booking off the worker; the screen stays (holds_citizen) until it is answered."""
        if self.slot is None or self.core.session.card is None:
            return
        who = self.core.identity(self.core.session.card)
        slot, booking_id, service_id = self.slot, self.booking_id, self.service_id
        self.goto("booking")

        def arrived(result: Any) -> None:
            if self._current("booking") and self.core.notice == self.holds_citizen:
                self.core.notice = None  # answered: the wait is over
            if not self._answered("booking", result):
                return
            self.answer = result
            self.printed = booking.print_slip(self.core, service=self._service_name(), slot=slot,
                                              code=str(self.answer["code"]), who=who)
            self.sms.offer()
            self.goto("done")

        booking.in_background(self.core, lambda: booking.book(self.core, booking_id, service_id, slot, who),
                              arrived)

    def _retry(self) -> None:
        """再试一次: the step that failed, with the same booking id when it was the booking."""
        if self.problem is BookingProblem.SLOT_FULL:
            self.slot = None
            self._load_days()
        elif self.booking_id and self.slot is not None:
            self.state = "confirm"
            self._book()
        elif self.core.session.card is not None and self.service_id:
            self._load_days()
        else:
            self.state = "zone"

    # -- screens -------------------------------------------------------------------------------
    def _when(self, slot: Slot) -> dict[str, str]:
        weekday = self.tr(f"booking.weekday.{slot.start.isoweekday()}")
        return {"day": f"{slot.start:%m-%d} {weekday}", "start": f"{slot.start:%H:%M}", "end": f"{slot.end:%H:%M}"}

    def _hints(self) -> list[str]:
        quiet = self.quiet
        if not quiet:
            return []
        sep = self.tr("booking.hint.sep")
        times = sep.join(self.tr(f"booking.weekday.{w}") + " " + " ".join(f"{h:02d}:00–{h + 1:02d}:00" for h in hours)
                         for w, hours in quiet)
        return [self.tr("booking.hint", times=times)]

    def screen(self) -> Screen:
        tr = self.tr
        if self.state == "zone":
            return Screen("menu", tr("booking.zone.title"), {
                "choices": [choice(z.id, self._tr_name(z.name, z.name_en)) for z in self.core.catalogue.zones]},
                speech=tr("speech.booking"))
        if self.state == "service":
            return Screen("menu", tr("booking.service.title"), {"choices": [
                choice(i.id, self._tr_name(i.name, i.name_en)) for i in self.core.catalogue.in_zone(self.zone_id)]})
        if self.state == "card":
            return Screen("card", tr("booking.card.title"), {
                "lines": [tr("booking.card.why", service=self._service_name())], "accepts": ["card"]},
                speech=tr("speech.insert_card"))
        if self.state == "day":
            choices = []
            for d in self.days:
                first = d.slots[0]
                label = self._when(first)["day"]
                sub = tr("booking.left", left=d.left) if d.left else tr("booking.full")
                choices.append(choice(d.date, label, sub, enabled=d.left > 0))
            return Screen("menu", tr("booking.day.title"), {"choices": choices, "lines": self._hints()})
        if self.state == "slot" and self.day is not None:
            choices = []
            for s in self.day.slots:
                when = self._when(s)
                kind = tr(f"booking.kind.{s.kind}") if s.kind in ("extended", "weekend") else ""
                sub = tr("booking.left", left=s.left) if s.left else tr("booking.full")
                choices.append(choice(s.start.isoformat(), f"{when['start']}–{when['end']}",
                                      f"{sub} {kind}".strip(), enabled=s.left > 0))
            return Screen("menu", f"{tr('booking.slot.title')} · {self._when(self.day.slots[0])['day']}",
                          {"choices": choices, "lines": self._hints()})
        if self.state == "confirm" and self.slot is not None and self.core.session.card is not None:
            who = self.core.identity(self.core.session.card)
            return Screen("menu", tr("booking.confirm.title"), {
                "lines": [tr("booking.confirm.line", service=self._service_name(), **self._when(self.slot)),
                          tr("booking.confirm.who", name=who.masked_name, id=who.masked_id)],
                "choices": [choice("confirm", tr("booking.confirm.ok"), accent="green")], "action": "by_id"})
        if self.state == "loading":
            return self.message(tr("booking.loading"), [tr("booking.loading.body")])
        if self.state == "booking":
            return self.message(tr("booking.sending"), [tr("booking.sending.body")], buttons=[])
        if self.state == SMS_STATE:
            return self.sms.screen()
        if self.state == "done" and self.slot is not None:
            lines = [tr("booking.done.code", code=str(self.answer.get("code", ""))),
                     tr("booking.done.when", **self._when(self.slot)),
                     tr("booking.done.printed") if self.printed else tr("booking.done.not_printed"),
                     *self.sms.lines()]
            return self.message(tr("booking.done.title"), lines, kind="ok",
                                buttons=[*self.sms.button(), choice("home", tr("common.finish"))])
        problem = self.problem or BookingProblem.OFFLINE
        buttons = [choice("home", tr("common.home"))]
        if problem in (BookingProblem.OFFLINE, BookingProblem.SLOT_FULL):
            buttons.insert(0, choice("retry", tr("common.retry")))
        return self.message(tr(f"booking.{problem}.title"), [tr(f"booking.{problem}.body")], kind="warning",
                            buttons=buttons)
