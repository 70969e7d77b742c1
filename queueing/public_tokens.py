"""The tokens in the QR codes a citizen scans: one per ticket (``/t/<token>``) and one per
application receipt (``/a/<token>``).

A token is the thing it names plus a truncated HMAC of it under a key derived from the hall
key, so the hall service verifies it without storing anything, nobody can make one up, and it
says nothing beyond what the paper it is printed on already says:

- ticket: ``<uuid hex, 32>`` + ``<16 hex of HMAC>`` (48 characters). A ticket's id is a random
  uuid4, not its number, so a token does not reveal the queue position or the day. It is valid
  only on the ticket's service day (the page checks the ticket's ``day``; see public_pages).
- application: ``<receipt number>-<16 hex of HMAC>``. The receipt number is printed on the same
  receipt anyway; the HMAC part makes the link unguessable although receipt numbers are
  sequential. It does not expire: a case runs for weeks.

Every token matches the scanner's ``[A-Za-z0-9_-]{4,128}`` (devices/scanner/classify.py).
Standard library only: the kiosk imports this to print receipt QR codes."""

from __future__ import annotations

import hashlib
import hmac
import re
import uuid

TAG_HEX = 16  # 64 bits: far beyond online guessing through a rate of HTTP requests
_RECEIPT = re.compile(r"^[A-Za-z0-9_-]{1,100}$")
_HEX = re.compile(r"^[0-9a-f]+$")


def _key(hall_key: str, purpose: str) -> bytes:
    # one key per purpose, so a ticket tag can never be replayed as an application tag
    return hmac.new(hall_key.encode("utf-8"), f"phone-pages/{purpose}/v1".encode(), hashlib.sha256).digest()


def _tag(hall_key: str, purpose: str, value: str) -> str:
    return hmac.new(_key(hall_key, purpose), value.encode("utf-8"), hashlib.sha256).hexdigest()[:TAG_HEX]


def ticket_token(hall_key: str, ticket_id: str) -> str:
    """The token of a ticket (its uuid id, with or without dashes)."""
    hexid = uuid.UUID(ticket_id).hex
    return hexid + _tag(hall_key, "ticket", hexid)


def ticket_id_from_token(hall_key: str, token: str) -> str | None:
    """The ticket id (canonical uuid string) a genuine token names; None for anything forged."""
    if len(token) != 32 + TAG_HEX or not _HEX.match(token):
        return None
    hexid, tag = token[:32], token[32:]
    if not hmac.compare_digest(tag, _tag(hall_key, "ticket", hexid)):
        return None
    return str(uuid.UUID(hexid))


def application_token(hall_key: str, receipt_no: str) -> str:
    """The token of an application receipt number (platform 受理编号 or the kiosk's local number)."""
    if not _RECEIPT.match(receipt_no):
        raise ValueError(f"a receipt number must be letters, digits, '-' or '_': {receipt_no!r}")
    return f"{receipt_no}-{_tag(hall_key, 'application', receipt_no)}"


def receipt_from_token(hall_key: str, token: str) -> str | None:
    """The receipt number a genuine application token names; None for anything forged."""
    receipt_no, sep, tag = token.rpartition("-")
    if not sep or len(tag) != TAG_HEX or not _RECEIPT.match(receipt_no):
        return None
    if not hmac.compare_digest(tag, _tag(hall_key, "application", receipt_no)):
        return None
    return receipt_no


def complaint_token(hall_key: str, number: str) -> str:
    """The token of a complaint number (the hall's or a kiosk's local one): ``/c/<token>``."""
    if not _RECEIPT.match(number):
        raise ValueError(f"a complaint number must be letters, digits, '-' or '_': {number!r}")
    return f"{number}-{_tag(hall_key, 'complaint', number)}"


def complaint_from_token(hall_key: str, token: str) -> str | None:
    """The complaint number a genuine complaint token names; None for anything forged."""
    number, sep, tag = token.rpartition("-")
    if not sep or len(tag) != TAG_HEX or not _RECEIPT.match(number):
        return None
    if not hmac.compare_digest(tag, _tag(hall_key, "complaint", number)):
        return None
    return number
