"""Text messages beyond the ticket (issue 18), through the same outbox, dispatcher and gateway as
the ticket's (queueing/sms, docs/sms.md "Beyond the ticket"):

- **booking confirmation** (``booking_confirm``): the kiosk's 预约 done screen offers 短信提醒; the
  kiosk hands the hall the number, the consent, the language, the booking code, the service and
  the slot (no ID number, no name) and the hall texts the confirmation once;
- **ready for pickup** (``pickup_ready``): the kiosk's receipt screen of a case chosen 自取 offers
  the same opt-in; the hall keeps it keyed by the case number, asks the platform's existing
  progress answer (``GET /v1/applications/{receipt_no}``, ``"status": "ready_for_pickup"``) for
  the subscribed cases at a modest interval, a bounded number per round
  (:class:`PickupWatcher`), and texts once when the case is ready.

Both are subscriptions of sms.db like a ticket's, under the keys ``booking:<code>`` and
``case:<receipt no>`` (no ticket id has a colon), so the number is sealed with that key as
associated data, masked for screens and alerts, matched to status reports by its HMAC, and never
logged; the message is keyed by (key, kind), so a replayed opt-in or a second poll of a ready case
creates nothing twice. The dispatcher asks :func:`owed_nothing_more` of these keys: once the one
message is settled the number is deleted. The subscription's ``day`` is the last day the number
may be kept: the booked day for a booking, the opt-in's day plus ``[sms] pickup_days`` for a case;
the dispatcher's day rollover deletes it after that day whatever its state."""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Callable
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Any

from common.i18n import canonical_language, translate
from queueing.codes import HallCode
from queueing.engine import QueueEngine
from queueing.model import QueueError
from queueing.receipt_links import LOCAL_NUMBER, PLATFORM_NUMBER, platform_receipt
from queueing.sms import cmpp
from queueing.sms.outbox import SmsOutbox, mask, valid_mobile

log = logging.getLogger(__name__)

BOOKING = "booking:"
CASE = "case:"
#: a booking code as the platform makes it (``APPT1:ABCD2345``)
BOOKING_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9:_-]{3,39}$")
READY = "ready_for_pickup"


class NoticeKind(StrEnum):
    BOOKING_CONFIRM = "booking_confirm"
    PICKUP_READY = "pickup_ready"


def is_notice(key: str) -> bool:
    """A subscription of this module (a booking or a case), not a ticket's."""
    return key.startswith((BOOKING, CASE))


def owed_nothing_more(outbox: SmsOutbox, key: str) -> bool:
    """The one message of a booking or a case exists (the outbox's purge waits while it is in flight)."""
    return any(m["kind"] in (NoticeKind.BOOKING_CONFIRM, NoticeKind.PICKUP_READY) for m in outbox.messages(key))


def checked_opt_in(phone: str, consent: bool, lang: str) -> tuple[str, str]:
    """Every opt-in's one check (a ticket's, a booking's, a case's): the number cleaned and valid, the
    citizen's consent given; the number and the language of the texts."""
    phone = phone.strip().replace(" ", "").replace("-", "")
    if not valid_mobile(phone):
        raise QueueError(422, HallCode.INVALID_PHONE,
                         "phone must be a mainland mobile number: 11 digits starting 13-19")
    if not consent:
        raise QueueError(422, HallCode.CONSENT_REQUIRED, "the citizen's consent is required")
    try:
        return phone, canonical_language(lang)
    except ValueError:
        return phone, "zh_CN"


def _held_mask(outbox: SmsOutbox, key: str, phone: str) -> str:
    """A second opt-in where the text is owed or sent already: the number held (or this one), masked."""
    sub = outbox.subscription(key)
    return sub.phone_mask if sub is not None and sub.phone_mask else mask(phone)


def _create(outbox: SmsOutbox, key: str, kind: NoticeKind, text: str) -> bool:
    created = outbox.create(key, str(kind), text, len(cmpp.ucs2_parts(text, 0)))
    if created:
        log.info("SMS owed", extra={"ctx": {"key": key, "kind": str(kind)}})
    return created


def subscribe_booking(outbox: SmsOutbox, engine: QueueEngine, *, phone: str, consent: bool, lang: str, code: str,
                      service_id: str, service_name: str, slot_start: datetime, slot_end: datetime) -> str:
    """The booking confirmation for ``code``, owed at once; the number masked. A second opt-in for
    the same booking sends nothing again."""
    phone, lang = checked_opt_in(phone, consent, lang)
    if not BOOKING_CODE.match(code):
        raise QueueError(422, HallCode.INVALID_REQUEST, "code must be the platform's booking code")
    hall = engine.hall
    service = hall.services.get(service_id)
    name = service_name.strip()[:40] or (service.name if service is not None else "")
    if not name:  # a platform's service the hall does not queue is named by the kiosk
        raise QueueError(422, HallCode.UNKNOWN_SERVICE, f"no service {service_id!r} in this hall, and no name")
    start, end = (t.astimezone(hall.tz) if t.tzinfo else t.replace(tzinfo=hall.tz) for t in (slot_start, slot_end))
    day = start.date().isoformat()
    if day < hall.day(engine.clock()) or end < start:
        raise QueueError(422, HallCode.INVALID_REQUEST, "the slot must be today or later")
    key = BOOKING + code
    if outbox.messages(key):  # texted already (or on its way): nothing twice
        return _held_mask(outbox, key, phone)
    masked = outbox.subscribe(key, day, service_id, code, phone, lang)
    text = translate(lang, "sms.booking_confirm", hall=hall.name, day=f"{start:%m-%d}", start=f"{start:%H:%M}",
                     end=f"{end:%H:%M}", service=name, code=code)
    _create(outbox, key, NoticeKind.BOOKING_CONFIRM, text)
    return masked


def subscribe_pickup(outbox: SmsOutbox, engine: QueueEngine, *, phone: str, consent: bool, lang: str,
                     receipt_no: str, keep_days: int) -> str:
    """"Text me when it is ready" for the case ``receipt_no`` (the platform's number, or the kiosk's
    local number of an offline receipt, followed through its receipt link); the number masked."""
    phone, lang = checked_opt_in(phone, consent, lang)
    if not (PLATFORM_NUMBER.match(receipt_no) or LOCAL_NUMBER.match(receipt_no)):
        raise QueueError(422, HallCode.INVALID_RECEIPT, "receipt_no must be a receipt number")
    key = CASE + receipt_no
    if outbox.messages(key):
        return _held_mask(outbox, key, phone)
    today = date.fromisoformat(engine.hall.day(engine.clock()))
    last_day = (today + timedelta(days=keep_days)).isoformat()
    return outbox.subscribe(key, last_day, engine.hall.pickup_service or "", receipt_no, phone, lang)


class PickupWatcher:
    """Asks the platform's progress answer for the subscribed cases not texted yet: every
    ``interval`` seconds, at most ``per_round`` cases a round (in turn when there are more), one
    request at a time. A case the platform says is ``ready_for_pickup`` is owed its text, and the
    dispatcher is woken. A platform that does not answer is asked again next round."""

    def __init__(self, engine: QueueEngine, outbox: SmsOutbox, client_factory: Callable[[], Any], *,
                 interval: float, per_round: int, notify: Callable[[], None] = lambda: None) -> None:
        self.engine, self.outbox, self._factory = engine, outbox, client_factory
        self.interval, self.per_round, self.notify = interval, per_round, notify
        self._client: Any = None
        self._turn = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._down = False

    def start(self) -> PickupWatcher:
        self._thread = threading.Thread(target=self._run, name="hall-sms-pickups", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(10)

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self.step()
            except Exception:  # next round asks again
                log.exception("SMS pickup check failed")

    def waiting(self) -> list[Any]:
        return [s for s in self.outbox.active()
                if s.ticket_id.startswith(CASE) and not self.outbox.messages(s.ticket_id)]

    def step(self) -> int:
        """One round; how many cases became owed their text."""
        from offline_cache.client import PlatformError, PlatformRefused

        subs = self.waiting()
        if not subs:
            return 0
        start = self._turn % len(subs)
        batch = (subs[start:] + subs[:start])[: self.per_round]
        self._turn = start + len(batch)
        if self._client is None:
            self._client = self._factory()
        owed = 0
        for sub in batch:
            receipt_no = sub.number if not LOCAL_NUMBER.match(sub.number) else platform_receipt(
                self.engine.store, sub.number)
            if not receipt_no:
                continue  # an offline receipt not synced yet
            try:
                status = self._client.get_application(receipt_no)
            except PlatformRefused as exc:
                if exc.status == 404:  # not (yet) known to the platform
                    continue
                log.warning("platform refused a case status",
                            extra={"ctx": {"key": sub.ticket_id, "status": exc.status}})
                continue
            except PlatformError as exc:
                if not self._down:
                    log.warning("platform unavailable for pickup checks", extra={"ctx": {"error": str(exc)}})
                self._down = True
                break
            self._down = False
            if status.get("status") == READY:
                text = translate(sub.lang, "sms.pickup_ready", hall=self.engine.hall.name, case=sub.number)
                owed += _create(self.outbox, sub.ticket_id, NoticeKind.PICKUP_READY, text)
        if owed:
            self.notify()
        return owed
