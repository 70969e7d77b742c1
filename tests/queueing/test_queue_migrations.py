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
        # opening upgrades; it changes no row (v4 appends columns to tickets and ratings: empty, the
        # rating is no default one; v7 columns to alerts, empty: the old ones are as they were)
        width = {n: len(r[0]) for n, r in before.items() if r}
        assert {n: [row[:width[n]] for row in r] if n in width else r
                for n, r in after.items() if n in before} == before
        assert [row[width["tickets"]:] for row in after["tickets"]] == [(None,)] * 3
        assert [row[width["ratings"]:] for row in after["ratings"]] == [(None, None, None, None, 0, None, None, None)]
        assert all(set(row[width["alerts"]:]) == {None} for row in after["alerts"])
        # v2 adds the credential tables, empty: an upgraded hall has no device or staff yet; v3 the
        # per-kiosk count of tickets without an ID card, empty too; then complaints, fleet health, the
        # stage ratings and 差评 loops, the display's notices
        assert {n: r for n, r in after.items() if n not in before} == {
            "devices": [], "staff": [], "staff_sessions": [], "anonymous_issued": [], "complaints": [], "fleet": [],
            "stage_ratings": [], "rating_loops": [], "notices": []}
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
        conn.execute(f"PRAGMA user_version={SCHEMA.version + 1}")
    digest = hashlib.sha256(db.read_bytes()).hexdigest()
    with pytest.raises(SchemaTooNewError, match=rf"queue\.db .* version {SCHEMA.version + 1}"):
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


def test_a_v3_queue_db_with_a_bad_rating_is_upgraded_and_its_loop_can_be_closed(tmp_path: Path) -> None:
    """v3 → now (cases): the rated ticket of a v3 file keeps its rating (no default, no case
    number) and can still be rectified; new ratings carry the case."""
    from offline_cache.migrations import Schema, migrate

    data = tmp_path / "hall"
    engine = make_engine(data, FakeClock(at(9, 30)), small_hall())
    engine.store.close()
    (data / "queue.db").unlink()
    with sqlite3.connect(data / "queue.db", isolation_level=None) as conn:
        migrate(conn, Schema("queue.db", SCHEMA.migrations[:3]))
        assert user_version(conn) == 3
        conn.execute("INSERT INTO tickets(id, day, number, service_id, priority, status, issued_at, key_time, seq, "
                     "counter_id, staff_id, finished_at, outcome) VALUES('t-old', '2026-11-23', 'A001', 'S1', "
                     "'normal', 'done', 1, 1, 1, 'C1', 's-1', 2, 'done')")
        conn.execute("INSERT INTO ratings VALUES('t-old', 1, 'slow', NULL, 3, 'S1', 'C1', 's-1')")
        conn.execute("INSERT INTO sequences VALUES('', '*', 1), ('2026-11-23', 'A', 1)")
    conn.close()
    engine = make_engine(data, FakeClock(at(9, 30)), small_hall())
    try:
        [old] = engine.ratings("2026-11-23")
        assert (old["level"], old["case_no"], old["is_default"]) == (1, None, 0)
        assert engine.rectify("t-old", "spoke to the citizen", "9001")["by"] == "9001"
        engine.issue("S1")
        engine.call_next("C1", "s-2")
        done = engine.finish("C1", "done", "s-2", case_no="CASE-1")
        assert engine.rate(done.id, 2, reason="slow")["case_no"] == "CASE-1"
        with sqlite3.connect(data / "queue.db") as conn:
            assert user_version(conn) == SCHEMA.version
            assert conn.execute("SELECT ticket_id FROM rating_loops").fetchall() == [(done.id,)]
    finally:
        engine.store.close()
