"""The outbox seam: the event log is forwarded to an outbox (anything with ``enqueue(kind,
payload)``; in production the offline cache) from a persisted cursor, without personal data."""

from __future__ import annotations

from pathlib import Path

import pytest
from queue_helpers import FakeClock, at, make_engine, small_hall

from queueing.outbox import OutboxForwarder

pytestmark = pytest.mark.usefixtures("store")  # on both stores (conftest.py)


class ListOutbox:
    """Records what would be queued for the platform."""

    def __init__(self) -> None:
        self.records: list[tuple[str, dict]] = []

    def enqueue(self, kind: str, payload: dict) -> str:
        self.records.append((kind, payload))
        return f"r{len(self.records)}"


def test_events_ratings_and_daily_stats_are_forwarded_once(tmp_path: Path, clock: FakeClock) -> None:
    e = make_engine(tmp_path / "h", clock, small_hall())
    out = ListOutbox()
    fwd = OutboxForwarder(e.store, e.hall, out)
    t = e.issue("S1", id_number="110105194912310021")[0]
    e.call_next("C2", staff_id="st-1")
    e.finish("C2")
    e.rate(t.id, 5)
    e.raise_alert("help", "kiosk-1", "x")  # alerts go to the city view too (docs/platform-contract.md)
    while fwd.pump():
        pass
    kinds = [k for k, _p in out.records]
    assert kinds == ["ticket_event"] * 3 + ["rating", "alert"]
    assert [p["event"] for _k, p in out.records] == ["issue", "call", "finish", "rating", "alert"]
    assert out.records[-1][1]["alert_kind"] == "help" and out.records[-1][1]["source"] == "kiosk-1"
    assert all(p["hall_id"] == "test-hall" and p["event_seq"] for _k, p in out.records)
    assert "110105" not in repr(out.records) and t.person_hash not in repr(out.records)

    # a restarted forwarder continues from the stored cursor: nothing is sent twice
    fwd2 = OutboxForwarder(e.store, e.hall, out)
    assert fwd2.pump() == 0
    clock.set(at(9, 0, day=24))
    e.issue("S1")
    while fwd2.pump():
        pass
    stats = [p for k, p in out.records if k == "stats"]
    assert len(stats) == 1 and stats[0]["day"] == "2026-11-23"
    assert stats[0]["stats"]["totals"]["served"] == 1
    assert out.records[-1][1]["event"] == "issue"
    e.store.close()


def test_forwarder_thread_follows_commits(tmp_path: Path, clock: FakeClock) -> None:
    e = make_engine(tmp_path / "h", clock, small_hall())
    out = ListOutbox()
    fwd = OutboxForwarder(e.store, e.hall, out)
    e.on_commit(fwd.notify)
    fwd.start()
    try:
        e.issue("S1")
        e.issue("S2")
        for _ in range(500):
            if len(out.records) == 2:
                break
            fwd._stop.wait(0.01)
        assert [p["ticket"]["number"] for _k, p in out.records] == ["A001", "B001"]
    finally:
        fwd.stop()
        e.store.close()


def test_a_cases_ratings_default_followup_and_loop_reach_the_platform(tmp_path: Path) -> None:
    """The provincial 好差评 system hears of each rating with its case, the default rating of an
    unrated case, a 追评 and the supervisor's callback and verification."""
    from datetime import datetime

    from queue_helpers import TZ

    from queueing.cases import book_of

    clock = FakeClock(datetime(2026, 9, 30, 10, tzinfo=TZ))
    e = make_engine(tmp_path / "h", clock, small_hall())
    out = ListOutbox()
    fwd = OutboxForwarder(e.store, e.hall, out)
    ids = []
    for case in ("CASE-1", "CASE-2"):
        ids.append(e.issue("S1")[0].id)
        e.call_next("C1", staff_id="st-1")
        e.finish("C1", staff_id="st-1", case_no=case)
    e.rate(ids[0], 1, reason="slow")
    book_of(e).followup(ids[0], "still waiting for the certificate")
    clock.set(datetime(2026, 10, 9, 9, tzinfo=TZ))
    book_of(e).callback(ids[0], "called", "9001")
    e.rectify(ids[0], "certificate sent", "9001")
    book_of(e).verify(ids[0], "confirmed", "9001")
    clock.set(datetime(2026, 10, 14, 9, tzinfo=TZ))
    e.waiting()  # the day's first request: the unrated case becomes 满意
    while fwd.pump():
        pass
    rated = [(p["event"], p.get("case_no")) for k, p in out.records if k == "rating"]
    assert rated == [("rating", "CASE-1"), ("rating_followup", "CASE-1"), ("rating_callback", "CASE-1"),
                     ("rectification", None), ("rating_verified", "CASE-1"), ("rating_default", "CASE-2")]
    assert [p["ticket"]["case_no"] for k, p in out.records if k == "rating"] == ["CASE-1"] * 5 + ["CASE-2"]
    e.store.close()
