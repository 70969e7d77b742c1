"""A receipt with personal data that the citizen leaves at the printer's mouth is pulled back in.

Kiosk printer mechanisms with a presenter (``[devices.printer] presenter``, devices/printer/
presenter.py) hold the cut paper at the mouth. After every print job that carries personal data
(the application receipt — name and ID number, masked but still the citizen's — and the thermal
jobs named in :data:`PERSONAL_JOBS`), :class:`ReceiptWatch` presents the paper and asks the
presenter every ``poll_s`` whether it still waits there. Taken before ``[privacy]
receipt_retract_seconds`` run out: nothing more. Still there: the kiosk sends the retract command,
checks that the mouth is empty, writes ``receipt.retracted`` into the audit log for staff (the job
kind and the seconds waited, never what the receipt said) and tells the citizen on screen and aloud
「回执未取走，已收回」. A retract that jams (or is not confirmed) is ``receipt.retract_failed`` in the
audit log and an alert to the hall's staff: the paper with personal data is still at the mouth.
Queue tickets (no personal data) are not watched: they stay at the mouth until someone takes them;
a ticket printed while a receipt is watched ends the watch (the ticket pushed the receipt on, and
what waits at the mouth is the ticket, which must not be retracted).
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Callable
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from devices.printer.presenter import Mouth, PresenterKind

if TYPE_CHECKING:
    from kiosk.app import KioskCore

log = logging.getLogger(__name__)

#: thermal ``print_elements`` job names whose paper carries personal data (``print_receipt`` always does)
class Slip(StrEnum):
    """The kiosk's named thermal jobs (``print_elements``' job name), one spelling for the module
    that prints a slip and for the watch that decides whether it is retracted."""

    BOOKING = "booking"       # 预约 confirmation: masked name and ID, the appointment code
    COMPLAINT = "complaint"   # the complaint's number and follow-up QR: nothing of the person


#: the application receipt (``print_receipt``) and these slips carry personal data
PERSONAL_JOBS = frozenset({"receipt", Slip.BOOKING})
RETRACT_CONFIRM_S = 3.0   # how long the presenter may take to pull the paper in


class ReceiptFate(StrEnum):
    TAKEN = "taken"
    RETRACTED = "retracted"
    RETRACT_FAILED = "retract_failed"   # jammed, or the printer did not confirm the mouth is empty


def job_name(method: str, args: tuple[Any, ...]) -> str:
    if method == "print_receipt":
        return "receipt"
    if method == "print_elements" and len(args) > 1:
        return str(args[1])
    return method.removeprefix("print_")


def carries_personal_data(method: str, args: tuple[Any, ...]) -> bool:
    return method == "print_receipt" or (method == "print_elements" and job_name(method, args) in PERSONAL_JOBS)


class ReceiptWatch:
    """Watches the last personal receipt at the mouth (a newer one replaces the watch)."""

    def __init__(self, manager: Any, retract_after_s: float, on_fate: Callable[[ReceiptFate, str, float], None],
                 *, poll_s: float = 0.25, clock: Callable[[], float] = time.monotonic) -> None:
        self.manager, self.retract_after_s, self.on_fate = manager, retract_after_s, on_fate
        self.poll_s, self.clock = poll_s, clock
        self._generation = 0
        self._watching = False
        self._lock = threading.Lock()

    def printed(self, method: str, args: tuple[Any, ...], result: Any) -> None:
        """DeviceManager.on_printed: present a personal receipt and start watching it."""
        printer = getattr(self.manager, "printer", None)
        if printer is None or printer.presenter is PresenterKind.NONE or self.retract_after_s <= 0:
            return
        job = job_name(method, args)
        if not carries_personal_data(method, args):
            with self._lock:
                if self._watching:
                    # another paper (a queue ticket) came out behind the receipt and pushed it on:
                    # what waits at the mouth now is that paper, never to be retracted
                    log.info("receipt watch ended by the next paper", extra={"ctx": {"job": job}})
                self._generation += 1
            return
        printer.present(math.ceil(self.retract_after_s))
        with self._lock:
            self._generation += 1
            generation = self._generation
            self._watching = True
        threading.Thread(target=self._watch, args=(printer, job, generation), name="receipt-watch",
                         daemon=True).start()

    def _current(self, generation: int) -> bool:
        return generation == self._generation and not getattr(self.manager, "closing", False)

    def _watch(self, printer: Any, job: str, generation: int) -> None:
        try:
            self._follow(printer, job, generation)
        finally:
            with self._lock:
                if generation == self._generation:
                    self._watching = False

    def _follow(self, printer: Any, job: str, generation: int) -> None:
        deadline = self.clock() + self.retract_after_s
        while self._current(generation):
            if printer.presenter_status().mouth is Mouth.EMPTY:
                log.info("receipt taken", extra={"ctx": {"job": job}})
                return
            if self.clock() >= deadline:
                break
            time.sleep(self.poll_s)
        if not self._current(generation):
            return
        printer.retract()
        fate = ReceiptFate.RETRACT_FAILED
        end = self.clock() + RETRACT_CONFIRM_S
        while self.clock() < end:
            if printer.presenter_status().mouth is Mouth.EMPTY:
                fate = ReceiptFate.RETRACTED
                break
            time.sleep(self.poll_s)
        log.info("receipt not taken", extra={"ctx": {"job": job, "fate": fate.value}})
        self.on_fate(fate, job, self.retract_after_s)


def tell(core: KioskCore, fate: ReceiptFate, job: str, after_s: float) -> None:
    """On the kiosk worker: the audit entry for staff (no personal data), the citizen's notice."""
    if core.audit is not None:
        core.audit.record("kiosk", f"receipt.{fate.value}", job=job, after_s=after_s)
    tr = core.translator.tr
    if fate is ReceiptFate.RETRACTED:
        core.notice = tr("notice.receipt_retracted")
        if core.voice is not None and not core.speech_mode:  # speech mode says the notice itself
            try:
                core.voice.say(core.notice, core.translator.language, 0.9, lambda: None)
            except Exception:
                log.warning("receipt notice voice failed")
    else:
        core.alert_staff("printer", tr("alert.receipt_retract_failed", kiosk=core.kiosk_id))
    core._publish()


def watch_receipts(manager: Any, retract_after_s: float, post: Callable[[Callable[[KioskCore], None]], None]) -> None:
    """Wire the watch into a DeviceManager; fates go to the kiosk worker through ``post``."""
    watch = ReceiptWatch(manager, retract_after_s,
                         lambda fate, job, after: post(lambda c: tell(c, fate, job, after)))
    manager.on_printed = watch.printed
