"""The offline cache file's layout and how a connection to it is set up: the schema versions
(``SCHEMA``, the ordered migrations that ``offline_cache.migrations`` applies) and the pragmas,
SQL function and migration every connection of :class:`offline_cache.store.OfflineCache` gets.

A schema change is a new ``Migration`` appended here, with its test (docs/offline-cache.md, "How a
schema migration is written")."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

from .migrations import Migration, Schema, migrate

# v1 is the schema of the release before versions existed, with IF NOT EXISTS: it adopts such a
# file (user_version 0) as it is and creates a new one. Never edit a released step: add one.
_V1_BASE = """
CREATE TABLE IF NOT EXISTS records (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL,
    payload_public TEXT NOT NULL,
    payload_sealed BLOB,
    payload_sha256 TEXT NOT NULL,
    payload_bytes INTEGER NOT NULL,
    id_hash TEXT,
    created_at TEXT NOT NULL,
    state TEXT NOT NULL DEFAULT 'pending',
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt REAL NOT NULL DEFAULT 0,
    sched_boot TEXT,
    lease_owner TEXT,
    lease_pid INTEGER,
    lease_until REAL,
    lease_boot TEXT,
    last_error TEXT,
    receipt_no TEXT,
    acked_at TEXT,
    closed_ts REAL,
    dead_reason TEXT,
    purged_at TEXT
);
CREATE INDEX IF NOT EXISTS records_due ON records(state, next_attempt);
CREATE INDEX IF NOT EXISTS records_id_hash ON records(id_hash);
CREATE TABLE IF NOT EXISTS record_attachments (
    record_id TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    position INTEGER NOT NULL,
    PRIMARY KEY (record_id, sha256)
);
CREATE INDEX IF NOT EXISTS record_attachments_sha ON record_attachments(sha256);
CREATE TABLE IF NOT EXISTS attachments (
    sha256 TEXT PRIMARY KEY,
    size INTEGER NOT NULL,
    content_type TEXT NOT NULL,
    created_ts REAL NOT NULL,
    uploaded INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS pulls (
    key TEXT PRIMARY KEY,
    body TEXT NOT NULL,
    etag TEXT,
    fetched_at TEXT NOT NULL,
    fetched_ts REAL NOT NULL
);
"""

SCHEMA = Schema("offline cache", (
    Migration("v1: records, attachments, pulls (the schema before versions)", _V1_BASE),
    Migration("v2: alerts kept in the file, so `cache status` shows the sync engine's alerts", """
CREATE TABLE alerts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    code TEXT NOT NULL,
    message TEXT NOT NULL,
    at TEXT NOT NULL,
    details TEXT NOT NULL DEFAULT '{}'
);
"""),
    # the sender claims the oldest due records of each state by walking this index in seq order
    # and stopping at the batch size; records_due made it read and sort every pending record per
    # batch, so a drain slowed as the backlog grew (issue 16)
    Migration("v3: records_state_seq, so a claim reads one batch, not the whole backlog",
              "CREATE INDEX records_state_seq ON records(state, seq);"),
))


def _pid_alive(pid: int | None) -> int:
    if not pid:
        return 0
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return 0
    except (PermissionError, OSError):
        return 1
    return 1


def connect(path: Path, busy_timeout_ms: int) -> sqlite3.Connection:
    """A connection to the cache file in autocommit mode (transactions are explicit)."""
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False,
                           timeout=busy_timeout_ms / 1000)
    conn.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
    return conn


def prepare(conn: sqlite3.Connection, where: str) -> None:
    """Pragmas, the ``pid_alive()`` function the lease query uses, and the file brought to ``SCHEMA``."""
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=FULL")
    conn.execute("PRAGMA secure_delete=ON")  # freed pages are zeroed, not left readable
    conn.execute("PRAGMA foreign_keys=ON")
    conn.create_function("pid_alive", 1, _pid_alive, deterministic=False)
    migrate(conn, SCHEMA, where)
