"""Which platform 受理编号 a kiosk's local receipt number became: the hall's half of following an
offline receipt.

A kiosk that takes an application while the platform is unreachable prints its own number
(``SK01-20261202-00003``, kiosk/applications.py) and a receipt QR for the phone page ``/a/``. The
platform answers the record's sync with its ``receipt_no`` (platform-sync-protocol.md, Records);
only the kiosk hears that answer, so the kiosk reports the pair here
(``PUT /api/v1/receipts/{local_no}``) and the phone page of the old QR shows the platform's case.

A link is written once: the same pair again is harmless (a kiosk retries after a lost answer),
another platform number for a known local number is refused (``receipt_conflict``), so nobody can
move a printed QR onto somebody else's case. Links live in the store's ``meta`` rows (key
``receipt:<local number>``), so every store implementation keeps them without a migration.
"""

from __future__ import annotations

import json
import re
from typing import Any

from queueing.codes import HallCode
from queueing.model import QueueError

#: the shape of kiosk/applications.py ``local_number``: kiosk letters, day, sequence
LOCAL_NUMBER = re.compile(r"^[A-Z0-9]{1,8}-\d{8}-\d{5}$")
#: a platform 受理编号 (the token alphabet of queueing/public_tokens.py), never a local number
PLATFORM_NUMBER = re.compile(r"^[A-Za-z0-9_]{1,64}$")
_KEY = "receipt:"


def link_receipt(store: Any, local_no: str, receipt_no: str, device: str, now: float) -> bool:
    """Keep ``local_no`` → ``receipt_no``; True when new, False when the same link was known.
    Raises ``QueueError`` 422 ``invalid_receipt`` or 409 ``receipt_conflict``."""
    if not LOCAL_NUMBER.match(local_no) or not PLATFORM_NUMBER.match(receipt_no):
        raise QueueError(422, HallCode.INVALID_RECEIPT,
                         "local_no must be a kiosk's local number (K01-YYYYMMDD-00001) and receipt_no "
                         "the platform's number (letters, digits, '_')")
    with store.write() as tx:
        known = tx.get_meta(_KEY + local_no)
        if known is not None:
            held = json.loads(known).get("receipt_no")
            if held == receipt_no:
                return False
            raise QueueError(409, HallCode.RECEIPT_CONFLICT,
                             f"{local_no} is already linked to another platform number")
        tx.set_meta(_KEY + local_no, json.dumps({"receipt_no": receipt_no, "device": device, "at": now}))
    return True


def platform_receipt(store: Any, local_no: str) -> str | None:
    """The platform number a local number became, or None while the kiosk has not reported one."""
    if not LOCAL_NUMBER.match(local_no):
        return None
    with store.read() as tx:
        known = tx.get_meta(_KEY + local_no)
    return str(json.loads(known)["receipt_no"]) if known else None
