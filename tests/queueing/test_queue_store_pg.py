"""What only the PostgreSQL store has: two hall-server processes on one database racing,
many halls in one database, its migrations, its doorbell (LISTEN/NOTIFY), its failures as 503,
and ``hall-server --store``. Every test runs on a real server (tests/pg_server.py)."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from queue_helpers import ROOT, FakeClock, ServerProcess, at, load_test_hall_toml, small_hall

from offline_cache.migrations import SchemaTooNewError
from queueing.client import HallClient
from queueing.engine import QueueEngine
from queueing.hallconfig import load_credentials, load_hall
from queueing.model import QueueError
from queueing.store_pg import SCHEMA, PgDoorbell, PgStore
from tests.pg_server import PgServer


@pytest.fixture
def db(pg_server: PgServer) -> Iterator[str]:
    url = pg_server.new_database("pgt")
    yield url
    pg_server.drop_database(url)


def _engine(data: Path, url: str, toml: str, clock=time.time) -> QueueEngine:
    data.mkdir(parents=True, exist_ok=True)
    (data / "hall.toml").write_text(toml, encoding="utf-8")
    hall = load_hall(data)
    return QueueEngine(hall, PgStore(url, hall.id, data / "queue.db"), load_credentials(data)["hall_key"], clock=clock)


def _hall_toml(hall_id: str) -> str:
    return small_hall().replace('id = "test-hall"', f'id = "{hall_id}"')


def test_many_halls_in_one_database_see_only_their_own_rows(tmp_path: Path, db: str) -> None:
    clock = FakeClock(at(9))
    a = _engine(tmp_path / "a", db, _hall_toml("hall-a"), clock)
    b = _engine(tmp_path / "b", db, _hall_toml("hall-b"), clock)
    assert [a.issue("S1")[0].number for _ in range(3)] == ["A001", "A002", "A003"]
    assert b.issue("S1")[0].number == "A001"  # numbering is per hall
    assert a.call_next("C1") is not None
    assert len(b.waiting()) == 1 and len(a.waiting()) == 2
    with a.store.read() as ta, b.store.read() as tb:
        kinds_a = [r["kind"] for r in ta.event_rows("0000", "9999")]
        kinds_b = [r["kind"] for r in tb.event_rows("0000", "9999")]
        assert [r[0] for r in ta.events_after(0, 100)] == list(range(1, len(kinds_a) + 1))  # gapless per hall
        assert tb.last_event_seq() == len(kinds_b)
    assert "call" in kinds_a and "call" not in kinds_b
    a.store.close()
    b.store.close()


def test_numbers_are_unique_by_constraint(tmp_path: Path, db: str) -> None:
    e = _engine(tmp_path / "h", db, _hall_toml("hall-c"), FakeClock(at(9)))
    t = e.issue("S1")[0]
    with psycopg.connect(db) as con, pytest.raises(psycopg.errors.UniqueViolation):
        con.execute("INSERT INTO tickets(hall_id, id, day, number, service_id, priority, status, issued_at, key_time,"
                    " seq) VALUES('hall-c', 'other', %s, %s, 'S1', 'normal', 'waiting', 0, 0, 999)", (t.day, t.number))
    e.store.close()


def test_migrations_are_recorded_applied_once_and_a_newer_database_is_refused(tmp_path: Path, db: str) -> None:
    PgStore(db, "h1").close()
    PgStore(db, "h2").close()  # a second start applies nothing
    with psycopg.connect(db) as con:
        assert con.execute("SELECT version FROM queue_schema ORDER BY version").fetchall() == [
            (v,) for v in range(1, SCHEMA.version + 1)]
        con.execute("INSERT INTO queue_schema VALUES(%s, 'from a newer release', 0)", (SCHEMA.version + 1,))
        before = con.execute("SELECT count(*) FROM halls").fetchone()
    with pytest.raises(SchemaTooNewError):
        PgStore(db, "h3")
    with psycopg.connect(db) as con:
        assert con.execute("SELECT count(*) FROM halls").fetchone() == before  # left untouched


def test_a_database_before_complaints_is_upgraded_with_its_rows(tmp_path: Path, db: str) -> None:
    """A database of the release before complaints (v2) gets the complaints step at start; its
    tickets stay and the first complaint of the day is numbered 0001."""
    from offline_cache.migrations import Schema
    from queueing import complaints
    from queueing.store_pg import migrate_pg

    with psycopg.connect(db, autocommit=True) as con:
        migrate_pg(con, Schema("queue store (PostgreSQL)", SCHEMA.migrations[:2]))
    clock = FakeClock(at(9, 30))
    old = _engine(tmp_path / "a", db, _hall_toml("h1"), clock)
    try:
        with psycopg.connect(db) as con:
            assert con.execute("SELECT max(version) FROM queue_schema").fetchone() == (SCHEMA.version,)
        assert old.issue("S1")[0].number == "A001"
        filed = complaints.file(old, "0b7d6c1e-8d3a-4a47-9a55-1b1f8e0f6a11", "facility", "no water", "kiosk-1")
        assert filed["number"] == "TS-20261123-0001"
        assert complaints.in_range(old, "2026-11-23", "2026-11-23")[0]["state"] == "received"
    finally:
        old.store.close()


def test_a_lost_database_is_503_and_health_says_why(tmp_path: Path, db: str, pg_server: PgServer) -> None:
    data = tmp_path / "h"
    data.mkdir()
    (data / "hall.toml").write_text(_hall_toml("hall-d"), encoding="utf-8")
    hall = load_hall(data)
    e = QueueEngine(hall, PgStore(db, hall.id, pool_timeout_s=1.0), load_credentials(data)["hall_key"],
                    clock=FakeClock(at(9)))
    e.issue("S1")
    assert e.store.probe(0.0) is None
    pg_server.drop_database(db)  # the database goes away under the running service
    with pytest.raises(QueueError) as info:
        e.issue("S1")
    assert (info.value.status, info.value.code) == (503, "storage_failed")
    reason = e.store.probe(1.0)
    assert reason is not None and "does not exist" in reason
    e.store.close()


OTHER_PROCESS = r"""
import sys
from pathlib import Path
sys.path.insert(0, sys.argv[1])
from queueing.engine import QueueEngine
from queueing.hallconfig import load_credentials, load_hall
from queueing.store_pg import PgStore
data = Path(sys.argv[3])
hall = load_hall(data)
e = QueueEngine(hall, PgStore(sys.argv[2], hall.id), load_credentials(data)["hall_key"])
e.issue("S1")
e.store.close()
"""


def test_doorbell_rings_when_another_process_commits_events(tmp_path: Path, db: str, pg_server: PgServer) -> None:
    e = _engine(tmp_path / "h", db, _hall_toml("hall-e"), FakeClock(at(9)))
    other = PgDoorbell(db, "another-hall").start()
    bell = PgDoorbell(db, "hall-e", retry_s=(0.1, 0.5)).start()
    assert bell.connected.wait(10) and other.connected.wait(10)
    assert bell.wait(5) and other.wait(5)  # the ring of (re)connecting: read what was committed meanwhile
    issue = subprocess.run([sys.executable, "-c", OTHER_PROCESS, str(ROOT), db, str(tmp_path / "h")],
                           capture_output=True, text=True, timeout=60)
    assert issue.returncode == 0, issue.stderr
    assert bell.wait(5)  # rung by the other process's commit
    e.issue("S1")  # a commit with events
    assert bell.wait(5)
    assert not other.wait(0.5)  # another hall's channel stays quiet
    rings = bell.rings
    with e.store.write() as tx:
        tx.get_meta("day")  # a commit without events does not ring
    assert not bell.wait(0.5) and bell.rings == rings
    pg_server.restart()  # the listener's connection is cut: it reconnects and rings once
    deadline = time.monotonic() + 30
    while bell.rings == rings and time.monotonic() < deadline:
        time.sleep(0.05)
    assert bell.rings > rings and bell.connected.wait(10)
    bell.stop()
    other.stop()
    e.store.close()


def test_hall_server_store_option(tmp_path: Path, pg_server: PgServer) -> None:
    data = tmp_path / "h"
    data.mkdir()
    cmd = [sys.executable, str(ROOT / "main.py"), "hall-server", "--port", "0", "--data-dir", str(data)]
    bad = subprocess.run([*cmd, "--store", "mysql://x"], capture_output=True, text=True, timeout=60)
    assert bad.returncode == 2 and "postgresql://" in bad.stderr
    gone = pg_server.url("no_such_database")
    down = subprocess.run([*cmd, "--store", gone], capture_output=True, text=True, timeout=60)
    assert down.returncode == 2 and "queue database cannot be used" in down.stderr + down.stdout


@pytest.mark.slow
def test_two_hall_servers_on_one_database_10_issuers_10_counters(tmp_path: Path, db: str) -> None:
    data = tmp_path / "h"
    data.mkdir()
    (data / "hall.toml").write_text(load_test_hall_toml(), encoding="utf-8")
    servers = [ServerProcess(data, heartbeat=1.0, args=("--store", db)).start()]
    servers.append(ServerProcess(data, heartbeat=1.0, args=("--store", db)).start())  # same hall, same database
    creds = load_credentials(data)
    issued: list[dict] = []
    called: list[str] = []
    errors: list[BaseException] = []
    lock = threading.Lock()
    issuing_done = threading.Event()
    go = threading.Barrier(20)

    def issuer(n: int) -> None:
        kiosk = HallClient(servers[n % 2].base_url, creds["kiosk"], timeout=30)
        service = "S0101" if n < 7 else "S0201"  # W01-W08 serve S0101, W09-W10 S0201
        go.wait()
        try:
            for _ in range(30):
                got = kiosk.issue_ticket(service)["ticket"]
                with lock:
                    issued.append(got)
        except BaseException as exc:
            errors.append(exc)

    def counter(n: int) -> None:
        cid = f"W{n + 1:02d}"
        staff = HallClient(servers[n % 2].base_url, creds["counter"], timeout=30)
        go.wait()
        try:
            while True:
                answer = staff.call_next(cid)
                if answer is None:
                    if issuing_done.is_set():
                        return
                    time.sleep(0.01)
                    continue
                with lock:
                    called.append(answer["ticket"]["id"])
                staff.finish(cid)
        except BaseException as exc:
            errors.append(exc)

    issuers = [threading.Thread(target=issuer, args=(n,)) for n in range(10)]
    counters = [threading.Thread(target=counter, args=(n,)) for n in range(10)]
    for t in issuers + counters:
        t.start()
    for t in issuers:
        t.join(180)
    issuing_done.set()
    for t in counters:
        t.join(180)
    for s in servers:
        s.stop()
    assert not errors, errors[:3]
    numbers = [t["number"] for t in issued]
    assert len(issued) == 300 and len(set(numbers)) == 300  # 0 duplicate numbers
    assert sorted(called) == sorted(t["id"] for t in issued)  # every ticket called once: 0 double pulls
    assert len({c for c in called}) == 300
    with psycopg.connect(db) as con:
        calls = Counter(r[0] for r in con.execute("SELECT ticket_id FROM events WHERE kind='call'"))
        seqs = [r[0] for r in con.execute("SELECT seq FROM events ORDER BY seq")]
    assert set(calls.values()) == {1} and len(calls) == 300
    assert seqs == list(range(1, len(seqs) + 1))  # one gapless, ordered event log for both processes


@pytest.mark.slow
def test_every_event_reaches_the_subscribers_of_every_hall_server(tmp_path: Path, db: str) -> None:
    data = tmp_path / "h"
    data.mkdir()
    (data / "hall.toml").write_text(load_test_hall_toml(), encoding="utf-8")
    a = ServerProcess(data, heartbeat=1.0, args=("--store", db)).start()
    b = ServerProcess(data, heartbeat=1.0, args=("--store", db)).start()
    creds = load_credentials(data)
    heard: list[tuple[int | None, str]] = []

    def subscribe() -> None:
        display = HallClient(b.base_url, creds["display"])
        try:  # from the start of the log: whenever it connects, nothing may be missed
            for ev in display.events(last_event_id=0, read_timeout=3):
                if ev.kind == "issue":
                    heard.append((ev.id, ev.kind))
                if len(heard) == 5:
                    return
        except Exception:  # the link ends with the test
            return

    try:
        t = threading.Thread(target=subscribe, daemon=True)
        t.start()
        kiosk = HallClient(a.base_url, creds["kiosk"])
        for _ in range(5):
            kiosk.issue_ticket("S0101")  # issued through the other process only
        t.join(8)
        assert len(heard) == 5
    finally:
        a.stop()
        b.stop()


def test_workers_share_the_postgresql_store(tmp_path: Path, db: str) -> None:
    """``hall-server --workers 2 --store postgresql://…``: both workers keep the queue in the
    database (they were started without ``--store`` and each wrote a queue.db of its own)."""
    from hall_process import HallProcess

    data = tmp_path / "h"
    data.mkdir()
    (data / "hall.toml").write_text(load_test_hall_toml(), encoding="utf-8")
    with HallProcess(data, "--workers", "2", "--store", db) as hall:
        kiosk = HallClient(hall.base_url, hall.token("kiosk"), timeout=30)
        numbers = [kiosk.issue_ticket("S0101")["ticket"]["number"] for _ in range(12)]
    assert len(set(numbers)) == 12
    with psycopg.connect(db) as con:
        issued = con.execute("SELECT count(*) FROM tickets").fetchone()
    assert issued is not None and issued[0] == 12
    assert not (data / "queue.db").exists() or not _sqlite_tickets(data / "queue.db")


def _sqlite_tickets(path: Path) -> int:
    import sqlite3

    con = sqlite3.connect(path)
    try:
        return int(con.execute("SELECT count(*) FROM tickets").fetchone()[0])
    except sqlite3.OperationalError:  # no tickets table: the store never opened here
        return 0
    finally:
        con.close()
