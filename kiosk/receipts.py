"""Receipt numbers as a citizen brings them to 办件查询: the receipt QR's token (number + HMAC
tag, queueing/public_tokens.py) verified with the hall key; a kiosk-local number (``KIOSK01-…``, or
``SK01-…`` on papers from before local numbers carried the whole kiosk id; kiosk/applications.py
``local_number``) mapped to the platform's 受理编号 once the record synced (the offline cache keeps
both on the record); and whether a number belongs to the person whose ID card was read — a typed
number carries no tag, so it shows a case only to its own applicant.

:class:`ReceiptReporter` tells the hall service each local number's platform number once the
platform answered the sync, or that the platform refused it (dead-lettered), with the kiosk's own
credential (``PUT /api/v1/receipts/{local}``, queueing/receipt_links.py): the phone page of an
offline receipt's QR is served by the hall, which never hears the platform's answer to the kiosk.
What was reported survives a restart (a watermark file next to the cache).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from kiosk.app import KioskCore

from kiosk.passes import WatermarkPass

log = logging.getLogger(__name__)
#: a platform refusal's code as the hall keeps it (queueing/receipt_links.py REASON_CODE)
REASON = re.compile(r"^[a-z0-9_]{1,64}$")


def from_token(core: KioskCore, token: str) -> str | None:
    """The receipt number a genuine receipt QR token names (None: forged, or no hall key).
    Scanners and keypads may upper-case the tag; the tag itself is lower-case hex."""
    from queueing.public_tokens import receipt_from_token

    if not core.hall_key or "-" not in token:
        return None
    number, _, tag = token.rpartition("-")
    return receipt_from_token(core.hall_key, f"{number}-{tag.lower()}")


def token_in_scan(kind: str, value: str) -> str | None:
    """The /a/ token out of a scanned receipt code (the classifier's value, or a full URL)."""
    if kind == "receipt":
        return value
    if kind == "url" and "/a/" in value:
        return value.rstrip("/").rsplit("/a/", 1)[-1] or None
    return None


def local_record(core: KioskCore, number: str) -> Any:
    """This kiosk's application record a local number names (None for any other number)."""
    from kiosk.applications import local_number

    if core.cache is None or number.count("-") != 2:
        return None
    try:
        seq = int(number.rsplit("-", 1)[1])
    except ValueError:
        return None
    for record in core.cache.records(limit=100_000):
        # the date part is the day it was taken: compare all but the date
        if record.seq == seq and record.kind == "application":
            ours = local_number(core, seq)
            if ours.split("-")[0] == number.split("-")[0]:
                return record
    return None


def platform_number(core: KioskCore, number: str) -> str:
    """The platform's 受理编号 for a number (a synced local number maps to it; others unchanged)."""
    record = local_record(core, number)
    if record is not None and record.receipt_no:
        return str(record.receipt_no)
    return number


def belongs_to(core: KioskCore, number: str, id_number: str) -> bool:
    """The number (platform or local) is one of the applications this kiosk took for this card."""
    from kiosk.applications import local_number

    if core.cache is None or not id_number:
        return False
    for record in core.cache.find_by_id_number(id_number):
        if record.kind != "application":
            continue
        if number == record.receipt_no or (number.count("-") == 2 and
                                           local_number(core, record.seq).split("-")[::2] == number.split("-")[::2]):
            return True
    return False


class ReceiptReporter(WatermarkPass):
    """Reports ``local number → platform number`` of every synced application to the hall, and
    the local number of every application the platform refused (dead-lettered).

    A pass walks the applications after the watermark (the last ``seq`` below which every
    application is reported or can never be: discarded) and puts each synced one's pair, or each
    dead one's refusal, to the hall; a record still waiting for the platform holds the watermark
    where it is, so it is reported when it syncs (the pairs after it are put again then: the hall
    keeps a pair once).
    It runs on its own thread, woken by the sync engine's successes and dead letters and every
    ``interval_s`` while the hall is out of reach; it never blocks the kiosk worker or the sync engine."""

    name = "receipt-reports"

    def __init__(self, cache: Any, hall: Any, local_of: Callable[[Any], str], mark_file: Path,
                 *, interval_s: float = 60.0, batch: int = 500) -> None:
        self.cache, self.hall, self.local_of = cache, hall, local_of
        super().__init__(interval_s, mark_file)
        self.batch = batch
        self._swept = False  # the refusals below the watermark were put in this run

    # -- one pass ---------------------------------------------------------------------------
    def report_once(self) -> int:
        """Put the pairs (and refusals) not yet reported; returns how many the hall took. Stops at
        the first hall that cannot be reached (the next pass tries again). The first pass of a
        run also puts the refusals below the watermark (kiosks before refusals were reported
        passed them; the hall keeps each once)."""
        start = self.mark()
        put = 0
        if not self._swept:
            for record in self.cache.dead_letters():
                if record.kind == "application" and record.seq <= start:
                    sent = self._put(record)
                    if sent is None:
                        return put
                    put += sent
            self._swept = True
        mark, settled = start, True
        for record in self.cache.records(after_seq=start, limit=self.batch):
            if record.kind != "application" or record.state == "discarded":
                mark = record.seq if settled else mark
                continue
            if record.state != "dead" and (record.state != "acked" or not record.receipt_no):
                settled = False  # still on its way to the platform
                continue
            sent = self._put(record)
            if sent is None:
                break
            put += sent
            mark = record.seq if settled else mark
        if mark != start:
            self._save(mark)
        return put

    def _put(self, record: Any) -> int | None:
        """Report one synced or refused application: 1 when the hall took it, 0 when it keeps
        something else for it (logged), None when the pass must stop (hall away or refusing)."""
        from queueing.client import HallServiceError, HallUnavailable

        local = self.local_of(record)
        try:
            if record.state == "dead":  # refused for good: the phone page sends the citizen to a counter
                self.hall.report_rejected(local, _reason_code(record.dead_reason))
            else:
                self.hall.link_receipt(local, str(record.receipt_no))
            return 1
        except HallUnavailable:
            return None
        except HallServiceError as exc:
            if exc.status in (401, 403) or exc.status >= 500:
                log.warning("the hall refused a receipt report; retried later",
                            extra={"ctx": {"status": exc.status, "code": exc.code}})
                return None
            # receipt_conflict: another kiosk reported this number first (an old number of the
            # same last four letters), or the hall keeps another outcome for it
            log.error("the hall keeps another platform number or kiosk for this local number",
                      extra={"ctx": {"local": local, "code": exc.code}})
            return 0


def _reason_code(reason: dict[str, Any] | None) -> str:
    """The platform's code of a dead letter, in the shape the hall takes (never its message)."""
    code = str((reason or {}).get("code") or "")
    return code if REASON.match(code) else "rejected"
