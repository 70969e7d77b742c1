"""Every query the engine runs on a hot path uses an index (issue 16): the engine works a
10,000-ticket day (what a busy hall issues by evening, most of it finished) and every statement
it sent is asked for its ``EXPLAIN QUERY PLAN``. A scan of the tickets table fails, and so does a
query about waiting tickets that walks the per-service-per-day index, which holds the whole day
(``ahead_counts`` did: issue time grew from 0.46 to 1.95 ms over 8,000 tickets).

The day is seeded as rows in the file, as a restored ``queue.db`` would hold it; the engine then
does what counters and kiosks ask of it."""

from __future__ import annotations

import sqlite3
import struct
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest
from queue_helpers import FakeClock, make_engine, sample_hall_toml

from queueing.engine import QueueEngine
from queueing.hallconfig import load_credentials, load_hall
from queueing.store import SQLiteStore

DAY_TICKETS = 10_000
STILL_WAITING = 300
WAITING_INDEXES = ("tickets_waiting", "tickets_active")
# the sample hall with room for a 10,000-ticket day (the cap query still runs on every issue)
HALL = sample_hall_toml().replace("daily_cap = 300", "daily_cap = 20000").replace(
    "anonymous_share = 0.5 ", "anonymous_share = 1.0 ")


def seed_day(engine: QueueEngine, clock: FakeClock) -> None:
    """10,000 tickets of today over W01's services: the first ones finished, the last waiting."""
    hall, now = engine.hall, clock()
    day = hall.day(now)
    engine.waiting_counts()  # the day is opened by the engine itself
    services = list(hall.counters["W01"].services)
    rows, last = [], {}
    for i in range(DAY_TICKETS):
        sid = services[i % len(services)]
        prefix = hall.services[sid].prefix
        last[prefix] = last.get(prefix, 0) + 1
        issued = now - 8 * 3600 + i * 2.5
        done = i < DAY_TICKETS - STILL_WAITING
        rows.append((str(uuid.uuid4()), day, f"{prefix}{last[prefix]:03d}", sid,
                     "green" if i % 20 == 0 else "normal", "done" if done else "waiting", issued, issued,
                     i + 1, None, "kiosk", "W01" if done else None, issued + 60 if done else None,
                     issued + 70 if done else None, issued + 400 if done else None, "done" if done else None))
    con = sqlite3.connect(engine.store.path)  # type: ignore[attr-defined]
    with con:
        con.executemany(
            "INSERT INTO tickets(id, day, number, service_id, priority, status, issued_at, key_time, seq, "
            "person_hash, channel, counter_id, called_at, started_at, finished_at, outcome) "
            "VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)", rows)
        con.executemany("INSERT INTO sequences(day, prefix, last) VALUES(?,?,?) "
                        "ON CONFLICT(day, prefix) DO UPDATE SET last=excluded.last",
                        [(day, p, n) for p, n in last.items()] + [("", "*", DAY_TICKETS)])
    con.close()


def hot_path(engine: QueueEngine) -> None:
    """What a working day asks: kiosks issue and look up, counters work, the display reads."""
    t, _, _ = engine.issue("S0401")
    engine.issue("S0401", priority="green")
    engine.issue("S0401", id_number="110105199001011234")
    engine.ticket(t.id)
    engine.ticket_by_number(t.number)
    engine.preview("W01")
    engine.call_next("W01")
    engine.recall("W01")
    engine.start("W01")
    engine.finish("W01")
    engine.call_next("W01")
    engine.no_show("W01")
    engine.put_back("W01")
    called = engine.call_next("W01")
    assert called is not None
    engine.transfer("W01", "S0403" if called.service_id != "S0403" else "S0402")
    engine.pause("W02", "lunch")
    engine.resume("W02")
    engine.display()
    engine.waiting_counts()
    engine.waiting("S0401", limit=50)
    engine.counter_states()


def test_every_hot_path_query_uses_an_index(tmp_path: Path, clock: FakeClock) -> None:
    engine = make_engine(tmp_path / "hall", clock, HALL)
    try:
        seed_day(engine, clock)
        sent: list[str] = []
        engine.store.trace_statements(sent.append)  # type: ignore[attr-defined]
        hot_path(engine)
        engine.store.trace_statements(None)  # type: ignore[attr-defined]
        con = sqlite3.connect(engine.store.path)  # type: ignore[attr-defined]
        bad: dict[str, list[str]] = {}
        for sql in dict.fromkeys(s.strip() for s in sent):
            if "tickets" not in sql or not sql.upper().startswith(("SELECT", "UPDATE", "INSERT", "DELETE")):
                continue
            plan = [row[3] for row in con.execute("EXPLAIN QUERY PLAN " + sql)]
            on_tickets = [p for p in plan if " tickets" in f" {p}" and "sqlite_autoindex" not in p]
            # a scan of the waiting/active partial index reads what waits, not the day
            scans = [p for p in on_tickets if p.startswith("SCAN tickets")
                     and not any(p.endswith(f"INDEX {ix}") for ix in WAITING_INDEXES)]
            whole_day = [p for p in on_tickets if "status='waiting'" in sql.replace(" ", "")
                         and "tickets_service_day" in p]
            if scans or whole_day:
                bad[sql[:400]] = plan
        con.close()
        assert sent, "no statement was traced"
        assert not bad, "queries reading the tickets table without a fitting index:\n" + "\n".join(
            f"{q}\n    {p}" for q, p in bad.items())
    finally:
        engine.store.close()


@pytest.mark.parametrize("cls", ["P", "N", "L"])
def test_ahead_counts_walks_only_the_waiting(tmp_path: Path, clock: FakeClock, cls: str) -> None:
    """Each class's estimate query (policy.py's P, N, L) on the waiting index, never the day's."""
    engine = make_engine(tmp_path / "hall", clock, HALL)
    try:
        seed_day(engine, clock)
        sent: list[str] = []
        engine.store.trace_statements(sent.append)  # type: ignore[attr-defined]
        with engine.store.read() as tx:
            tx.ahead_counts(engine.hall.day(clock()), ["S0401", "S0402"], cls, clock(), clock(), 10**6)
        engine.store.trace_statements(None)  # type: ignore[attr-defined]
        con = sqlite3.connect(engine.store.path)  # type: ignore[attr-defined]
        (sql,) = [s for s in sent if "count(" in s]
        plan = [row[3] for row in con.execute("EXPLAIN QUERY PLAN " + sql)]
        con.close()
        used = [p for p in plan if "tickets" in p]
        assert used and all(any(ix in p for ix in WAITING_INDEXES) for p in used), plan
    finally:
        engine.store.close()


def test_statistics_of_a_range_read_by_index(tmp_path: Path, clock: FakeClock) -> None:
    """Statistics with history (queueing/stats_history.py) over the 10,000-ticket day and a
    month's range: the event rows by the day index, the tickets (跑动次数) by an index on the day,
    never a scan of either table."""
    from queueing import stats_history

    engine = make_engine(tmp_path / "hall", clock, HALL)
    try:
        seed_day(engine, clock)
        hot_path(engine)  # some events of today
        day = engine.hall.day(clock())
        sent: list[str] = []
        engine.store.trace_statements(sent.append)  # type: ignore[attr-defined]
        with engine.store.read() as tx:
            figures = stats_history.compute(tx, engine.hall, engine.hall.day_before(day, 30), day, day,
                                            {"S0401": "即办件"})
        engine.store.trace_statements(None)  # type: ignore[attr-defined]
        assert figures["visits"]["visits"] >= DAY_TICKETS
        con = sqlite3.connect(engine.store.path)  # type: ignore[attr-defined]
        bad: dict[str, list[str]] = {}
        for sql in dict.fromkeys(s.strip() for s in sent):
            if not sql.upper().startswith("SELECT") or not any(t in sql for t in (" tickets", " events")):
                continue
            plan = [row[3] for row in con.execute("EXPLAIN QUERY PLAN " + sql)]
            if any(p.startswith(("SCAN tickets", "SCAN events")) for p in plan):
                bad[sql[:300]] = plan
        con.close()
        assert sent and not bad, "\n".join(f"{q}\n    {p}" for q, p in bad.items())
    finally:
        engine.store.close()



def _pages_written(engine: QueueEngine, op: Callable[[], object]) -> list[str]:
    """The tables and indexes whose pages ``op``'s commit put in the WAL (dbstat names them)."""
    path = Path(engine.store.path)  # type: ignore[attr-defined]
    con = sqlite3.connect(path, isolation_level=None)
    try:
        try:
            names = {p: n for n, p in con.execute("SELECT name, pageno FROM dbstat")}
        except sqlite3.OperationalError:
            pytest.skip("this SQLite has no dbstat table")
        assert con.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()[0] == 0  # the WAL emptied
        op()
        wal = (path.parent / (path.name + "-wal")).read_bytes()
    finally:
        con.close()
    size = struct.unpack(">I", wal[8:12])[0]
    frames = range(32, len(wal) - size - 23, 24 + size)  # a 32-byte header, then (24-byte header, page)
    return [names.get(struct.unpack(">I", wal[f:f + 4])[0], "?") for f in frames]


def test_a_counters_call_start_and_finish_leave_the_tickets_fixed_indexes_alone(
        tmp_path: Path, clock: FakeClock) -> None:
    """A call, a start and a finish change a ticket's state, never what it was issued as: their
    commits write no page of the day's per-service index nor of the id and seq indexes (an UPDATE
    that named every column rewrote them in every commit, issue 16)."""
    data = tmp_path / "hall"
    data.mkdir()
    (data / "hall.toml").write_text(HALL, encoding="utf-8")
    hall = load_hall(data)
    # no checkpointer thread: it would checkpoint under the count
    engine = QueueEngine(hall, SQLiteStore(data / "queue.db", checkpointer=False),
                         load_credentials(data)["hall_key"], clock=clock)
    try:
        seed_day(engine, clock)
        for op in ("call_next", "start", "finish"):
            pages = _pages_written(engine, lambda op=op: getattr(engine, op)("W01"))
            assert "tickets" in pages and "events" in pages, (op, pages)
            assert not {"tickets_service_day", "sqlite_autoindex_tickets_1", "sqlite_autoindex_tickets_2",
                        "tickets_person"} & set(pages), (op, pages)
    finally:
        engine.store.close()
