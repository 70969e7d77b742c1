"""The fleet table's migration on both stores: a database of the version before it (SQLite v3,
PostgreSQL v2, with rows in it) is upgraded on open with nothing lost, and the fleet works."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from offline_cache.migrations import Schema, migrate, user_version
from queueing import store, store_pg
from queueing.store import SQLiteStore
from tests.pg_server import PgServer

ROW = {"device": "kiosk-07", "role": "kiosk", "name": "k7", "counter_id": None, "state": '{"version": "1"}',
       "seen_at": 1000.0, "silent_alert": None}


def test_a_v3_queue_db_gets_the_fleet_table_and_keeps_its_rows(tmp_path: Path) -> None:
    db = tmp_path / "queue.db"
    before = Schema("queue.db", store.SCHEMA.migrations[:3])
    with sqlite3.connect(db, isolation_level=None) as conn:
        migrate(conn, before)
        conn.execute("INSERT INTO alerts(at, kind, source, message) VALUES(1, 'printer', 'kiosk-07', 'paper low')")
    s = SQLiteStore(db)
    try:
        with s.write() as tx:
            assert [a["message"] for a in tx.alerts(True, 10)] == ["paper low"]
            tx.fleet_put(ROW)
            tx.fleet_set_silent("kiosk-07", 1)
        with s.read() as tx:
            assert tx.fleet_all() == [{**ROW, "silent_alert": 1}]
    finally:
        s.close()
    with sqlite3.connect(db) as conn:
        assert user_version(conn) == store.SCHEMA.version


@pytest.fixture
def db(pg_server: PgServer) -> Iterator[str]:
    url = pg_server.new_database("fleet")
    yield url
    pg_server.drop_database(url)


def test_a_v2_postgresql_database_gets_the_fleet_table(db: str) -> None:
    with psycopg.connect(db, autocommit=True) as con:
        store_pg.migrate_pg(con, Schema("queue store (PostgreSQL)", store_pg.SCHEMA.migrations[:2]))
        con.execute("INSERT INTO halls(hall_id, created_at) VALUES('h1', 0)")
        con.execute("INSERT INTO alerts(hall_id, at, kind, source, message) VALUES('h1', 1, 'printer', 'k', 'low')")
    s = store_pg.PgStore(db, "h1")
    try:
        with s.write() as tx:
            assert [a["message"] for a in tx.alerts(True, 10)] == ["low"]
            tx.fleet_put(ROW)
        with s.read() as tx:
            assert tx.fleet_all() == [ROW] and tx.fleet_get("kiosk-07") == ROW
    finally:
        s.close()
    with psycopg.connect(db) as con:
        assert con.execute("SELECT max(version) FROM queue_schema").fetchone() == (store_pg.SCHEMA.version,)
