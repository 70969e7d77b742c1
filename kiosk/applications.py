"""Self-service applications and complaints at the kiosk: photos of materials, the durable
hand-over to the offline cache, the receipt, and progress look-ups.

A submission is confirmed to the citizen only after :meth:`OfflineCache.enqueue` returned —
then it survives a power cut and reaches the platform exactly once; storing it is all the kiosk's
worker does (the sync engine sends it). What is slow runs on a thread of its own while the screen
says 正在提交 (:func:`finish_application`): a short wait for the platform's receipt number when the
platform is online (without it the receipt carries the local number and says the application
will be sent when the connection returns: :func:`local_number`, unique per hall because it carries
the whole kiosk id) and the printing. A cache that cannot store it says
未保存, keeps what the citizen entered for a retry, and alerts staff.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from common.i18n import for_staff
from devices.camera import CameraProblem, CaptureError, DocumentCamera
from kiosk.background import off_worker
from kiosk.delivery import delivery_paper, delivery_record

if TYPE_CHECKING:
    from kiosk.app import KioskCore

log = logging.getLogger(__name__)
#: the longest the 正在提交 screen waits for an online platform's receipt number
RECEIPT_WAIT_SECONDS = 3.0
#: the most letters/digits of a kiosk id its local numbers carry whole (kiosk_code)
KIOSK_CODE_MAX = 16


@dataclass
class SubmitOutcome:
    ok: bool
    record_id: str = ""
    receipt_no: str | None = None
    local_no: str = ""
    printed: bool = False
    qr_url: str = ""
    lines: list[str] = field(default_factory=list)


def document_camera(core: KioskCore) -> DocumentCamera | None:
    """The configured document camera (``[devices.camera]``), or None when there is none."""
    devices = core.devices
    camera = getattr(devices, "camera", None) if devices is not None else None
    return camera if isinstance(camera, DocumentCamera) else None


def take_document_photo(core: KioskCore, name: str) -> str:
    """A still photo of the page from the configured camera, cropped to the page, held as JPEG in
    the session's memory only (never unsealed on disk); returns its token.
    Raises :class:`CaptureError` (with a problem code the flow shows) when there is no camera or
    it gives no usable picture: never a simulated page."""
    camera = document_camera(core)
    if camera is None:
        raise CaptureError(CameraProblem.DISCONNECTED, "no document camera configured")
    photo = camera.capture()
    return core.session.hold_photo(photo.jpeg)


def kiosk_code(kiosk_id: str) -> str:
    """The kiosk part of its local numbers: every letter and digit of the kiosk id, upper case
    (``east-kiosk-01`` → ``EASTKIOSK01``), so two kiosks of a hall never print the same number. An
    id of more than :data:`KIOSK_CODE_MAX` of them keeps its first ones and a digest of the whole id
    (the number stays typable on the progress keypad; the hall binds each number to the kiosk
    credential that reported it, queueing/receipt_links.py, should two codes still meet)."""
    code = "".join(ch for ch in kiosk_id if ch.isascii() and ch.isalnum()).upper()
    if len(code) > KIOSK_CODE_MAX:
        digest = hashlib.sha256(kiosk_id.encode("utf-8", "surrogatepass")).hexdigest()[:6].upper()
        code = code[:KIOSK_CODE_MAX - 6] + digest
    return code or "K"


def legacy_kiosk_code(kiosk_id: str) -> str:
    """The kiosk part of local numbers printed before they carried the whole id: its last four
    letters/digits (``east-kiosk-01`` and ``west-kiosk-01`` were both ``SK01``)."""
    return "".join(ch for ch in kiosk_id if ch.isalnum()).upper()[-4:] or "K"


def local_number(core: KioskCore, seq: int, day: date | None = None) -> str:
    """Kiosk-local number shown while the platform has not answered: <kiosk code>-<date>-<seq>.
    Records taken before this kiosk's upgrade (``seq`` up to ``core.legacy_local_through``) keep
    the number their paper carries."""
    legacy = 0 < seq <= getattr(core, "legacy_local_through", 0)
    kiosk = legacy_kiosk_code(core.kiosk_id) if legacy else kiosk_code(core.kiosk_id)
    return f"{kiosk}-{day or core.today():%Y%m%d}-{seq:05d}"


def legacy_local_numbers(cache: Any, mark_file: Path) -> int:
    """The last record ``seq`` whose paper carries a legacy local number (:func:`legacy_kiosk_code`):
    written once, at the first start of a kiosk that numbers with the whole id (the cache's last
    seq then; 0 on a new kiosk), and read at every start after."""
    try:
        return int(json.loads(mark_file.read_text("utf-8"))["legacy_through_seq"])
    except FileNotFoundError:
        pass
    except (OSError, ValueError, KeyError, TypeError):
        log.error("local-number file unreadable: every record is numbered with the whole kiosk id",
                  extra={"ctx": {"file": str(mark_file)}})
        return 0
    last = max((record.seq for record in cache.records(limit=10_000_000)), default=0)
    tmp = mark_file.with_suffix(".tmp")
    try:
        tmp.write_text(json.dumps({"legacy_through_seq": last}), "utf-8")
        os.replace(tmp, mark_file)
    except OSError as exc:  # the kiosk starts anyway; the next start writes it
        log.error("local-number file not written", extra={"ctx": {"file": str(mark_file), "error": str(exc)}})
    return last


def record_local_number(core: KioskCore, record: Any) -> str:
    """The local number printed for a cached application record: the day it was taken (its
    ``created_at``, the kiosk's local time) and its sequence; what is reported to the hall."""
    try:
        day: date | None = date.fromisoformat(str(record.created_at)[:10])
    except ValueError:
        day = None
    return local_number(core, record.seq, day)


def submit_application(core: KioskCore, flow: Any) -> SubmitOutcome:
    """Store the application in the offline cache (fast, on the worker): ``ok`` once it is safe;
    the receipt number and printing follow from :func:`finish_application`."""
    from kiosk.bundles import submission_fields as bundle_submission
    from offline_cache.store import CacheFullError

    tr = core.translator.tr
    if core.cache is None:
        return SubmitOutcome(False, lines=[tr("submit.error")])
    item = flow.item
    identity = core.identity(core.session.card)
    form = dict(flow.form.values) if flow.form else {}
    payload = {
        "service_id": item.id, "service_name": item.name, "hall_id": core.hall_id, "kiosk_id": core.kiosk_id,
        "channel": "kiosk_self_service", "id_number": identity.id_number, "name": identity.name,
        "card_type": identity.card_type, "form": form, "commitment_accepted": bool(item.commitment),
        "materials": [{"name": m.name, "status": flow.materials.get(i, "missing")}
                      for i, m in enumerate(item.materials)],
        "missing_materials": flow.owed(), "submitted_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        **delivery_record(flow),  # 自取 / 邮寄 (kiosk/delivery.py): the address is a personal field
    }
    payload.update(bundle_submission(core.catalogue, item, flow.materials))  # 一件事: its member items
    personal = {"id_number", "name", "form", "address", "phone"}
    step = getattr(flow, "elicence", None)
    if step is not None and step.references():  # 电子证照 used for materials: referenced, never copied
        payload["elicences"] = step.references()
        personal.add("elicences")
    photos = [(core.session.photo(token) or b"", "image/jpeg") for _, token in sorted(core.session.photos.items())]
    try:
        record_id = core.cache.enqueue("application", payload, photos, personal_fields=personal)
        info = core.cache.get(record_id)
    except CacheFullError:
        log.error("application refused: offline cache is full")
        core.alert_staff("sync", for_staff("alert.cache_full", kiosk=core.kiosk_id))
        return SubmitOutcome(False, lines=[tr("submit.full")])
    except Exception as exc:  # sqlite3 errors (disk full, I/O), OSError, a sealing fault: not saved
        log.exception("application not saved: the offline cache could not store it",
                      extra={"ctx": {"service": item.id, "error": type(exc).__name__}})
        core.alert_staff("sync", for_staff("alert.cache_write_failed", kiosk=core.kiosk_id, error=type(exc).__name__))
        return SubmitOutcome(False, lines=[tr("submit.error")])
    outcome = SubmitOutcome(True, record_id=record_id,
                            local_no=record_local_number(core, info) if info else local_number(core, 0))
    log.info("application stored", extra={"ctx": {"record": record_id, "service": item.id}})
    return outcome


def finish_application(core: KioskCore, flow: Any, outcome: SubmitOutcome,
                       done: Callable[[SubmitOutcome], None]) -> None:
    """Off the worker: the platform's receipt number (briefly, when it is online) and the printed
    receipt; then ``done(outcome)`` back on the worker. Without a worker (a bare core) inline."""
    identity = core.identity(core.session.card)
    online = core.platform_online
    language = core.translator.language  # the paper speaks the language of the tap on 确认提交

    def work() -> None:
        try:
            outcome.receipt_no = _wait_for_receipt(core, outcome.record_id) if online else None
            if core.sync is not None and not online:
                core.sync.sync_now()  # the sync engine sends it as soon as it can
        except Exception:
            log.exception("waiting for the receipt number failed")
        number = outcome.receipt_no or outcome.local_no
        outcome.qr_url = core.public_url(application_path(core, number))
        outcome.printed = _print_receipt(core, flow, identity, outcome, language)

    def deliver(c: KioskCore, _result: object) -> None:
        if outcome.receipt_no:
            c.platform_online = True
        done(outcome)

    off_worker(core, work, deliver, name="submit-finish")


def application_path(core: KioskCore, number: str) -> str:
    """The receipt QR's path: ``/a/<number>-<HMAC>`` (the hall service's phone page), signed with
    the hall key so nobody can read other cases by counting receipt numbers."""
    from queueing.public_tokens import application_token

    if core.hall_key:
        try:
            return f"/a/{application_token(core.hall_key, number)}"
        except ValueError:
            log.warning("receipt number unfit for a QR token", extra={"ctx": {"number": number}})
    else:
        log.warning("no hall key configured: the receipt QR cannot be signed")
    return f"/a/{number}"


def _wait_for_receipt(core: KioskCore, record_id: str) -> str | None:
    if core.sync is None:
        return None
    core.sync.sync_now()
    deadline = time.monotonic() + RECEIPT_WAIT_SECONDS
    while time.monotonic() < deadline:
        info = core.cache.get(record_id)
        if info and info.receipt_no:
            return str(info.receipt_no)
        if info and info.state != "pending" and info.state != "inflight":
            return None
        time.sleep(0.1)
    return None


def _print_receipt(core: KioskCore, flow: Any, identity: Any, outcome: SubmitOutcome, language: str) -> bool:
    if core.devices is None or getattr(core.devices, "printer", None) is None:
        return False
    item = flow.item
    try:
        from common.i18n import translate
        from devices.printer import ApplicationReceipt
        from kiosk.catalogue import shown_in

        def shown(chinese: str, english: str) -> str:
            # English paper: the catalogue's English, or the Chinese with its note; Chinese paper: Chinese
            return shown_in(chinese, english, language, translate(language, "catalogue.chinese_only"))

        owed = [shown(m.name, m.name_en) for i, m in enumerate(item.materials) if flow.materials.get(i) == "owed"]
        promised = add_working_days(core.today(), item.promised_days) if item.promised_days else None
        receipt = ApplicationReceipt(
            hall_name=core.hall_name, item_name=shown(item.name, item.name_en), applicant_name=identity.name,
            id_number=identity.id_number, issued_at=datetime.now(), receipt_number=outcome.receipt_no,
            local_number=None if outcome.receipt_no else outcome.local_no, owed_materials=owed,
            promised_date=promised, qr_url=outcome.qr_url, language=language,
            notices=delivery_paper(flow, language),  # 自取 / 邮寄, the address masked
        )
        result = core.devices.print_job("print_receipt", receipt)
    except Exception:
        log.exception("receipt printing failed")
        return False
    core.printer_problem = None if result.ok else (result.reason or "printer error")
    return bool(result.ok)


def add_working_days(start: date, days: int) -> date:
    """Promised date: ``days`` working days (Monday–Friday) after ``start``."""
    current, left = start, days
    while left > 0:
        current += timedelta(days=1)
        if current.weekday() < 5:
            left -= 1
    return current


def application_status(core: KioskCore, receipt_no: str) -> dict[str, Any]:
    """The platform's status of an application (or the last one known, with its age)."""
    tr = core.translator.tr
    from kiosk.receipts import local_record

    local = local_record(core, receipt_no)
    if local is not None and local.receipt_no:
        receipt_no = str(local.receipt_no)  # synced: the local number now means the platform's
    answer: dict[str, Any] = {"receipt_no": receipt_no}
    if local is not None and local.state == "dead":  # the platform refused it for good
        return {**answer, "status_text": tr("progress.rejected")}
    if local is not None and not local.receipt_no:
        return {**answer, "status_text": tr("progress.pending")}
    if core.pulls is None:
        return {**answer, "error": "progress.unavailable"}
    from offline_cache.client import PlatformRefused
    from offline_cache.pulls import NotCachedError

    try:
        pulled = core.pulls.application_status(receipt_no)
    except PlatformRefused:
        return {**answer, "error": "progress.not_found"}
    except NotCachedError:
        core.platform_online = False
        return {**answer, "error": "progress.unavailable"}
    data = dict(pulled.data)
    if not pulled.fresh:
        core.platform_online = False
        data["age_text"] = tr("progress.minutes_ago", n=int(pulled.age_seconds // 60))
    return {**answer, **data}


def receipts_for(core: KioskCore, id_number: str) -> list[str]:
    """Receipt (or local) numbers of applications this kiosk took for the person on the card."""
    if core.cache is None:
        return []
    records = [r for r in core.cache.find_by_id_number(id_number) if r.kind == "application"]
    return [r.receipt_no or record_local_number(core, r) for r in records][-5:]
