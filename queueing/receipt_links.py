"""Which platform 受理编号 a kiosk's local receipt number became, or that the platform refused it:
the hall's half of following an offline receipt.

A kiosk that takes an application while the platform is unreachable prints its own number
(``EASTKIOSK01-20261202-00003``: the whole kiosk id, kiosk/applications.py; papers from before
carry its last four letters/digits, ``SK01-…``) and a receipt QR for the phone page ``/a/``. The
platform answers the record's sync with its ``receipt_no`` or refuses it for good (the kiosk's
offline cache dead-letters it; platform-sync-protocol.md, Records); only the kiosk hears that
answer, so the kiosk reports it here (``PUT /api/v1/receipts/{local_no}``) and the phone page of
the old QR shows the platform's case, or that the application was not accepted.

A link is written once and bound to the kiosk device that reported it (its enrolled credential):
the same report again is harmless (a kiosk retries after a lost answer); another platform number
for a known local number is refused (``receipt_conflict``), so nobody can move a printed QR onto
somebody else's case. A report of a known number from *another* device is refused too, and the
number is marked disputed: two kiosks printed it (old numbers of two kiosks sharing their last
four letters), so its page shows neither case and staff get an alert. A refused application
(``rejected``) may later become linked by the same device (a technician sent it again). Links live
in the store's ``meta`` rows (key ``receipt:<local number>``), so every store keeps them without a
migration.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from queueing.codes import HallCode
from queueing.model import QueueError

#: the shape of kiosk/applications.py ``local_number``: kiosk code, day, sequence
LOCAL_NUMBER = re.compile(r"^[A-Z0-9]{1,16}-\d{8}-\d{5}$")
#: a platform 受理编号 (the token alphabet of queueing/public_tokens.py), never a local number
PLATFORM_NUMBER = re.compile(r"^[A-Za-z0-9_]{1,64}$")
#: the platform's code of a permanent rejection (``conflict``, ``payload_mismatch``, …)
REASON_CODE = re.compile(r"^[a-z0-9_]{0,64}$")
_KEY = "receipt:"


@dataclass(frozen=True)
class ReceiptLink:
    """What the hall knows of one local number."""

    local_no: str
    receipt_no: str | None  # the platform's number once linked
    rejected: bool  # the platform refused the application for good
    device: str  # the kiosk device that reported it
    disputed: bool  # another device reported the same number: shown to nobody


def _shape(ok: bool) -> None:
    if not ok:
        raise QueueError(422, HallCode.INVALID_RECEIPT,
                         "local_no must be a kiosk's local number (KIOSK01-YYYYMMDD-00001) and receipt_no "
                         "the platform's number (letters, digits, '_')")


class NewDispute(QueueError):
    """409 ``receipt_conflict`` that made a number disputed just now (``first``: who had it)."""

    def __init__(self, local_no: str, first: str) -> None:
        super().__init__(409, HallCode.RECEIPT_CONFLICT, f"{local_no} was reported by another kiosk")
        self.first = first


def _keep(store: Any, local_no: str, link: dict[str, Any], device: str, now: float) -> bool:
    """Write ``link`` once for ``device``; True when new. Raises 409 ``receipt_conflict``."""
    with store.write() as tx:
        known = tx.get_meta(_KEY + local_no)
        if known is None:
            tx.set_meta(_KEY + local_no, json.dumps({**link, "device": device, "at": now}))
            return True
        held = json.loads(known)
        first = str(held.get("device", ""))
        if first == device:
            if held.get("receipt_no") == link.get("receipt_no") and bool(held.get("rejected")) == bool(
                    link.get("rejected")):
                return False
            if held.get("rejected") and link.get("receipt_no"):  # sent again and accepted after all
                tx.set_meta(_KEY + local_no, json.dumps({**held, **link, "rejected": False, "at": now}))
                return True
            conflict = QueueError(409, HallCode.RECEIPT_CONFLICT, f"{local_no} is already linked to another "
                                  "platform number")
        elif held.get("disputed_by"):
            conflict = QueueError(409, HallCode.RECEIPT_CONFLICT, f"{local_no} was reported by another kiosk")
        else:
            tx.set_meta(_KEY + local_no, json.dumps({**held, "disputed_by": device, "disputed_at": now}))
            conflict = NewDispute(local_no, first)
    raise conflict


def link_receipt(store: Any, local_no: str, receipt_no: str, device: str, now: float) -> bool:
    """Keep ``local_no`` → ``receipt_no`` for ``device``; True when new, False when the same link was
    known. Raises ``QueueError`` 422 ``invalid_receipt`` or 409 ``receipt_conflict``."""
    _shape(bool(LOCAL_NUMBER.match(local_no) and PLATFORM_NUMBER.match(receipt_no)))
    return _keep(store, local_no, {"receipt_no": receipt_no}, device, now)


def report_rejected(store: Any, local_no: str, reason: str, device: str, now: float) -> bool:
    """Keep that the platform refused ``local_no``'s application (``reason``: its code); True when
    new. Raises ``QueueError`` 422 ``invalid_receipt`` or 409 ``receipt_conflict``."""
    _shape(bool(LOCAL_NUMBER.match(local_no)))
    if not REASON_CODE.match(reason):
        raise QueueError(422, HallCode.INVALID_RECEIPT, "reason is the platform's code (a-z, 0-9, '_')")
    return _keep(store, local_no, {"rejected": True, "reason": reason}, device, now)


def report(engine: Any, local_no: str, receipt_no: str | None, rejected: bool, reason: str,
           device: str) -> bool:
    """One kiosk report (``PUT /api/v1/receipts/{local_no}``, in the engine's pool): a link or a
    refusal; a new refusal or a new dispute is an alert to the hall's staff (``sync``, from the
    device). True when the hall had not known it."""
    now = engine.clock()
    try:
        if rejected:
            new = report_rejected(engine.store, local_no, reason, device, now)
        else:
            new = link_receipt(engine.store, local_no, receipt_no or "", device, now)
    except NewDispute as exc:
        engine.raise_alert("sync", device, f"two kiosks reported local receipt number {local_no} ({exc.first} "
                           f"and {device}): its phone page shows no case; check the kiosks' ids and credentials")
        raise
    if new and rejected:
        engine.raise_alert("sync", device, f"the platform did not accept application {local_no} "
                           f"({reason or 'rejected'}): its phone page asks the citizen to bring the receipt "
                           "to a counter; see the kiosk's dead letters")
    return new


def receipt_link(store: Any, local_no: str) -> ReceiptLink | None:
    """What the hall knows of a local number, or None while no kiosk has reported it."""
    if not LOCAL_NUMBER.match(local_no):
        return None
    with store.read() as tx:
        known = tx.get_meta(_KEY + local_no)
    if not known:
        return None
    held = json.loads(known)
    return ReceiptLink(local_no, held.get("receipt_no") and str(held["receipt_no"]), bool(held.get("rejected")),
                       str(held.get("device", "")), bool(held.get("disputed_by")))


def platform_receipt(store: Any, local_no: str) -> str | None:
    """The platform number a local number became, or None (not reported, refused, or disputed)."""
    link = receipt_link(store, local_no)
    return link.receipt_no if link is not None and not link.disputed and not link.rejected else None
