"""A complaint or suggestion (吐槽找茬) at the kiosk: the hall gives it a number, the citizen
sees it on screen and takes it home on a slip, and it reaches the platform exactly once.

:func:`submit` files it with the hall service (queueing/api_complaints.py) under a uuid of the
kiosk's own, then keeps it in the offline cache under that same uuid, the record id the platform
deduplicates on (a retry never makes a second one). When the hall cannot be reached the
complaint is still taken: numbered locally like an offline receipt
(``TS-<kiosk code>-<date>-<seq>``, kiosk/applications.py ``local_number``) and the slip says the
hall will see it once the kiosk reaches it; :class:`ComplaintReporter` files it then, with that
number (idempotent on the uuid). The slip and the screen carry the number, the topic and the
phone page's QR (``/c/<token>``, signed with the hall key); never the citizen's text."""

from __future__ import annotations

import logging
import time
import uuid
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from kiosk.app import KioskCore

from kiosk.passes import WatermarkPass

log = logging.getLogger(__name__)
PREFIX = "TS-"


@dataclass
class ComplaintOutcome:
    number: str = ""
    offline: bool = False  # numbered by this kiosk: the hall hears of it later
    qr_url: str = ""
    printed: bool = False
    error: tuple[str, list[str]] | None = None


def local_complaint_number(core: KioskCore, seq: int, day: date | None = None) -> str:
    from kiosk.applications import local_number

    return PREFIX + local_number(core, seq, day)


def record_number(core: KioskCore, record: Any) -> str:
    """The local number printed for a cached complaint record (the day it was taken, its seq)."""
    try:
        day: date | None = date.fromisoformat(str(record.created_at)[:10])
    except ValueError:
        day = None
    return local_complaint_number(core, record.seq, day)


def phone_path(core: KioskCore, number: str) -> str:
    from queueing.public_tokens import complaint_token

    if not core.hall_key:
        log.warning("no hall key configured: the complaint QR cannot be signed")
        return ""
    return f"/c/{complaint_token(core.hall_key, number)}"


def submit(core: KioskCore, topic: str, text: str) -> ComplaintOutcome:
    tr = core.translator.tr
    failed = ComplaintOutcome(error=(tr("rating.failed"), [tr("rating.failed.body")]))
    complaint_id = str(uuid.uuid4())
    created = datetime.now().astimezone().isoformat(timespec="seconds")
    number: str | None = None
    if core.hall is not None:
        try:
            number = str(core.hall.file_complaint(complaint_id, topic, text, filed_at=created)["complaint"]["number"])
            core.hall_online = True
        except Exception as exc:  # unreachable or refusing: taken here, reported later
            log.warning("hall did not take the complaint: numbered locally",
                        extra={"ctx": {"error": type(exc).__name__, "code": getattr(exc, "code", None)}})
            core.hall_online = getattr(exc, "status", 0) != 0
    if core.cache is None:
        if number is None:
            return failed
        log.error("no offline cache: the complaint reaches the hall but not the platform")
    else:
        try:
            # The text is free writing and may name people: it is sealed like personal data.
            core.cache.enqueue("complaint", {"complaint_id": complaint_id, "number": number, "topic": topic,
                                             "text": text, "hall_id": core.hall_id, "kiosk_id": core.kiosk_id,
                                             "created_at": created},
                               personal_fields={"text"}, record_id=complaint_id)
        except Exception:
            log.exception("complaint could not be stored")
            if number is None:
                return failed
        else:
            if number is None:
                info = core.cache.get(complaint_id)
                number = record_number(core, info) if info else local_complaint_number(core, 0)
                if core.complaint_reporter is not None:
                    core.complaint_reporter.wake()
            if core.sync is not None:
                core.sync.sync_now()
    assert number is not None
    outcome = ComplaintOutcome(number=number, offline=number.count("-") == 3)
    path = phone_path(core, number)
    outcome.qr_url = core.public_url(path) if path else ""
    outcome.printed = print_slip(core, outcome, topic)
    log.info("complaint taken", extra={"ctx": {"number": number, "offline": outcome.offline,
                                                "printed": outcome.printed}})
    return outcome


def print_slip(core: KioskCore, outcome: ComplaintOutcome, topic: str) -> bool:
    """The complaint slip (投诉受理回执) on the receipt printer; False when it could not print."""
    if core.devices is None or getattr(core.devices, "printer", None) is None:
        return False
    try:
        from common.i18n import translate
        from devices.printer.layout import QR, Element, Rule, Text
        from kiosk.receipt_presenter import Slip

        lang = core.translator.language

        def lines(key: str, size: int = 1, align: str = "left", bold: bool = False, **fmt: object) -> list[Element]:
            return [Text(line, size, align, bold=bold) for line in translate(lang, key, **fmt).split("\n")]

        els: list[Element] = [Text(core.hall_name, 1, "center", bold=True),
                              *lines("paper.complaint.title", 2, "center", bold=True), Rule(),
                              *lines("paper.complaint.number", 1, "center"),
                              Text(outcome.number, 2 if len(outcome.number) <= 16 else 1, "center", bold=True),
                              *lines("paper.complaint.topic", topic=translate(lang, f"complaint.topic.{topic}")),
                              *lines("paper.complaint.filed_at", when=time.strftime("%Y-%m-%d %H:%M"))]
        if outcome.offline:
            els += lines("paper.complaint.offline", bold=True)
        if outcome.qr_url:
            els += [QR(outcome.qr_url, 5), *lines("paper.complaint.scan", 1, "center")]
        els += [Rule(), *lines("paper.complaint.follow")]
        result = core.devices.print_job("print_elements", els, Slip.COMPLAINT)
    except Exception:
        log.exception("complaint slip printing failed")
        return False
    core.printer_problem = None if result.ok else (result.reason or "printer error")
    return bool(result.ok)


def status(core: KioskCore, number: str) -> dict[str, Any]:
    """A complaint's state and the hall's reply, for 进度查询 (``error``: a catalogue key)."""
    from queueing.client import HallServiceError

    if core.hall is None:
        return {"number": number, "error": "progress.unavailable"}
    try:
        return {"number": number, **core.hall.complaint(number)}
    except HallServiceError as exc:
        if exc.status == 404:
            # a number this kiosk gave while the hall was away: taken, on its way
            mine = number.count("-") == 3 and number.split("-")[1] == _code(core)
            return {"number": number, "error": "complaint.pending" if mine else "complaint.not_found"}
        if exc.status == 0:
            core.hall_online = False
        return {"number": number, "error": "progress.unavailable"}


def _code(core: KioskCore) -> str:
    from kiosk.applications import kiosk_code

    return kiosk_code(core.kiosk_id)


class ComplaintReporter(WatermarkPass):
    """Files with the hall every complaint this kiosk numbered locally, once it can reach it.

    A pass walks the cache's complaint records after the watermark (the last ``seq`` below which
    every complaint is known to the hall) and files those the hall did not number, with their
    local number; the hall keeps a complaint once (its uuid), so a pass repeated after a crash
    files nothing twice. Runs on its own thread, woken when a complaint is numbered locally or
    the kiosk sees the hall again, every ``retry_s`` while one waits for an absent hall and every
    ``interval_s`` otherwise; never blocks the kiosk worker."""

    name = "complaint-reports"

    def __init__(self, core: KioskCore, cache: Any, hall: Any, mark_file: Path, *, interval_s: float = 60.0,
                 retry_s: float = 5.0) -> None:
        self.core, self.cache, self.hall = core, cache, hall
        super().__init__(interval_s, mark_file)
        self.retry_s = retry_s
        self.waiting = False  # the last pass left a complaint the hall has not got

    def report_once(self) -> int:
        """File what the hall has not seen; returns how many. Stops at a hall out of reach."""
        from queueing.client import HallServiceError

        start = mark = self.mark()
        filed, self.waiting = 0, False
        for record in self.cache.records(after_seq=start, limit=1000):
            if record.kind != "complaint":
                mark = record.seq
                continue
            payload = self.cache.payload(record.id) or {}
            if payload.get("number") is None:
                try:
                    self.hall.file_complaint(str(payload.get("complaint_id") or record.id),
                                             str(payload.get("topic") or "suggestion"),
                                             str(payload.get("text") or "-"),
                                             local_number=record_number(self.core, record),
                                             filed_at=payload.get("created_at"))
                    filed += 1
                except HallServiceError as exc:
                    if exc.status == 0 or exc.status in (401, 403) or exc.status >= 500:
                        self.waiting = True
                        break  # away or refusing this kiosk: the next pass tries again
                    log.error("the hall refused a locally numbered complaint",
                              extra={"ctx": {"code": exc.code, "seq": record.seq}})
            mark = record.seq
        if mark != start:
            self._save(mark)
        return filed

    def next_wait(self) -> float:
        return self.retry_s if self.waiting else self.interval_s  # a backlog: soon again
