"""The cache's alerts as they are kept in its file (table ``alerts``, schema v2), so that a
technician's ``cache status`` in another process shows what the sync engine raised. Only the
newest ``KEEP_ALERTS`` are kept. Raising an alert (the log, the listener, the in-memory list) is
:meth:`offline_cache.store.OfflineCache.alert`; this module is the table's rows."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass, field
from typing import Any

KEEP_ALERTS = 500  # the newest alerts kept in the file


@dataclass(frozen=True)
class Alert:
    code: str
    message: str
    at: str
    details: dict[str, Any] = field(default_factory=dict)


def store_alert(conn: sqlite3.Connection, item: Alert) -> None:
    """Add ``item`` to the table and drop all but the newest ``KEEP_ALERTS``."""
    conn.execute("INSERT INTO alerts(code, message, at, details) VALUES (?,?,?,?)",
                 (item.code, item.message, item.at,
                  json.dumps(item.details, ensure_ascii=False, default=str)))
    conn.execute("DELETE FROM alerts WHERE id <= (SELECT max(id) FROM alerts) - ?", (KEEP_ALERTS,))


def read_alerts(conn: sqlite3.Connection, limit: int) -> list[Alert]:
    """The newest ``limit`` alerts in the file, newest first."""
    rows = conn.execute("SELECT code, message, at, details FROM alerts "
                        "ORDER BY id DESC LIMIT ?", (limit,)).fetchall()
    return [Alert(r[0], r[1], r[2], json.loads(r[3])) for r in rows]
