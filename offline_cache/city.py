"""The reference platform's city view: what halls sync about themselves, kept as the latest state of
each hall and machine, and the open alerts (docs/platform-contract.md, kinds ``fleet_health`` and
``alert``).

Each accepted record is projected in the ingest's own transaction (:meth:`CityView.project`, with
the store's lock held), so the view never disagrees with the records. A ``fleet_health`` older than
the one stored (a retry that arrives late) changes nothing. A hall whose last fleet state is older
than :data:`HALL_SILENT_AFTER_S` by the platform's own clock is silent as a whole: its link or
its server is down, and what it last said of its machines is shown as of then.

Read by ``GET /admin/city`` (every hall, the machines with a problem or silent, the open
alerts; ``?district=`` filters) and ``GET /admin/city/halls/{id}`` (one hall, every machine)."""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from typing import Any

HALL_SILENT_AFTER_S = 300.0

CITY_SCHEMA = """
CREATE TABLE city_halls (hall_id TEXT PRIMARY KEY, name TEXT, district TEXT NOT NULL, at TEXT NOT NULL,
    received_ts REAL NOT NULL, state TEXT NOT NULL);
CREATE INDEX city_halls_district ON city_halls(district);
CREATE TABLE city_machines (hall_id TEXT NOT NULL, device TEXT NOT NULL, state TEXT NOT NULL,
    PRIMARY KEY(hall_id, device));
CREATE TABLE city_alerts (hall_id TEXT NOT NULL, alert_id INTEGER NOT NULL, kind TEXT NOT NULL, source TEXT,
    message TEXT, at TEXT, cleared_at TEXT, PRIMARY KEY(hall_id, alert_id));
CREATE INDEX city_alerts_open ON city_alerts(hall_id) WHERE cleared_at IS NULL;
"""


def _text(value: Any, limit: int = 200) -> str:
    return str(value)[:limit] if value is not None else ""


class CityView:
    def __init__(self, conn: sqlite3.Connection, lock: threading.Lock) -> None:
        self._conn, self._lock = conn, lock

    # --- ingest (inside the store's transaction, lock held) --------------------------------------

    def project(self, kind: str, payload: dict[str, Any], received_ts: float) -> None:
        hall_id = payload.get("hall_id")
        if not isinstance(hall_id, str) or not hall_id:
            return
        if kind == "fleet_health":
            self._fleet(hall_id, payload, received_ts)
        elif kind == "alert":
            self._alert(hall_id, payload)

    def _fleet(self, hall_id: str, payload: dict[str, Any], received_ts: float) -> None:
        given = payload.get("hall")
        hall: dict[str, Any] = given if isinstance(given, dict) else {}
        at = _text(hall.get("at") or payload.get("at"), 40)
        row = self._conn.execute("SELECT at FROM city_halls WHERE hall_id=?", (hall_id,)).fetchone()
        if row is not None and row[0] > at:
            return  # a late retry of an older state
        self._conn.execute(
            "INSERT INTO city_halls(hall_id, name, district, at, received_ts, state) VALUES (?,?,?,?,?,?) "
            "ON CONFLICT(hall_id) DO UPDATE SET name=excluded.name, district=excluded.district, at=excluded.at, "
            "received_ts=excluded.received_ts, state=excluded.state",
            (hall_id, _text(hall.get("name")), _text(hall.get("district"), 80), at, received_ts,
             json.dumps(hall, ensure_ascii=False)))
        self._conn.execute("DELETE FROM city_machines WHERE hall_id=?", (hall_id,))
        listed = payload.get("machines")
        machines: list[Any] = listed if isinstance(listed, list) else []
        self._conn.executemany(
            "INSERT OR REPLACE INTO city_machines(hall_id, device, state) VALUES (?,?,?)",
            [(hall_id, _text(m.get("device"), 140), json.dumps(m, ensure_ascii=False))
             for m in machines if isinstance(m, dict) and m.get("device")])

    def _alert(self, hall_id: str, payload: dict[str, Any]) -> None:
        alert_id = payload.get("alert_id")
        if not isinstance(alert_id, int):
            return
        if payload.get("event") == "alert_ack":
            self._conn.execute("UPDATE city_alerts SET cleared_at=? WHERE hall_id=? AND alert_id=?",
                               (_text(payload.get("at"), 40), hall_id, alert_id))
            return
        self._conn.execute(
            "INSERT OR IGNORE INTO city_alerts(hall_id, alert_id, kind, source, message, at) VALUES (?,?,?,?,?,?)",
            (hall_id, alert_id, _text(payload.get("alert_kind"), 40), _text(payload.get("source"), 140),
             _text(payload.get("message"), 500), _text(payload.get("at"), 40)))

    # --- reading ----------------------------------------------------------------------------------

    def _halls(self, district: str | None, hall_id: str | None = None) -> list[tuple[Any, ...]]:
        sql = "SELECT hall_id, name, district, at, received_ts, state FROM city_halls"
        where, args = [], []
        if district:
            where.append("district=?")
            args.append(district)
        if hall_id:
            where.append("hall_id=?")
            args.append(hall_id)
        sql += (" WHERE " + " AND ".join(where) if where else "") + " ORDER BY district, name, hall_id"
        return self._conn.execute(sql, args).fetchall()

    def overview(self, district: str | None = None, now: float | None = None) -> dict[str, Any]:
        """Every hall now, the machines with a problem or silent, the open alerts."""
        now = time.time() if now is None else now
        with self._lock:
            halls = self._halls(district)
            districts = [r[0] for r in self._conn.execute(
                "SELECT DISTINCT district FROM city_halls ORDER BY district")]
            machines = self._conn.execute(
                "SELECT m.hall_id, m.state FROM city_machines m JOIN city_halls h USING(hall_id)"
                + (" WHERE h.district=?" if district else ""), (district,) if district else ()).fetchall()
            alerts = self._conn.execute(
                "SELECT a.hall_id, a.alert_id, a.kind, a.source, a.message, a.at FROM city_alerts a "
                "JOIN city_halls h USING(hall_id) WHERE a.cleared_at IS NULL"
                + (" AND h.district=?" if district else "") + " ORDER BY a.at DESC LIMIT 500",
                (district,) if district else ()).fetchall()
        by_hall: dict[str, list[dict[str, Any]]] = {}
        for hid, state in machines:
            by_hall.setdefault(hid, []).append(json.loads(state))
        out_halls, troubled = [], []
        for row in halls:
            hall = self._hall(row, now, by_hall.get(row[0], []))
            out_halls.append(hall)
            for m in by_hall.get(row[0], []):
                if m.get("silent") or m.get("problems") or hall["silent"]:
                    troubled.append({**m, "hall_id": row[0], "hall_name": row[1], "district": row[2],
                                     "hall_silent": hall["silent"]})
        return {"districts": districts, "district": district or "", "halls": out_halls, "machines": troubled,
                "alerts": [{"hall_id": a[0], "alert_id": a[1], "kind": a[2], "source": a[3], "message": a[4],
                            "at": a[5]} for a in alerts]}

    def hall(self, hall_id: str, now: float | None = None) -> dict[str, Any] | None:
        """One hall with every machine and its open alerts."""
        now = time.time() if now is None else now
        with self._lock:
            rows = self._halls(None, hall_id)
            if not rows:
                return None
            machines = [json.loads(r[0]) for r in self._conn.execute(
                "SELECT state FROM city_machines WHERE hall_id=? ORDER BY device", (hall_id,))]
            alerts = self._conn.execute(
                "SELECT alert_id, kind, source, message, at FROM city_alerts WHERE hall_id=? AND cleared_at IS NULL "
                "ORDER BY alert_id DESC", (hall_id,)).fetchall()
        return {**self._hall(rows[0], now, machines), "machines": machines,
                "alerts": [{"alert_id": a[0], "kind": a[1], "source": a[2], "message": a[3], "at": a[4]}
                           for a in alerts]}

    @staticmethod
    def _hall(row: tuple[Any, ...], now: float, machines: list[dict[str, Any]]) -> dict[str, Any]:
        hid, name, district, at, received_ts, state = row
        versions: dict[str, int] = {}
        for m in machines:
            versions[str(m.get("version"))] = versions.get(str(m.get("version")), 0) + 1
        return {**json.loads(state), "id": hid, "name": name, "district": district, "at": at,
                "silent": now - received_ts >= HALL_SILENT_AFTER_S, "heard_s": round(max(0.0, now - received_ts)),
                "machines_total": len(machines),
                "machines_silent": sum(1 for m in machines if m.get("silent")),
                "machines_problem": sum(1 for m in machines if m.get("problems")),
                "versions": versions}
