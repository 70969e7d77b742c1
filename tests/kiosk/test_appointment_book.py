"""The kiosk's appointment list (kiosk/appointments.py) against a hall service and a platform
pull cache that record what they are asked: the hall's service day (its time zone) is asked for,
never the machine's date; the list is refreshed through the day and at once for an unknown code
or a card with no booking in the last list."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from types import SimpleNamespace
from typing import Any

from kiosk.appointments import REFRESH_SECONDS, AppointmentBook
from offline_cache.sealing import id_number_hash

KEY = "hall-key"
CARD = "11010119900307051X"


class Hall:
    """The hall service as the book sees it: it only asks for the hall's day (the kiosk never
    writes appointments; the hall pulls them from the platform itself)."""

    def __init__(self, day: str) -> None:
        self.day = day

    def health(self) -> dict[str, Any]:
        return {"day": self.day}


class Pulls:
    def __init__(self) -> None:
        self.asked: list[str] = []
        self.lists: dict[str, list[dict[str, Any]]] = {}

    def appointments(self, hall_id: str, day: str) -> Any:
        self.asked.append(day)
        return SimpleNamespace(data={"appointments": list(self.lists.get(day, []))})


def _booking(code: str, start: datetime) -> dict[str, Any]:
    return {"code": code, "service_id": "S0101", "id_number_hash": id_number_hash(KEY, CARD),
            "slot_start": start.isoformat(), "slot_end": (start + timedelta(minutes=30)).isoformat()}


def _core(hall: Hall, pulls: Pulls, clock: list[float]) -> Any:
    return SimpleNamespace(hall=hall, pulls=pulls, hall_id="demo-hall", hall_key=KEY,
                           clock=lambda: clock[0], today=lambda: date(2000, 1, 1))


def test_the_hall_day_not_the_machine_date_and_refreshed_through_the_day() -> None:
    hall, pulls, clock = Hall("2026-12-02"), Pulls(), [0.0]
    book = AppointmentBook(_core(hall, pulls, clock))
    book.refresh()
    assert pulls.asked == ["2026-12-02"]  # the machine says 2000-01-01
    book.refresh_if_due()
    assert len(pulls.asked) == 1
    clock[0] += REFRESH_SECONDS
    hall.day = "2026-12-03"  # past midnight in the hall's time zone
    book.refresh_if_due()
    assert pulls.asked == ["2026-12-02", "2026-12-03"]


def test_an_unknown_code_or_card_asks_again() -> None:
    hall, pulls, clock = Hall("2026-12-02"), Pulls(), [0.0]
    book = AppointmentBook(_core(hall, pulls, clock))
    book.refresh()
    now = datetime.now(UTC)
    pulls.lists["2026-12-02"] = [_booking("APPT1:LATER001", now + timedelta(hours=2)),
                                 _booking("APPT1:NOWNOW01", now - timedelta(minutes=5))]
    book.ensure_known("APPT1:NOWNOW01")  # booked after the last pull
    assert len(pulls.asked) == 2 and book.knows("APPT1:NOWNOW01")
    assert book.code_for(CARD) == "APPT1:NOWNOW01"  # the booking nearest to now
    assert book.code_for("110101199001010000") is None and len(pulls.asked) == 3


def test_a_card_after_the_halls_midnight_is_matched_against_the_new_days_list() -> None:
    hall, pulls, clock = Hall("2026-12-02"), Pulls(), [0.0]
    now = datetime.now(UTC)
    pulls.lists["2026-12-02"] = [_booking("APPT1:YESTERDY", now - timedelta(hours=20))]
    pulls.lists["2026-12-03"] = [_booking("APPT1:TODAY001", now + timedelta(minutes=10))]
    book = AppointmentBook(_core(hall, pulls, clock))
    book.refresh()
    hall.day = "2026-12-03"  # the hall's day turned, the 10-minute refresh not yet due
    assert book.code_for(CARD) == "APPT1:TODAY001"
    assert pulls.asked == ["2026-12-02", "2026-12-03"]
