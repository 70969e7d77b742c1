"""The alerts-and-notices step (SQLite v7, PostgreSQL v6) upgrades a store of the version before
it: the alerts raised before the upgrade keep every column, open with no counter, no escalation,
nobody's acknowledgement, and can be acknowledged and resolved; the notices table starts empty."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import psycopg
import pytest
from queue_helpers import FakeClock, at, small_hall

from offline_cache.migrations import Schema, migrate, user_version
from queueing import alerts, notices
from queueing.engine import QueueEngine
from queueing.hallconfig import load_credentials, load_hall
from queueing.store import SCHEMA, SQLiteStore
from tests.pg_server import PgServer


def _step(schema: Schema) -> int:
    """How many steps come before the alerts-and-notices one (later releases append theirs)."""
    return next(i for i, m in enumerate(schema.migrations) if "alerts acknowledged" in m.description)


def _engine(data: Path, store: object, clock: FakeClock) -> QueueEngine:
    return QueueEngine(load_hall(data), store, load_credentials(data)["hall_key"], clock=clock)  # type: ignore[arg-type]


def _check(engine: QueueEngine) -> None:
    (old,) = alerts.open_for(engine, None)
    assert (old["kind"], old["message"], old["state"], old["counter_id"]) == ("printer", "paper low", "raised", None)
    assert alerts.escalate_due(engine) == []  # routed to no counter: never escalates
    alerts.acknowledge(engine, old["id"], "9001", None)
    assert alerts.resolve(engine, old["id"], "9001", None)["state"] == "resolved"
    assert notices.current(engine)["notices"] == []


def test_a_v4_queue_db_is_upgraded_with_its_alerts(tmp_path: Path) -> None:
    data = tmp_path / "hall"
    data.mkdir()
    (data / "hall.toml").write_text(small_hall(), encoding="utf-8")
    db = data / "queue.db"
    before = Schema(SCHEMA.name, SCHEMA.migrations[:_step(SCHEMA)])  # the release before this step
    with sqlite3.connect(db, isolation_level=None) as conn:
        migrate(conn, before)
        assert user_version(conn) == _step(SCHEMA)
        conn.execute("INSERT INTO alerts(at, kind, source, message) VALUES(?, 'printer', 'kiosk-1', 'paper low')",
                     (at(9).timestamp(),))
    conn.close()
    engine = _engine(data, SQLiteStore(db), FakeClock(at(10)))
    try:
        with sqlite3.connect(db) as conn:
            assert user_version(conn) == SCHEMA.version
        _check(engine)
    finally:
        engine.store.close()


def test_a_postgresql_store_of_the_version_before_is_upgraded_with_its_alerts(tmp_path: Path,
                                                                               pg_server: PgServer) -> None:
    from queueing.store_pg import SCHEMA as PG_SCHEMA
    from queueing.store_pg import PgStore, migrate_pg

    url = pg_server.new_database("mig")
    try:
        data = tmp_path / "hall"
        data.mkdir()
        (data / "hall.toml").write_text(small_hall(), encoding="utf-8")
        with psycopg.connect(url, autocommit=True) as con:
            migrate_pg(con, Schema(PG_SCHEMA.name, PG_SCHEMA.migrations[:_step(PG_SCHEMA)]))
            con.execute("INSERT INTO halls(hall_id, created_at) VALUES('test-hall', 0)")
            con.execute("INSERT INTO alerts(hall_id, at, kind, source, message) VALUES('test-hall', %s, 'printer', "
                        "'kiosk-1', 'paper low')", (at(9).timestamp(),))
        engine = _engine(data, PgStore(url, "test-hall", data / "queue.db"), FakeClock(at(10)))
        try:
            with psycopg.connect(url) as con:
                assert con.execute("SELECT max(version) FROM queue_schema").fetchone() == (PG_SCHEMA.version,)
            _check(engine)
        finally:
            engine.store.close()
    finally:
        pg_server.drop_database(url)


@pytest.fixture(scope="module")
def pg_server() -> object:
    from tests.pg_server import missing_reason

    reason = missing_reason()
    if reason is not None:
        pytest.skip(f"PostgreSQL store not tested: {reason}")
    server = PgServer().start()
    yield server
    server.stop()
