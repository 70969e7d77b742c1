"""预约号源 at the reference platform: the bookable slots of a hall's service for the next days and
the bookings made on them (docs/platform-contract.md, "预约号源 (booking slots)").

A slot is one hour of one service on one day with a capacity; what is left is the capacity less
the bookings on it. Working days come from ``chinese_calendar`` (调休 Saturdays included; a year
the calendar does not know yet falls back to Monday–Friday). This reference hall offers, besides
09:00–12:00 and 14:00–17:00 on working days, a 延时 hour 17:00–18:00 on working days and 周末
mornings (09:00–12:00) on Saturdays that are no public holiday.

A booking is idempotent by the client's ``booking_id``: the same id with the same request answers
the stored booking again (``duplicate``), with another request a conflict; so a POST retried after a
lost answer never books twice. A booking made here is in that day's ``GET /v1/appointments`` list,
which is where the hall's check-in finds it. The platform keeps the ID number's HMAC only (the hall
key's ``id_number_hash``) and the masked name.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import sqlite3
import threading
import time
from collections.abc import Callable
from datetime import date, datetime, timedelta, timezone
from enum import StrEnum
from typing import Any

import chinese_calendar  # type: ignore[import-untyped]  # no type information upstream

CST = timezone(timedelta(hours=8))
SLOT_CAPACITY = 3
MAX_DAYS = 14
REGULAR_HOURS = (9, 10, 11, 14, 15, 16)
EXTENDED_HOURS = (17,)
WEEKEND_HOURS = (9, 10, 11)
_CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"

#: platform store migration v4 (offline_cache/platform_store.py SCHEMA)
BOOKINGS_SCHEMA = """
CREATE TABLE bookings (
    booking_id TEXT PRIMARY KEY,
    request_sha256 TEXT NOT NULL,
    hall_id TEXT NOT NULL,
    service_id TEXT NOT NULL,
    day TEXT NOT NULL,
    slot_start TEXT NOT NULL,
    slot_end TEXT NOT NULL,
    kind TEXT NOT NULL,
    code TEXT NOT NULL UNIQUE,
    id_number_hash TEXT NOT NULL,
    name_masked TEXT NOT NULL,
    created_at REAL NOT NULL
);
CREATE INDEX bookings_slot ON bookings(hall_id, service_id, slot_start);
CREATE INDEX bookings_day ON bookings(hall_id, day);
"""


class SlotKind(StrEnum):
    REGULAR = "regular"
    EXTENDED = "extended"  # 延时
    WEEKEND = "weekend"  # 周末


class BookingRefusal(StrEnum):
    """``error.code`` of a refused booking (HTTP 409 or 422)."""

    SLOT_FULL = "slot_full"
    UNKNOWN_SLOT = "unknown_slot"
    ALREADY_BOOKED = "already_booked"  # the person holds a booking of this service that day
    CONFLICT = "conflict"  # the booking id is stored with another request
    INVALID = "invalid_booking"


class BookingError(Exception):
    def __init__(self, code: BookingRefusal, message: str, status: int = 409) -> None:
        super().__init__(message)
        self.code, self.status = code, status


def is_working_day(d: date) -> bool:
    try:
        return bool(chinese_calendar.is_workday(d))
    except NotImplementedError:
        return d.weekday() < 5


def _plain_saturday(d: date) -> bool:
    if d.weekday() != 5:
        return False
    try:
        _, holiday = chinese_calendar.get_holiday_detail(d)
    except NotImplementedError:
        return True
    return holiday is None


def day_hours(d: date) -> list[tuple[int, SlotKind]]:
    if is_working_day(d):
        return [(h, SlotKind.REGULAR) for h in REGULAR_HOURS] + [(h, SlotKind.EXTENDED) for h in EXTENDED_HOURS]
    if _plain_saturday(d):
        return [(h, SlotKind.WEEKEND) for h in WEEKEND_HOURS]
    return []


def _slot_start(d: date, hour: int) -> str:
    return datetime(d.year, d.month, d.day, hour, tzinfo=CST).isoformat(timespec="seconds")


class Bookings:
    """The bookings table of the platform store (its connection and lock)."""

    def __init__(self, conn: sqlite3.Connection, lock: threading.Lock, services: Callable[[], set[str]],
                 clock: Callable[[], float] = time.time) -> None:
        self._conn, self._lock, self._services, self._clock = conn, lock, services, clock

    def _taken(self, hall_id: str, service_id: str, days: list[date]) -> dict[str, int]:
        if not days:
            return {}
        rows = self._conn.execute(
            "SELECT slot_start, count(*) FROM bookings WHERE hall_id=? AND service_id=? AND day BETWEEN ? AND ? "
            "GROUP BY slot_start", (hall_id, service_id, days[0].isoformat(), days[-1].isoformat()))
        return {str(r[0]): int(r[1]) for r in rows}

    def slots(self, hall_id: str, service_id: str, first: date | None, days: int) -> dict[str, Any]:
        """The next ``days`` calendar days from ``first`` (default: tomorrow in China time)."""
        if service_id not in self._services():
            raise BookingError(BookingRefusal.UNKNOWN_SLOT, f"no bookable service {service_id!r}", 404)
        today = datetime.fromtimestamp(self._clock(), CST).date()
        start = max(first or today + timedelta(days=1), today + timedelta(days=1))
        wanted = [start + timedelta(days=i) for i in range(max(1, min(days, MAX_DAYS)))]
        with self._lock:
            taken = self._taken(hall_id, service_id, wanted)
        out = []
        for d in wanted:
            slots = []
            for hour, kind in day_hours(d):
                begin = _slot_start(d, hour)
                slots.append({"start": begin, "end": _slot_start(d, hour + 1), "kind": str(kind),
                              "capacity": SLOT_CAPACITY, "left": max(0, SLOT_CAPACITY - taken.get(begin, 0))})
            out.append({"date": d.isoformat(), "working_day": is_working_day(d), "slots": slots})
        return {"hall_id": hall_id, "service_id": service_id, "days": out}

    def book(self, body: Any) -> tuple[bool, dict[str, Any]]:
        """(created, booking). Raises :class:`BookingError` when refused."""
        fields = ("booking_id", "hall_id", "service_id", "slot_start", "id_number_hash", "name_masked")
        if not isinstance(body, dict) or not all(isinstance(body.get(f), str) and body[f] for f in fields):
            raise BookingError(BookingRefusal.INVALID, f"a booking needs {', '.join(fields)}", 422)
        request = {f: body[f] for f in fields if f != "booking_id"}
        sha = hashlib.sha256(json.dumps(request, sort_keys=True, ensure_ascii=False).encode()).hexdigest()
        try:
            start = datetime.fromisoformat(body["slot_start"]).astimezone(CST)
        except ValueError as exc:
            raise BookingError(BookingRefusal.INVALID, "slot_start must be ISO 8601", 422) from exc
        d = start.date()
        kinds = dict(day_hours(d))
        today = datetime.fromtimestamp(self._clock(), CST).date()
        if body["service_id"] not in self._services() or start.minute or start.hour not in kinds or d <= today:
            raise BookingError(BookingRefusal.UNKNOWN_SLOT, "no such bookable slot", 422)
        begin = _slot_start(d, start.hour)
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                found = self._conn.execute("SELECT request_sha256 FROM bookings WHERE booking_id=?",
                                           (body["booking_id"],)).fetchone()
                if found is not None:
                    self._conn.execute("COMMIT")
                    if found[0] != sha:
                        raise BookingError(BookingRefusal.CONFLICT, "this booking id holds another booking")
                    return False, self._rows("booking_id=?", (body["booking_id"],))[0]
                mine = self._conn.execute(
                    "SELECT code FROM bookings WHERE hall_id=? AND service_id=? AND day=? AND id_number_hash=?",
                    (body["hall_id"], body["service_id"], d.isoformat(), body["id_number_hash"])).fetchone()
                if mine is not None:
                    raise BookingError(BookingRefusal.ALREADY_BOOKED, "this person has a booking of it that day")
                n = self._conn.execute("SELECT count(*) FROM bookings WHERE hall_id=? AND service_id=? "
                                       "AND slot_start=?", (body["hall_id"], body["service_id"], begin)).fetchone()[0]
                if n >= SLOT_CAPACITY:
                    raise BookingError(BookingRefusal.SLOT_FULL, "this slot is fully booked")
                code = "APPT1:" + "".join(secrets.choice(_CODE_ALPHABET) for _ in range(8))
                self._conn.execute(
                    "INSERT INTO bookings(booking_id, request_sha256, hall_id, service_id, day, slot_start, "
                    "slot_end, kind, code, id_number_hash, name_masked, created_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
                    (body["booking_id"], sha, body["hall_id"], body["service_id"], d.isoformat(), begin,
                     _slot_start(d, start.hour + 1), str(kinds[start.hour]), code, body["id_number_hash"],
                     body["name_masked"], self._clock()))
                self._conn.execute("COMMIT")
            except BaseException:
                if self._conn.in_transaction:
                    self._conn.execute("ROLLBACK")
                raise
        return True, self._one("booking_id=?", (body["booking_id"],))

    def _one(self, where: str, args: tuple[Any, ...]) -> dict[str, Any]:
        with self._lock:
            return self._rows(where, args)[0]

    def _rows(self, where: str, args: tuple[Any, ...]) -> list[dict[str, Any]]:
        cur = self._conn.execute(
            "SELECT booking_id, hall_id, service_id, slot_start, slot_end, kind, code, id_number_hash, "
            f"name_masked FROM bookings WHERE {where} ORDER BY slot_start, created_at", args)
        names = [c[0] for c in cur.description]
        return [dict(zip(names, r, strict=True)) for r in cur]

    def of_day(self, hall_id: str, day: date) -> list[dict[str, Any]]:
        """The day's bookings in the ``GET /v1/appointments`` shape."""
        with self._lock:
            rows = self._rows("hall_id=? AND day=?", (hall_id, day.isoformat()))
        return [{"code": r["code"], "service_id": r["service_id"], "id_number_hash": r["id_number_hash"],
                 "slot_start": r["slot_start"], "slot_end": r["slot_end"], "name_masked": r["name_masked"],
                 "booked": True} for r in rows]

    def all(self) -> list[dict[str, Any]]:
        with self._lock:
            return self._rows("1=1", ())
