"""Receipt numbers as a citizen brings them to 办件查询: the receipt QR's token (number + HMAC
tag, queueing/public_tokens.py) verified with the hall key; a kiosk-local number (``SK01-…``,
kiosk/applications.py ``local_number``) mapped to the platform's 受理编号 once the record synced
(the offline cache keeps both on the record); and whether a number belongs to the person whose
ID card was read — a typed number carries no tag, so it shows a case only to its own applicant.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from kiosk.app import KioskCore


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
