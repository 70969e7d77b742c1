"""The kiosk core: one citizen session at a time, the current flow, language and elder mode,
what is reachable (hall service, platform, devices), idle wipe, and the adapters through which
flows talk to the hall service, the devices and the offline cache.

Everything here runs on one worker thread (see :class:`kiosk.runtime.KioskRuntime`), so flows
never race each other and a second tap arrives only after the first one's screen changed —
double taps submit once. The UI only renders :meth:`KioskCore.view` and sends actions.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from common.identity import age_on, mask_id_number, mask_name
from kiosk.appointments import AppointmentBook
from kiosk.audit import AuditLog
from kiosk.catalogue import Catalogue, ServiceItem
from kiosk.device_trouble import DeviceTrouble
from kiosk.flows.base import Flow, Screen
from kiosk.flows.home import HomeFlow
from kiosk.help_call import HelpWatch
from kiosk.i18n import Translator
from kiosk.session import IdlePhase, IdlePolicy, IdleWatch, Session
from kiosk.speech import elder_phrase

log = logging.getLogger(__name__)


@dataclass
class Identity:
    """What the kiosk uses of a card: never logged, never shown unmasked."""

    id_number: str
    name: str
    age: int | None
    expired: bool
    card_type: str = ""

    @property
    def masked_name(self) -> str:
        return mask_name(self.name)

    @property
    def masked_id(self) -> str:
        return mask_id_number(self.id_number)


@dataclass
class IssueOutcome:
    ticket: dict[str, Any] | None = None
    error: tuple[str, list[str]] | None = None


class KioskCore:
    def __init__(
        self,
        *,
        catalogue: Catalogue,
        translator: Translator | None = None,
        hall: Any = None,
        devices: Any = None,
        cache: Any = None,
        sync: Any = None,
        pulls: Any = None,
        audit: AuditLog | None = None,
        kiosk_id: str = "kiosk-01",
        hall_id: str = "demo-hall",
        hall_name: str = "",
        voice: Any = None,
        public_base_url: str = "",
        hall_key: str = "",
        idle_policy: IdlePolicy | None = None,
        session_root: str | Path = "data/sessions",
        clock: Callable[[], float] = time.monotonic,
        today: Callable[[], date] = date.today,
        ecard_qr: bool = False,
        speech_blank: bool = True,
    ) -> None:
        self.catalogue = catalogue
        self.translator = translator or Translator()
        self.hall = hall
        self.devices = devices
        self.cache = cache
        self.sync = sync
        self.pulls = pulls
        self.audit = audit
        self.kiosk_id = kiosk_id
        self.legacy_local_through = 0  # records up to this seq carry legacy local numbers (kiosk.applications)
        self.hall_id = hall_id
        self.voice = voice  # a speech engine (kiosk.speech); elder mode speaks each step
        self._spoken = ""
        # speech mode (a blind citizen at headphones and the tactile keypad): the core owns the
        # mode and the headphone voice; what to say on each key is the UI's (ui/speech_nav.py)
        from kiosk.speech_mode import Speaker

        self.speech_mode = False
        self.speech_blank = speech_blank  # the screen goes dark in speech mode (privacy)
        self.speaker = Speaker(voice)
        self.hushed = False  # speech mode ended mid-visit: the loudspeaker says nothing of it either
        self.key_listeners: list[Callable[[str, bool], None]] = []
        self.hall_name = hall_name or catalogue.hall_name
        self.public_base_url = public_base_url.rstrip("/")
        self.hall_key = hall_key  # signs the receipt QR's /a/ token (queueing.public_tokens)
        self.clock = clock
        self.today = today
        self.idle = IdleWatch(idle_policy or IdlePolicy(), clock)
        self.session = Session(Path(session_root))
        self.elder = False
        self.hall_online = True
        self.platform_online = True
        self.printer_problem: str | None = None
        self.card_present = False  # a card lies on the reader (read once; removal clears it)
        self.notice: str | None = None  # one-line toast (e.g. "staff are on their way")
        self.flow: Flow = HomeFlow(self)
        self.listeners: list[Callable[[dict[str, Any]], None]] = []
        self._overview: tuple[float, dict[str, dict[str, Any]]] = (-1e9, {})
        self._ticket_letters: list[str] = []  # the hall's service prefixes, from the same answer
        self.appointments = AppointmentBook(self)  # the hall day's list, handed to the hall service
        self.ecard_qr = ecard_qr  # the hall's counters accept the 电子身份证 QR instead of the card
        self.trouble = DeviceTrouble(self)  # device states: words for the citizen, alerts for staff
        self.help = HelpWatch(self)  # a help call followed until someone acknowledges it (kiosk.help_call)
        # hands a job to the kiosk worker from another thread (set by KioskRuntime); None: inline
        self.outage: str | None = None  # why the kiosk is out of service (its cache did not open)
        self.to_worker: Callable[[Callable[[KioskCore], None]], None] | None = None
        self.complaint_reporter: Any = None  # files locally numbered complaints with the hall (kiosk.complaints)
        self.catch_all_service: str | None = None  # 兜底: the hall's 不确定办哪项 / 其他事项 service

    # -- flows ----------------------------------------------------------------------------------
    def start_flow(self, name: str, **kwargs: Any) -> None:
        from kiosk.flows import registry

        self.flow = registry.create(name, self, **kwargs)

    def go_home(self, *, wipe: bool = True) -> None:
        if wipe:
            removed = self.session.wipe()
            if removed:
                log.info("session wiped", extra={"ctx": {"files": removed}})
            self.session = Session(self.session.root)
        self.flow = self._home()
        self.notice = None

    def _home(self) -> Flow:
        """Home, or 暂停服务 while the kiosk cannot keep data safely (``outage`` set at start)."""
        if self.outage:
            from kiosk.flows.outage import OutageFlow

            return OutageFlow(self)
        return HomeFlow(self)

    def act(self, action: str, **args: Any) -> None:
        """An action from the screen (a tap). Global actions work on every screen."""
        self.idle.touch()
        self.notice = None if action != "help" else self.notice
        held = self.flow.holds_citizen
        if held and action in ("home", "back"):
            self.notice = held  # said in words, and the screen stays until the receipt is shown
        elif action == "home":
            # 完成 and 返回首页 end this citizen's visit: the next one starts in Chinese, normal mode.
            self.go_home()
            self.reset_mode()
        elif action == "back":
            if not self.flow.back():
                self.go_home()
        elif action == "language":
            self.translator.language = args.get("language") or ("en" if self.translator.language == "zh_CN"
                                                                  else "zh_CN")
        elif action == "elder":
            self.elder = bool(args.get("on", not self.elder))
        elif action == "help":
            self.call_staff()
        elif action == "touch":
            pass
        elif action == "start" and not self.outage:
            self.start_flow(args["flow"])
        else:
            self.flow.handle(action, args)
        self._publish()

    def card_read(self, card: Any) -> None:
        self.idle.touch()
        self.card_present = True
        if self.flow.wants_card:
            self.flow.on_card(card)
        else:
            self.notice = self.translator.tr("notice.card_not_needed")
        self._publish()

    def device_changed(self, kind: str, state: str, reason: str | None) -> None:
        """A device reported a new state (kiosk.device_trouble decides who hears of it)."""
        self.trouble.changed(kind, state, reason)
        self._publish()

    def keypad_pressed(self, key: str) -> None:
        """A key of the tactile keypad: the first one starts speech mode; every key goes to the
        listeners (the UI's speech navigation) with whether it was the one that started it."""
        self.idle.touch()
        started = not self.speech_mode
        if started and not self.speaker.ready():
            return  # jack sensing and no headphones in: nothing of the visit is said aloud
        if started:
            self.set_speech_mode(True)
        for listener in list(self.key_listeners):
            listener(key, started)

    def set_speech_mode(self, on: bool) -> None:
        """Headphones plugged in (or a keypad key) / out (or a new citizen): speech mode on or off."""
        if on == self.speech_mode:
            return
        self.speech_mode = on
        log.info("speech mode", extra={"ctx": {"on": on}})
        if not on:
            self.speaker.stop()
            self.speaker.forget()  # what was said to this citizen goes with the visit
            self.hushed = True     # and the loudspeaker (elder mode, help answer) stays silent
        self._publish()

    def card_removed(self) -> None:
        self.card_present = False
        self._publish()

    def scanned(self, payload: Any) -> None:
        self.idle.touch()
        if self.flow.wants_scan:
            self.flow.on_scan(payload)
        else:
            self.notice = self.translator.tr("notice.scan_not_needed")
        self._publish()

    def reset_mode(self) -> None:
        """A new citizen: Chinese, normal (not elder) mode."""
        self.elder = False
        self.hushed = False
        self.translator.language = "zh_CN"

    def _pristine(self) -> bool:
        """Home, nothing given, default mode: what a new citizen finds (no idle watch needed)."""
        return (isinstance(self.flow, HomeFlow) and self.session.is_empty() and not self.elder
                and not self.speech_mode and not self.hushed and self.translator.language == "zh_CN")

    def tick(self) -> None:
        """Called about once a second: the appointment list refresh, idle countdown and wipe (also
        of a language or elder mode chosen at home by someone who then walked away)."""
        self.appointments.refresh_if_due()
        self._follow_help()
        if self._pristine() or self.flow.holds_citizen:
            return
        phase, _ = self.idle.phase(in_form=self.flow.in_form, elder=self.elder)
        if phase is IdlePhase.EXPIRED:
            log.info("idle timeout", extra={"ctx": {"flow": self.flow.name}})
            self.go_home()
            self.set_speech_mode(False)  # the next citizen starts it again (headphones or a key)
            self.reset_mode()
            self._publish()
        elif phase is IdlePhase.COUNTDOWN:
            self._publish()

    # -- view -----------------------------------------------------------------------------------
    def view(self) -> dict[str, Any]:
        screen: Screen = self.flow.screen()
        phase, left = (IdlePhase.ACTIVE, 0)
        if not self._pristine():
            phase, left = self.idle.phase(in_form=self.flow.in_form, elder=self.elder)
        return {
            "screen": self.trouble.decorate(screen.as_dict()),
            "flow": self.flow.name,
            "state": self.flow.state,
            "language": self.translator.language,
            "elder": self.elder,
            "speech": self.speech_mode,
            "speech_blank": self.speech_mode and self.speech_blank,
            "banner": self.banner(),
            "countdown": left if phase is IdlePhase.COUNTDOWN else 0,
            "notice": self.notice or self._card_notice(),
            "labels": {k: self.translator.tr(f"common.{k}") for k in
                       ("home", "back", "help", "language", "elder", "countdown", "stay", "window_title")},
        }

    def _card_notice(self) -> str:
        # A card left on the reader is never reused for a new step: privacy first, the citizen
        # places it again. At home it is a reminder to take it.
        if not self.card_present:
            return ""
        if self.flow.wants_card:
            return self.translator.tr("notice.replace_card")
        if isinstance(self.flow, HomeFlow):
            return self.translator.tr("notice.take_card")
        return ""

    def subscribe(self, listener: Callable[[dict[str, Any]], None]) -> None:
        self.listeners.append(listener)

    def _publish(self) -> None:
        if not self.listeners and (self.voice is None or not self.elder):
            return
        view = self.view()
        self._speak(view)
        for listener in list(self.listeners):
            listener(view)

    def _speak(self, view: dict[str, Any]) -> None:
        """Elder mode: say each new step once (never the same phrase twice in a row)."""
        if not self.elder or self.voice is None or self.speech_mode or self.hushed:
            return  # speech mode says more, in its own order (ui/speech_nav.py)
        key, text = elder_phrase(view, self.translator.tr)
        if not text or key == self._spoken:
            return
        self._spoken = key
        try:
            self.voice.say(text, self.translator.language, 0.9, lambda: None)
        except Exception:
            log.warning("elder-mode voice failed")

    def what_works(self) -> dict[str, bool]:
        return {"ticket": self.hall_online, "checkin": self.hall_online, "rating": True,
                "submit": self.cache is not None, "guide": True, "progress": True}

    def banner(self) -> dict[str, str] | None:
        tr = self.translator.tr
        if not self.hall_online:
            return {"kind": "offline", "text": tr("banner.hall_offline")}
        if not self.platform_online:
            return {"kind": "offline", "text": tr("banner.platform_offline")}
        if self.printer_problem:
            return {"kind": "warning", "text": tr("banner.printer")}
        return None

    # -- helpers for flows ----------------------------------------------------------------------
    def item_name(self, item: ServiceItem | None) -> str:
        return self.translator.pick(item.name, item.name_en) if item else ""

    def time_limit(self, item: ServiceItem) -> str:
        tr = self.translator.tr
        return tr("guide.same_day") if item.kind == "即办件" else tr("guide.promised", days=item.promised_days)

    def identity(self, card: Any) -> Identity:
        """Adapter from the device layer's card record to what flows use."""
        id_number = getattr(card, "id_number", "")
        birth = getattr(card, "birth_date", None)
        try:
            age = age_on(birth or id_number, self.today())
        except (ValueError, TypeError):
            age = None
        is_expired = getattr(card, "is_expired", None)
        expired = bool(is_expired(self.today())) if callable(is_expired) else bool(is_expired)
        return Identity(id_number=id_number, name=getattr(card, "name", ""), age=age, expired=expired,
                        card_type=str(getattr(card, "card_type", "")))

    def queue_overview(self) -> dict[str, dict[str, Any]]:
        """People waiting and minutes per service, refreshed at most every 3 s."""
        stamp, cached = self._overview
        if self.hall is None or self.clock() - stamp < 3:
            return cached
        try:
            answer = self.hall.services()
            services = answer["services"]
            overview = {
                s["id"]: {"waiting": s.get("waiting", 0), "open": s.get("open_now", True),
                          "eta_minutes": s.get("eta_minutes", 0)}
                for s in services
            }
            self._ticket_letters = sorted({str(s["prefix"]) for s in services if s.get("prefix")})
            named = answer.get("catch_all_service")  # 兜底: only a service the hall has
            self.catch_all_service = str(named) if named and any(x.get("id") == named for x in services) else None
            if not self.hall_online and self.complaint_reporter is not None:
                self.complaint_reporter.wake()  # back: the complaints numbered here go to the hall now
            self.hall_online = True
        except Exception as exc:  # the hall client raises its own errors; any failure = unknown
            log.warning("hall service overview failed", extra={"ctx": {"error": type(exc).__name__}})
            self.hall_online = False
            overview = cached
        self._overview = (self.clock(), overview)
        return overview

    def ticket_letters(self) -> list[str]:
        """The letters this hall's ticket numbers start with (its services' prefixes, A–Z), for
        the keypad on which a citizen types a ticket number. The last known set while the hall
        service is unreachable; empty before it was ever reached."""
        self.queue_overview()
        return list(self._ticket_letters)

    def issue_ticket(self, service_id: str | None, *, priority: str = "normal", id_number: str | None = None,
                     appointment_code: str | None = None) -> IssueOutcome:
        from kiosk.tickets import issue_and_print

        return issue_and_print(self, service_id, priority=priority, id_number=id_number,
                               appointment_code=appointment_code)

    def call_staff(self) -> None:
        self.notice = self.help.call()

    def _follow_help(self) -> None:
        """Someone acknowledged the help call: say who is coming, on screen and aloud."""
        coming = self.help.poll()
        if coming is None:
            return
        self.notice = coming
        if self.voice is not None and not self.speech_mode and not self.hushed:  # speech mode says it itself
            try:
                self.voice.say(coming, self.translator.language, 0.9, lambda: None)
            except Exception:
                log.warning("help-call voice failed")
        self._publish()

    def alert_staff(self, kind: str, message: str) -> bool:
        try:
            if self.hall is not None:
                self.hall.raise_alert(kind, self.kiosk_id, message)
                return True
        except Exception:
            log.warning("staff alert could not reach the hall service", extra={"ctx": {"kind": kind}})
        return False

    def public_url(self, path: str) -> str:
        return f"{self.public_base_url}{path}" if self.public_base_url else path

    @staticmethod
    def keypad_edit(value: str, key: str, *, limit: int, extra: str = "") -> str:
        """On-screen keypad: one character (letters, digits and the ``extra`` ones), "del" or "clear"."""
        if key == "del":
            return value[:-1]
        if key == "clear":
            return ""
        fits = len(key) == 1 and (key.isalnum() or key in extra)
        return (value + key)[:limit] if fits else value

    def classify(self, payload: Any) -> tuple[str, str]:
        """(kind, value) of a scanned code: appointment codes come back whole (``APPT1:…``)."""
        if not hasattr(payload, "kind"):
            from devices.scanner.classify import classify

            payload = classify(payload, base_url=self.public_base_url or None)
        kind, value = str(payload.kind), str(payload.value)
        if kind == "appointment":
            from devices.scanner.classify import APPOINTMENT_PREFIX

            value = APPOINTMENT_PREFIX + value
        return kind, value

    # -- documents, applications, ratings (see kiosk.applications) -----------------------------
    def take_document_photo(self, name: str) -> str:
        from kiosk.applications import take_document_photo

        return take_document_photo(self, name)

    def submit_application(self, flow: Any) -> Any:
        from kiosk.applications import submit_application

        return submit_application(self, flow)

    def finish_application(self, flow: Any, outcome: Any, done: Callable[[Any], None]) -> None:
        from kiosk.applications import finish_application

        finish_application(self, flow, outcome, done)

    def application_status(self, receipt_no: str) -> dict[str, Any]:
        from kiosk.applications import application_status

        return application_status(self, receipt_no)

    def receipts_for(self, id_number: str) -> list[str]:
        from kiosk.applications import receipts_for

        return receipts_for(self, id_number)

    def submit_complaint(self, topic: str, text: str) -> Any:
        """A ``kiosk.complaints.ComplaintOutcome``: the number (the hall's, or this kiosk's)."""
        from kiosk.complaints import submit

        return submit(self, topic, text)

    def complaint_status(self, number: str) -> dict[str, Any]:
        from kiosk.complaints import status

        return status(self, number)

    def find_ticket(self, *, number: str | None = None, token: str | None = None,
                    ticket_id: str | None = None) -> dict[str, Any] | None:
        from kiosk.ratings import find_ticket

        return find_ticket(self, number=number, token=token, ticket_id=ticket_id)

    def submit_rating(self, ticket: dict[str, Any], level: str, reasons: list[str],
                      comment: str, scores: dict[str, int] | None = None) -> tuple[str, list[str]] | None:
        from kiosk.ratings import submit_rating

        return submit_rating(self, ticket, level, reasons, comment, scores)

    def submit_followup(self, ticket: dict[str, Any], comment: str) -> tuple[str, list[str]] | None:
        from kiosk.ratings import submit_followup

        return submit_followup(self, ticket, comment)
