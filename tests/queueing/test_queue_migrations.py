"""queue.db written by the release before schema versions (fixtures/queue_v0.sql, captured from
that code) is upgraded by the engine's store with nothing lost and keeps working; a queue.db
from a newer release is refused untouched."""

from __future__ import annotations

import hashlib
import sqlite3
from pathlib import Path

import pytest
from queue_helpers import FakeClock, at, make_engine, small_hall

from offline_cache.migrations import SchemaTooNewError, user_version
from queueing.store import SCHEMA

FIXTURE = Path(__file__).with_name("fixtures") / "queue_v0.sql"


def rows(db: Path) -> dict[str, list[tuple[object, ...]]]:
    conn = sqlite3.connect(db)
    try:
        names = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table' "
                                            "AND name NOT LIKE 'sqlite_%'")]
        return {n: sorted(conn.execute(f'SELECT * FROM "{n}"').fetchall(), key=repr) for n in names}
    finally:
        conn.close()


def load(data_dir: Path) -> Path:
    data_dir.mkdir(parents=True)
    db = data_dir / "queue.db"
    with sqlite3.connect(db) as conn:
        conn.executescript(FIXTURE.read_text("utf-8"))
        assert user_version(conn) == 0
    return db


def test_a_v0_queue_db_is_upgraded_with_every_ticket_and_keeps_numbering(tmp_path: Path) -> None:
    db = load(tmp_path / "hall")
    before = rows(db)
    engine = make_engine(tmp_path / "hall", FakeClock(at(9, 30)), small_hall())
    try:
        with sqlite3.connect(db) as conn:
            assert user_version(conn) == SCHEMA.version
        after = rows(db)
        # opening upgrades; it changes no row (v5 adds columns to alerts, empty: the old ones are as they were)
        width = {n: len(r[0]) for n, r in before.items() if r}
        assert {n: [row[:width.get(n, len(row))] for row in r] for n, r in after.items() if n in before} == before
        assert all(set(row[width["alerts"]:]) == {None} for row in after["alerts"])
        # v2 adds the credential tables, empty: an upgraded hall has no device or staff yet; v3 the
        # per-kiosk count of tickets without an ID card, empty too
        assert {n: r for n, r in after.items() if n not in before} == {"devices": [], "staff": [],
                                                                          "staff_sessions": [], "anonymous_issued": [],
                                                                          "complaints": [], "notices": []}
        tickets = {r[2]: r[0] for r in before["tickets"]}  # number -> id
        assert sorted(tickets) == ["A001", "A002", "B001"]
        served, _, _ = engine.ticket(tickets["A001"])
        assert served.status == "done" and engine.rating_of(served.id)["level"] == 5
        assert [t.number for t in engine.waiting()] == ["A002", "B001"]
        assert [a["message"] for a in engine.alerts()] == ["paper low"]
        # the day's sequence carries on from the old file
        assert engine.issue("S1")[0].number == "A003"
        assert engine.call_next("C2").number == "A002"
    finally:
        engine.store.close()


def test_a_queue_db_from_a_newer_release_is_refused_untouched(tmp_path: Path) -> None:
    db = load(tmp_path / "hall")
    with sqlite3.connect(db) as conn:
        conn.execute("PRAGMA user_version=7")
    digest = hashlib.sha256(db.read_bytes()).hexdigest()
    with pytest.raises(SchemaTooNewError, match=r"queue\.db .* version 7"):
        make_engine(tmp_path / "hall", FakeClock(at(9, 30)), small_hall())
    assert hashlib.sha256(db.read_bytes()).hexdigest() == digest


def test_a_v3_queue_db_gets_the_complaints_table_and_keeps_its_day(tmp_path: Path) -> None:
    """The release before complaints (v3) upgrades to the complaints step: its tickets and the
    day's numbering stay, and the first complaint of the day is 0001."""
    from offline_cache.migrations import Schema, migrate
    from queueing import complaints

    data = tmp_path / "hall"
    data.mkdir()
    db = data / "queue.db"
    with sqlite3.connect(db, isolation_level=None) as conn:
        migrate(conn, Schema("queue.db", SCHEMA.migrations[:3]), str(db))
        assert user_version(conn) == 3
    engine = make_engine(data, FakeClock(at(9, 30)), small_hall())
    try:
        issued = engine.issue("S1")[0].number
        with sqlite3.connect(db) as conn:
            assert user_version(conn) == SCHEMA.version
        filed = complaints.file(engine, "0b7d6c1e-8d3a-4a47-9a55-1b1f8e0f6a11", "facility", "no water", "kiosk-1")
        assert (issued, filed["number"]) == ("A001", "TS-20261123-0001")
    finally:
        engine.store.close()
