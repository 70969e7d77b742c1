"""Complaints and suggestions (吐槽找茬) in the hall: a number, hall-side handling, 投诉办结率.

A citizen files one at a kiosk (kiosk/complaints.py); the hall gives it a number
``TS-<YYYYMMDD>-<NNNN>`` unique per hall and day (the ``sequences`` row of the day and ``TS``).
A kiosk that could not reach the hall numbers it locally (``TS-<kiosk>-<YYYYMMDD>-<NNNNN>``, as
offline receipts are) and reports it later; the hall keeps that number, which is on the
citizen's paper. Filing is idempotent on the kiosk's complaint id (a uuid4): a retry after a
lost answer returns the complaint already filed.

Signed-in staff handle it: **assign** (to a member of staff or a counter), **reply** (what the
hall tells the citizen, shown on the kiosk's 进度查询 and the phone page), **close**, each with
who and when and an event (``complaint``, ``complaint_assigned``, ``complaint_replied``,
``complaint_closed``). The citizen's text is free writing that may name people: it is sealed
at rest (AES-GCM under a key derived from the hall key) and never logged or put in an event.

Every operation runs inside one of the engine's transactions (``QueueEngine.run``)."""

from __future__ import annotations

import hashlib
import re
import uuid
from typing import TYPE_CHECKING, Any

from offline_cache.sealing import Sealer
from queueing.codes import HallCode
from queueing.model import QueueError, bad_input, conflict

if TYPE_CHECKING:
    from queueing.engine import QueueEngine
    from queueing.store import StoreTx

TOPICS = ("attitude", "efficiency", "facility", "suggestion")
STATES = ("received", "assigned", "replied", "closed")
#: a hall's number (TS-20261202-0007) or a kiosk's local one (TS-KIOSK01-20261202-00003)
NUMBER = re.compile(r"^TS-(?:[A-Z0-9]{1,16}-)?\d{8}-\d{4,6}$")
LOCAL_NUMBER = re.compile(r"^TS-[A-Z0-9]{1,16}-\d{8}-\d{4,6}$")
_AAD = "hall-complaint-text/v1"


def _sealer(engine: QueueEngine) -> Sealer:
    key = hashlib.sha512(b"hall complaints sealing key/v1\0" + engine._key).digest()
    return Sealer(key)


def _not_found(number: str) -> QueueError:
    return QueueError(404, HallCode.COMPLAINT_NOT_FOUND, f"no complaint {number!r}")


def _out(engine: QueueEngine, row: dict[str, Any], *, text: bool = False) -> dict[str, Any]:
    """A complaint as the API shows it; ``text``: with the citizen's words (staff only)."""
    iso = engine.hall.iso
    out = {k: row[k] for k in ("id", "number", "alias", "day", "topic", "state", "offline", "device",
                                "assigned_to", "assigned_by", "reply", "replied_by", "closed_by")}
    out["offline"] = bool(out["offline"])
    for k in ("filed_at", "received_at", "assigned_at", "replied_at", "closed_at"):
        out[k] = iso(row[k])
    if text:
        sealed = row.get("text_sealed")
        out["text"] = _sealer(engine).open(bytes(sealed), _AAD).decode("utf-8") if sealed else ""
    return out


def file(engine: QueueEngine, complaint_id: str, topic: str, text: str, device: str,
         local_number: str | None = None, filed_at: float | None = None) -> dict[str, Any]:
    """File a complaint (or return the one filed with this id before); its number."""
    try:
        complaint_id = str(uuid.UUID(complaint_id))
    except ValueError:
        raise bad_input(HallCode.INVALID_REQUEST, "id must be a uuid") from None
    if topic not in TOPICS:
        raise bad_input(HallCode.INVALID_REQUEST, f"topic must be one of {', '.join(TOPICS)}")
    if not text.strip():
        raise bad_input(HallCode.INVALID_REQUEST, "a complaint needs its text")
    if local_number is not None and not LOCAL_NUMBER.match(local_number):
        raise bad_input(HallCode.INVALID_REQUEST, "local_number is TS-<kiosk>-<YYYYMMDD>-<seq>")
    sealed = _sealer(engine).seal(text.strip().encode("utf-8"), _AAD)

    def op(tx: StoreTx, now: float, day: str) -> tuple[dict[str, Any], bool]:
        known = tx.complaint(complaint_id, None)
        if known is not None:
            if local_number and local_number != known["number"] and known["alias"] is None \
                    and tx.complaint(None, local_number) is None:
                # numbered by the hall, but the answer never reached the kiosk, which printed its
                # own number: the slip's number finds it too
                tx.update_complaint(known["id"], {"alias": local_number})
                known = {**known, "alias": local_number}
            return known, False
        if local_number is not None:
            if tx.complaint(None, local_number) is not None:
                raise conflict(HallCode.RECEIPT_CONFLICT, f"{local_number} was filed by another complaint")
            number = local_number
        else:
            number = f"TS-{day.replace('-', '')}-{tx.next_number(day, 'TS'):04d}"
        row: dict[str, Any] = {
            "id": complaint_id, "number": number, "day": day, "topic": topic, "text_sealed": sealed,
            "device": device, "filed_at": min(filed_at or now, now), "received_at": now,
            "offline": int(local_number is not None), "state": "received", "assigned_to": None,
            "assigned_by": None, "assigned_at": None, "reply": None, "replied_by": None, "replied_at": None,
            "closed_by": None, "closed_at": None, "alias": None,
        }
        tx.put_complaint(row)
        engine.record(tx, now, day, "complaint", None, None, None, complaint_id=complaint_id, number=number,
                      topic=topic, offline=bool(local_number), filed_at=engine.hall.iso(row["filed_at"]))
        return row, True

    row, new = engine.transaction(op)
    return {**_out(engine, row), "new": new}


def _change(engine: QueueEngine, number: str, kind: str, staff_id: str | None,
            fields: dict[str, Any], event: dict[str, Any]) -> dict[str, Any]:
    if not staff_id:
        raise QueueError(401, HallCode.SESSION_REQUIRED, "complaints are handled by signed-in staff")

    def op(tx: StoreTx, now: float, day: str) -> dict[str, Any]:
        row = tx.complaint(None, number)
        if row is None:
            raise _not_found(number)
        if row["state"] == "closed":
            raise conflict(HallCode.COMPLAINT_CLOSED, f"{number} was closed {engine.hall.iso(row['closed_at'])}")
        prefix = kind.removeprefix("complaint_")
        changes = {**fields, f"{prefix}_by": staff_id, f"{prefix}_at": now}
        changes["state"] = {"complaint_assigned": "assigned", "complaint_replied": "replied",
                            "complaint_closed": "closed"}[kind]
        if kind == "complaint_assigned" and row["state"] == "replied":
            changes["state"] = "replied"  # a reassignment does not undo the reply
        tx.update_complaint(row["id"], changes)
        engine.record(tx, now, day, kind, None, None, staff_id, complaint_id=row["id"], number=row["number"], **event)
        return {**row, **changes}

    return _out(engine, engine.transaction(op), text=True)


def assign(engine: QueueEngine, number: str, staff_id: str | None, to: str) -> dict[str, Any]:
    """Hand it to a member of staff or a counter (by 工号 or counter id)."""
    to = to.strip()
    if not to:
        raise bad_input(HallCode.INVALID_REQUEST, "assign to a staff number or a counter")
    if to in engine.hall.counters:
        to = f"{to} {engine.hall.counters[to].name}"
    return _change(engine, number, "complaint_assigned", staff_id,
                   {"assigned_to": to[:80]}, {"to": to[:80]})


def reply(engine: QueueEngine, number: str, staff_id: str | None, text: str) -> dict[str, Any]:
    """What the hall answers the citizen (shown at the kiosk and on the phone page)."""
    if not text.strip():
        raise bad_input(HallCode.RESPONSE_REQUIRED, "a reply needs its text")
    answer = text.strip()[:2000]  # the hall's words (never the citizen's): the event carries them to the platform
    return _change(engine, number, "complaint_replied", staff_id, {"reply": answer}, {"reply": answer})


def close(engine: QueueEngine, number: str, staff_id: str | None) -> dict[str, Any]:
    return _change(engine, number, "complaint_closed", staff_id, {}, {})


def get(engine: QueueEngine, number: str, *, text: bool = False) -> dict[str, Any]:
    row = engine.reading(lambda tx, now, day: tx.complaint(None, number))
    if row is None:
        raise _not_found(number)
    return _out(engine, row, text=text)


def in_range(engine: QueueEngine, day_from: str, day_to: str, state: str | None = None,
             limit: int = 10_000, *, text: bool = False) -> list[dict[str, Any]]:
    """Complaints received on the service days ``day_from``..``day_to`` (ISO dates, inclusive),
    newest first, with their state (``text``: and the citizen's words, for staff): what the
    statistics count 投诉办结率 from (:func:`closure_rate`)."""
    rows = engine.reading(lambda tx, now, day: tx.complaints(day_from, day_to, state, limit))
    return [_out(engine, r, text=text) for r in rows]


def closure_rate(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """投诉办结率 = closed / received of the complaints received in a range (None: none received)."""
    received = len(rows)
    closed = sum(1 for r in rows if r["state"] == "closed")
    return {"received": received, "closed": closed, "rate": round(closed / received, 4) if received else None}
