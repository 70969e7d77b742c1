"""The hall display's notices: posted by a signed-in member of staff (from the dashboard), in
Chinese and English, shown from ``starts_at`` until ``ends_at`` (a notice may be scheduled ahead),
withdrawn early by staff. Stored by the hall service (``notices`` table); each post and
withdrawal is an event (``notice_posted`` / ``notice_withdrawn``) the displays follow on the
stream they already read, and ``GET /api/v1/notices`` is what a display loads on (re)connect.

Every operation runs inside one of the engine's transactions (``QueueEngine.run``)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from queueing.codes import HallCode
from queueing.model import Hall, QueueError, bad_input

if TYPE_CHECKING:
    from queueing.engine import QueueEngine
    from queueing.store import StoreTx

MAX_NOTICES = 50  # not yet ended, per hall: what a display keeps
MAX_DAYS = 366  # a notice shows for at most this long


def public(hall: Hall, row: dict[str, Any], now: float) -> dict[str, Any]:
    return {
        "id": row["id"],
        "text_zh": row["text_zh"],
        "text_en": row["text_en"],
        "starts_at": hall.iso(row["starts_at"]),
        "ends_at": hall.iso(row["ends_at"]),
        "posted_at": hall.iso(row["posted_at"]),
        "posted_by": row.get("posted_by"),
        "active": row["starts_at"] <= now < row["ends_at"],
    }


def post(engine: QueueEngine, text_zh: str, text_en: str, starts_at: float | None, ends_at: float,
         staff_id: str | None) -> dict[str, Any]:
    """A new notice (``starts_at`` None: now)."""
    text_zh, text_en = text_zh.strip(), text_en.strip()
    if not text_zh:
        raise bad_input(HallCode.INVALID_REQUEST, "text_zh: a notice needs its Chinese text")

    def op(tx: StoreTx, now: float, day: str) -> dict[str, Any]:
        start = now if starts_at is None else starts_at
        if ends_at <= max(start, now):
            raise bad_input(HallCode.INVALID_DATE, "ends_at must be after starts_at and in the future")
        if ends_at - start > MAX_DAYS * 86_400:
            raise bad_input(HallCode.INVALID_DATE, f"a notice shows for at most {MAX_DAYS} days")
        if len(tx.notices(now, MAX_NOTICES)) >= MAX_NOTICES:
            raise QueueError(409, HallCode.INVALID_REQUEST, f"at most {MAX_NOTICES} notices: withdraw one first")
        row = {"text_zh": text_zh, "text_en": text_en, "starts_at": start, "ends_at": ends_at,
               "posted_at": now, "posted_by": staff_id}
        row["id"] = tx.add_notice(row)
        out = public(engine.hall, row, now)
        engine.record(tx, now, day, "notice_posted", counter_id=None, staff_id=staff_id, notice=out)
        return out

    return engine.transaction(op)


def current(engine: QueueEngine) -> dict[str, Any]:
    """Notices not yet ended (showing now or scheduled), the hall's time and its zone."""

    def op(tx: StoreTx, now: float, day: str) -> dict[str, Any]:
        rows = tx.notices(now, MAX_NOTICES)
        return {"now": engine.hall.iso(now), "timezone": str(engine.hall.tz),
                "notices": [public(engine.hall, r, now) for r in rows]}

    return engine.reading(op)


def withdraw(engine: QueueEngine, notice_id: int, staff_id: str | None) -> None:
    def op(tx: StoreTx, now: float, day: str) -> None:
        if not tx.withdraw_notice(notice_id, now, staff_id):
            raise QueueError(404, HallCode.NOT_FOUND, f"no notice {notice_id} showing or scheduled")
        engine.record(tx, now, day, "notice_withdrawn", counter_id=None, staff_id=staff_id, notice_id=notice_id)

    engine.transaction(op)
