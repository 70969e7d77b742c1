"""预约 at the kiosk, the parts beside the screens (kiosk/flows/booking.py): the platform's bookable
slots and the booking itself (docs/platform-contract.md, "预约号源"), the 错峰 hint from the hall's
own history, and the booking slip on the receipt printer.

The kiosk sends the platform the ID number's HMAC (the hall key's ``id_number_hash``, what the
day's appointment list carries and the hall's check-in by card matches) and the masked name,
never the number itself. A booking id (UUID) is made once per confirmation and reused by every
retry of it, so a lost answer never books twice. Booking needs the live platform: nothing of it
goes into the offline cache.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from kiosk.background import off_worker
from offline_cache.client import PlatformError, PlatformRefused

if TYPE_CHECKING:
    from kiosk.app import Identity, KioskCore

log = logging.getLogger(__name__)

DAYS_SHOWN = 7
#: (connect, read) seconds per platform call while a citizen waits (the client's overall deadline
#: is twice their sum); then 现在无法预约 with 再试一次
TIMEOUTS = (3.0, 8.0)
HINTS_PER_WEEKDAY = 2
HINT_WEEKDAYS = 3


class BookingProblem(StrEnum):
    """Why a booking step did not work; each has ``booking.<value>.title/.body`` words."""

    OFFLINE = "offline"  # the platform cannot be reached (or the kiosk has none)
    UNAVAILABLE = "unavailable"  # the platform does not know the booking calls (404)
    SLOT_FULL = "slot_full"
    ALREADY_BOOKED = "already_booked"
    NONE = "none"  # no bookable slot in the days shown


class BookingFailed(Exception):
    def __init__(self, problem: BookingProblem) -> None:
        super().__init__(str(problem))
        self.problem = problem


@dataclass
class Slot:
    start: datetime
    end: datetime
    kind: str
    left: int


@dataclass
class Day:
    date: str
    slots: list[Slot] = field(default_factory=list)

    @property
    def left(self) -> int:
        return sum(s.left for s in self.slots)


def _client(core: KioskCore) -> Any:
    """A client of its own (closed after the call) with the short timeouts a citizen can wait
    for; the sync engine's keeps its own settings and its own thread."""
    sync = getattr(core, "sync", None)
    if sync is None or getattr(sync, "client", None) is None:
        raise BookingFailed(BookingProblem.OFFLINE)
    client = sync.new_client()
    client.timeout = TIMEOUTS
    return client


def in_background(core: KioskCore, work: Callable[[], Any], deliver: Callable[[Any], None]) -> None:
    """``work()`` off the kiosk worker (a platform call may hang up to its timeouts), then
    ``deliver(result)`` on it (kiosk/background.py); an unexpected failure is logged for staff."""
    def logged() -> Any:
        try:
            return work()
        except BookingFailed:
            raise
        except Exception:
            log.exception("booking: the platform call failed")
            raise

    off_worker(core, logged, lambda c, result: deliver(result), name="booking")


def _refused(exc: PlatformError) -> BookingFailed:
    if isinstance(exc, PlatformRefused):
        if exc.status == 404:
            return BookingFailed(BookingProblem.UNAVAILABLE)
        if exc.code in (BookingProblem.SLOT_FULL, BookingProblem.ALREADY_BOOKED):
            return BookingFailed(BookingProblem(exc.code))
    log.warning("booking: the platform did not answer", extra={"ctx": {"error": type(exc).__name__}})
    return BookingFailed(BookingProblem.OFFLINE)


def available(core: KioskCore) -> bool:
    """The kiosk has a platform to book with (an answer of 404 is learnt when asked)."""
    return getattr(getattr(core, "sync", None), "client", None) is not None


def days(core: KioskCore, service_id: str) -> list[Day]:
    client = _client(core)
    try:
        answer = client.get_booking_slots(core.hall_id, service_id, DAYS_SHOWN)
    except PlatformError as exc:
        raise _refused(exc) from exc
    finally:
        client.close()
    out = []
    for d in answer["days"]:
        slots = [Slot(datetime.fromisoformat(s["start"]), datetime.fromisoformat(s["end"]), str(s.get("kind", "")),
                      int(s.get("left", 0))) for s in d.get("slots", []) if isinstance(s, dict)]
        if slots:
            out.append(Day(str(d["date"]), slots))
    if not out:
        raise BookingFailed(BookingProblem.NONE)
    return out


def book(core: KioskCore, booking_id: str, service_id: str, slot: Slot, who: Identity) -> dict[str, Any]:
    from offline_cache.sealing import id_number_hash

    body = {"booking_id": booking_id, "hall_id": core.hall_id, "service_id": service_id,
            "slot_start": slot.start.isoformat(timespec="seconds"),
            "id_number_hash": id_number_hash(core.hall_key, who.id_number), "name_masked": who.masked_name}
    client = _client(core)
    try:
        answer: dict[str, Any] = client.post_booking(body)
    except PlatformError as exc:
        raise _refused(exc) from exc
    finally:
        client.close()
    log.info("booked", extra={"ctx": {"service": service_id, "slot": body["slot_start"],
                                      "duplicate": answer.get("duplicate")}})
    return answer


def new_booking_id() -> str:
    return str(uuid.uuid4())


def quiet_times(core: KioskCore, shown: list[Day]) -> list[tuple[int, list[int]]]:
    """[(iso weekday, [hours])]: for the weekdays of the days shown, the bookable hours with the
    fewest tickets on that weekday in the hall's history; [] when the hall has no history."""
    if core.hall is None:
        return []
    try:
        history = core.hall.quiet_hours()["by_weekday"]
    except Exception as exc:  # an older hall service or none: no hint, booking goes on
        log.info("no quiet-hours history", extra={"ctx": {"error": type(exc).__name__}})
        return []
    out: list[tuple[int, list[int]]] = []
    for day in shown:
        weekday = datetime.fromisoformat(day.date).isoweekday()
        seen = history.get(str(weekday))
        if not seen or any(w == weekday for w, _ in out):
            continue
        hours = sorted({s.start.hour for s in day.slots})
        load = {h: float(seen.get(f"{h:02d}", 0.0)) for h in hours}
        if len(set(load.values())) < 2:  # every hour alike: nothing to steer by
            continue
        quiet = sorted(hours, key=lambda h: (load[h], h))[:HINTS_PER_WEEKDAY]
        out.append((weekday, sorted(quiet)))
        if len(out) == HINT_WEEKDAYS:
            break
    return out


def print_slip(core: KioskCore, *, service: str, slot: Slot, code: str, who: Identity) -> bool:
    """The booking slip on the receipt printer (masked name and ID, the code as text and QR)."""
    if core.devices is None or getattr(core.devices, "printer", None) is None:
        return False
    try:
        from common.i18n import translate
        from devices.printer.layout import QR, Element, Rule, Text
        from kiosk.receipt_presenter import Slip

        lang = core.translator.language
        when = {"day": slot.start.date().isoformat(), "start": f"{slot.start:%H:%M}", "end": f"{slot.end:%H:%M}"}
        els: list[Element] = [
            Text(core.hall_name, 1, "center", bold=True),
            Text(translate(lang, "paper.booking.title"), 2, "center", bold=True), Rule(),
            Text(translate(lang, "paper.booking.service", service=service)),
            Text(translate(lang, "paper.booking.when", **when)),
            Text(translate(lang, "paper.booking.who", name=who.masked_name, id=who.masked_id)), Rule(),
            Text(translate(lang, "paper.booking.code"), 1, "center"),
            Text(code, 2 if len(code) <= 16 else 1, "center", bold=True),
            QR(code, 5), Text(translate(lang, "paper.booking.checkin"), 1, "center")]
        result = core.devices.print_job("print_elements", els, Slip.BOOKING)
    except Exception:
        log.exception("booking slip printing failed")
        return False
    core.printer_problem = None if result.ok else (result.reason or "printer error")
    return bool(result.ok)
