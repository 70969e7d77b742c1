"""Schema versions: the offline cache and the platform store written by the release before
schema versions (fixtures/*_v0.sql, captured from that code) are opened by this release,
upgraded, and nothing is lost; a file from a newer release is refused and left untouched."""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from cache_testlib import FAST, ROOT, drain

from offline_cache.client import PlatformClient
from offline_cache.migrations import Migration, Schema, SchemaTooNewError, migrate, user_version
from offline_cache.platform_server import start_reference_platform
from offline_cache.platform_store import SCHEMA as PLATFORM_SCHEMA
from offline_cache.store import SCHEMA as CACHE_SCHEMA
from offline_cache.store import OfflineCache
from offline_cache.sync import SyncEngine

FIXTURES = Path(__file__).with_name("fixtures")
FIXTURE_KEY = bytes(range(64))  # the key the v0 cache fixture was sealed with


def load_fixture(name: str, db: Path) -> dict[str, list[tuple[object, ...]]]:
    """Write the fixture into ``db``; return every table's rows (to compare after the upgrade)."""
    db.parent.mkdir(parents=True, exist_ok=True)
    with sqlite3.connect(db) as conn:
        conn.executescript((FIXTURES / name).read_text("utf-8"))
    return table_rows(db)


def table_rows(db: Path) -> dict[str, list[tuple[object, ...]]]:
    conn = sqlite3.connect(db)
    try:
        names = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table' "
                                            "AND name NOT LIKE 'sqlite_%'")]
        return {n: sorted(conn.execute(f'SELECT * FROM "{n}"').fetchall(), key=repr) for n in names}
    finally:
        conn.close()


def version_of(db: Path) -> int:
    conn = sqlite3.connect(db)
    try:
        return user_version(conn)
    finally:
        conn.close()


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "main.py", "cache", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=60)


def test_a_v0_offline_cache_is_upgraded_by_cache_status_and_nothing_is_lost(platform, tmp_path: Path) -> None:
    data = tmp_path / "kiosk"
    db = data / "offline-cache.db"
    before = load_fixture("offline_cache_v0.sql", db)
    fd = os.open(data / "offline-cache.db.key", os.O_WRONLY | os.O_CREAT, 0o600)
    os.write(fd, FIXTURE_KEY)
    os.close(fd)
    assert version_of(db) == 0 and "alerts" not in before

    # the technician's first command after the update opens (and so upgrades) the file
    status = cli("--data-dir", str(data), "--json", "status")
    assert status.returncode == 0, status.stderr
    assert json.loads(status.stdout)["counts"] == {"pending": 2, "inflight": 0, "acked": 3, "dead": 1,
                                                  "discarded": 0}
    assert version_of(db) == CACHE_SCHEMA.version
    after = table_rows(db)
    for table, rows in before.items():
        assert after[table] == rows, table  # every row of every old table, unchanged
    assert after["alerts"] == []

    cache = OfflineCache(db)
    try:
        acked = cache.records("acked")
        assert [r.receipt_no is not None for r in acked] == [True] * 3
        first = cache.payload("00000000-0000-4000-8000-000000000000")
        assert first is not None and first["name"] == "张伟测试" and first["form"] == {"n": 0}
        assert cache.dead_letters()[0].dead_reason["code"] == "unknown_kind"
        assert cache.pull_get("catalogue") is not None
        # and it keeps working: the two pending records reach a real platform exactly once
        engine = SyncEngine(cache, platform.base_url, platform.token, "kiosk-upgraded", **FAST)
        try:
            drain(engine)
        finally:
            engine.close()
        assert cache.counts()["acked"] == 5
        cache.alert("test_alert", "stored in the upgraded file")
        assert cache.recent_alerts()[0].code == "test_alert"
    finally:
        cache.close()


def test_a_v0_platform_store_is_upgraded_and_still_deduplicates_forever(tmp_path: Path) -> None:
    before = load_fixture("platform_v0.sql", tmp_path / "platform" / "platform.db")
    running = start_reference_platform(tmp_path / "platform")
    try:
        assert version_of(running.data_dir / "platform.db") == PLATFORM_SCHEMA.version
        after = table_rows(running.data_dir / "platform.db")
        assert {t: after[t] for t in before} == before  # no new sample cases, nothing changed
        old = running.admin().record("00000000-0000-4000-8000-000000000001")
        client = PlatformClient(running.base_url, running.token, "kiosk-fixture")
        try:
            wire = {k: old[k] for k in ("id", "kind", "created_at", "payload", "payload_sha256",
                                        "attachments")}
            result = client.post_batch([wire])[old["id"]]
        finally:
            client.close()
        assert result == {"id": old["id"], "status": "duplicate", "receipt_no": old["receipt_no"]}
    finally:
        running.stop()


def _newer(db: Path, fixture: str) -> str:
    load_fixture(fixture, db)
    with sqlite3.connect(db) as conn:
        conn.execute("PRAGMA user_version=99")
    return hashlib.sha256(db.read_bytes()).hexdigest()


def test_a_cache_from_a_newer_release_is_refused_untouched(tmp_path: Path) -> None:
    data = tmp_path / "kiosk"
    db = data / "offline-cache.db"
    digest = _newer(db, "offline_cache_v0.sql")
    with pytest.raises(SchemaTooNewError, match="version 99"):
        OfflineCache(db, key=FIXTURE_KEY)
    done = cli("--data-dir", str(data), "status")
    assert done.returncode == 2 and "newer than this release" in done.stderr
    assert "Traceback" not in done.stderr
    assert hashlib.sha256(db.read_bytes()).hexdigest() == digest
    assert sorted(p.name for p in data.iterdir() if "corrupt" in p.name) == []  # not quarantined


def test_a_platform_store_from_a_newer_release_is_refused_untouched(tmp_path: Path) -> None:
    db = tmp_path / "platform" / "platform.db"
    digest = _newer(db, "platform_v0.sql")
    with pytest.raises(SchemaTooNewError):
        start_reference_platform(tmp_path / "platform")
    assert hashlib.sha256(db.read_bytes()).hexdigest() == digest


def test_a_failing_step_leaves_the_file_at_the_last_completed_version(tmp_path: Path) -> None:
    def boom(conn: sqlite3.Connection) -> None:
        conn.execute("INSERT INTO t VALUES (2)")
        raise RuntimeError("disk pulled")

    schema = Schema("test", (Migration("v1", "CREATE TABLE t(x); INSERT INTO t VALUES ('a;b');"),
                             Migration("v2", boom)))
    conn = sqlite3.connect(tmp_path / "t.db", isolation_level=None)
    try:
        with pytest.raises(RuntimeError, match="disk pulled"):
            migrate(conn, schema)
        assert user_version(conn) == 1
        assert conn.execute("SELECT x FROM t").fetchall() == [("a;b",)]
        assert not conn.in_transaction
    finally:
        conn.close()
