"""Storage of the reference platform: records de-duplicated forever by a UNIQUE key on their id,
receipt numbers (受理编号), content-addressed attachment files, application status that advances
with time, the sample catalogue, and a day's sample appointments.

One SQLite file (WAL, synchronous=FULL) in the platform's data dir; every batch is one
transaction, committed before the answer is written.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import re
import sqlite3
import threading
import time
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from .city import CITY_SCHEMA, CityView
from .migrations import Migration, Schema, migrate, refuse_newer
from .platform_booking import BOOKINGS_SCHEMA, Bookings
from .sealing import canonical_json, id_number_hash

#: the kinds of sync protocol v1 as first released: a platform of that release refuses any other
V1_KINDS = frozenset({"application", "complaint", "rating", "ticket_event", "stats", "audit_head"})
#: v1 plus fleet health (docs/platform-contract.md); offline_cache/city.py keeps the city's view of them
KINDS = V1_KINDS | {"fleet_health", "alert", "complaint_update"}  # + a hall's handling of complaints
CST = timezone(timedelta(hours=8))  # halls are in China Standard Time
_HEX64 = re.compile(r"[0-9a-f]{64}")
_ID = re.compile(r"[A-Za-z0-9._:-]{8,80}")
DEMO_ID_NUMBER = "11010519491231002X"  # fictional identity of the demos and the ID-card simulator
DEMO_APPOINTMENT_CODE = "APPT1:K7Q2M9XW"
# The first 17 digits of the ID-card simulator's resident card "zhang_san" (devices/idcard/simulator.py):
# the demo books that card too, so a check-in by card works on the demo kiosk.
SIM_CARD_FIRST17 = "11010119900307051"
_CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)

STATUS_TEXT = {
    "accepted": "已受理", "in_review": "审查中", "supplement_required": "待补正材料",
    "completed": "已办结", "received": "已接收", "ready_for_pickup": "待领取",
}

# v1 is the schema of the release before versions existed (IF NOT EXISTS adopts such a file).
# Never edit a released step: add one (docs/offline-cache.md).
SCHEMA = Schema("platform store", (
    Migration("v1: records, ingest log, receipt counters (the schema before versions)", """
CREATE TABLE IF NOT EXISTS records (
    id TEXT PRIMARY KEY,
    device_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    created_at TEXT,
    payload TEXT NOT NULL,
    payload_sha256 TEXT NOT NULL,
    attachments TEXT NOT NULL,
    receipt_no TEXT NOT NULL UNIQUE,
    received_at TEXT NOT NULL,
    received_ts REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS ingest_log (
    id TEXT NOT NULL, status TEXT NOT NULL, device_id TEXT, at REAL NOT NULL);
CREATE TABLE IF NOT EXISTS counters (day TEXT PRIMARY KEY, n INTEGER NOT NULL);
"""),
    Migration("v2: the city view: each hall's and machine's latest fleet state, open alerts", CITY_SCHEMA),
    Migration("v3: cases whose result waits at the hall's 出件 window (docs/platform-contract.md)", """
CREATE TABLE pickups (
    receipt_no TEXT PRIMARY KEY,
    ready_at REAL NOT NULL
);
"""),
    Migration("v4: 预约号源 bookings made through the platform (offline_cache/platform_booking.py)", BOOKINGS_SCHEMA),
))


def delivery_method(payload: dict[str, Any]) -> str:
    """How the citizen wants the result (``pickup`` / ``post``), "" for a record without a choice."""
    delivery = payload.get("delivery")
    method = delivery.get("method") if isinstance(delivery, dict) else None
    return method if method in ("pickup", "post") else ""


def id_check_char(first17: str) -> str:
    return "10X98765432"[sum(int(c) * w for c, w in zip(first17, _WEIGHTS, strict=True)) % 11]


class PlatformStore:
    def __init__(self, data_dir: Path, catalogue: dict[str, Any], *, hall_key: str,
                 kinds: frozenset[str] = KINDS, status_step_seconds: float = 120.0) -> None:
        self.data_dir = Path(data_dir)
        self.attachments_dir = self.data_dir / "attachments"
        self.attachments_dir.mkdir(parents=True, exist_ok=True)
        self.hall_key = hall_key
        self.kinds = kinds
        self.status_step_seconds = status_step_seconds
        self._lock = threading.Lock()
        self._conn = sqlite3.connect(self.data_dir / "platform.db", isolation_level=None,
                                     check_same_thread=False, timeout=30)
        try:
            where = str(self.data_dir / "platform.db")
            refuse_newer(self._conn, SCHEMA, where)  # before the journal_mode pragma writes
            self._conn.execute("PRAGMA journal_mode=WAL")
            self._conn.execute("PRAGMA synchronous=FULL")
            migrate(self._conn, SCHEMA, where)
        except BaseException:
            self._conn.close()
            raise
        self.set_catalogue(catalogue)
        self.city = CityView(self._conn, self._lock)
        self.bookings = Bookings(self._conn, self._lock, lambda: set(self._services))
        self._seed_applications()

    # --- catalogue -------------------------------------------------------------------------

    def set_catalogue(self, catalogue: dict[str, Any]) -> None:
        body = json.dumps(catalogue, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        self.catalogue = catalogue
        self.catalogue_body = body
        self.catalogue_etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
        # a 一件事 bundle's application carries the bundle's id (its promised days give the deadline)
        self._services = {s.get("id"): s for s in [*catalogue.get("services", []), *catalogue.get("bundles", [])]}

    # --- records ---------------------------------------------------------------------------

    def _receipts(self, now: datetime, count: int) -> list[str]:
        """``count`` consecutive receipt numbers of the day: one counter update per batch."""
        day = now.strftime("%Y%m%d")
        last = self._conn.execute("INSERT INTO counters(day, n) VALUES (?, ?) "
                                  "ON CONFLICT(day) DO UPDATE SET n=n+excluded.n RETURNING n",
                                  (day, count)).fetchone()[0]
        return [f"SG{day}{n:05d}" for n in range(last - count + 1, last + 1)]

    def _check(self, rec: dict[str, Any]) -> tuple[dict[str, str] | None, str]:
        """``(reason, canonical JSON of the payload)``: the reason is None when the record can be
        stored; the canonical JSON (taken once for the hash check) is what gets stored."""
        if rec.get("kind") not in self.kinds:
            return {"code": "unknown_kind", "message": f"kind {rec.get('kind')!r} is not accepted"}, ""
        payload = rec.get("payload")
        if not isinstance(payload, dict):
            return {"code": "invalid_payload", "message": "payload must be a JSON object"}, ""
        sha = rec.get("payload_sha256")
        canonical = canonical_json(payload)
        if not isinstance(sha, str) or hashlib.sha256(canonical.encode()).hexdigest() != sha:
            return {"code": "payload_hash_mismatch", "message": "payload_sha256 does not match the payload"}, ""
        if not isinstance(rec.get("created_at"), str):
            return {"code": "invalid_created_at", "message": "created_at must be an ISO 8601 string"}, ""
        atts = rec.get("attachments", [])
        if not isinstance(atts, list) or not all(isinstance(a, str) and _HEX64.fullmatch(a) for a in atts):
            return {"code": "invalid_attachments", "message": "attachments must be sha256 hex strings"}, ""
        missing = [a for a in atts if not (self.attachments_dir / a).exists()]
        if missing:
            return {"code": "missing_attachment", "message": f"upload {missing[0]} first"}, ""
        return None, canonical

    def _stored(self, ids: list[str]) -> dict[str, tuple[str, str]]:
        """``{id: (payload_sha256, receipt_no)}`` of the given ids already stored."""
        found: dict[str, tuple[str, str]] = {}
        unique = list(dict.fromkeys(ids))
        for i in range(0, len(unique), 500):
            part = unique[i:i + 500]
            marks = ",".join("?" * len(part))
            for rid, sha, receipt in self._conn.execute(
                    f"SELECT id, payload_sha256, receipt_no FROM records WHERE id IN ({marks})", part):
                found[rid] = (sha, receipt)
        return found

    def ingest(self, device_id: str, records: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Store a batch in one transaction; return the per-record results.

        Set-wise: one look-up of the ids already stored, one counter update for the batch's
        receipt numbers (in the batch's order, as record by record), one insert of the rows. An
        id twice in one batch is stored once; its second copy is a duplicate (or a conflict)."""
        results: list[dict[str, Any]] = []
        now = datetime.now(CST)
        ts = time.time()
        received_at = now.isoformat(timespec="seconds")
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                stored = self._stored([rec["id"] for rec in records])
                new: list[tuple[int, dict[str, Any], str]] = []  # (index in results, record, canonical)
                for rec in records:
                    rid = rec["id"]
                    known = stored.get(rid)
                    if known is not None:
                        if known[0] == rec.get("payload_sha256"):
                            results.append({"id": rid, "status": "duplicate", "receipt_no": known[1]})
                        else:
                            results.append({"id": rid, "status": "conflict", "reason": {
                                "code": "payload_mismatch",
                                "message": "this id is stored with a different payload"}})
                        continue
                    if not _ID.fullmatch(rid):
                        results.append({"id": rid, "status": "rejected", "reason": {
                            "code": "invalid_id", "message": "id must be a UUID"}})
                        continue
                    reason, canonical = self._check(rec)
                    if reason is not None:
                        results.append({"id": rid, "status": "rejected", "reason": reason})
                        continue
                    # the receipt is filled in below; a later copy of this id in the batch sees it
                    stored[rid] = (rec["payload_sha256"], "")
                    new.append((len(results), rec, canonical))
                    results.append({"id": rid, "status": "accepted", "receipt_no": ""})
                receipts = self._receipts(now, len(new)) if new else []
                rows = []
                for (at, rec, canonical), receipt in zip(new, receipts, strict=True):
                    results[at]["receipt_no"] = receipt
                    stored[rec["id"]] = (rec["payload_sha256"], receipt)
                    rows.append((rec["id"], device_id, rec["kind"], rec["created_at"], canonical,
                                 rec["payload_sha256"], json.dumps(rec.get("attachments", [])), receipt,
                                 received_at, ts))
                for res in results:  # copies of an id accepted earlier in this batch
                    if res["status"] == "duplicate" and not res["receipt_no"]:
                        res["receipt_no"] = stored[res["id"]][1]
                self._conn.executemany(
                    "INSERT INTO records(id, device_id, kind, created_at, payload, payload_sha256, "
                    "attachments, receipt_no, received_at, received_ts) VALUES (?,?,?,?,?,?,?,?,?,?)", rows)
                for _at, rec, _canonical in new:
                    self.city.project(rec["kind"], rec["payload"], ts)
                self._conn.executemany("INSERT INTO ingest_log(id, status, device_id, at) VALUES (?,?,?,?)",
                                       [(r["id"], r["status"], device_id, ts) for r in results])
                self._conn.execute("COMMIT")
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
        return results

    # --- attachments -----------------------------------------------------------------------

    def put_attachment(self, sha: str, data: bytes) -> int:
        """201 stored, 200 already present; raises ValueError on a hash mismatch."""
        if hashlib.sha256(data).hexdigest() != sha:
            raise ValueError("hash_mismatch")
        target = self.attachments_dir / sha
        if target.exists():
            return 200
        tmp = self.attachments_dir / f".{sha}.{threading.get_ident()}.tmp"
        with open(tmp, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)
        return 201

    def has_attachment(self, sha: str) -> bool:
        return (self.attachments_dir / sha).exists()

    # --- applications ----------------------------------------------------------------------

    def _seed_applications(self) -> None:
        """Three sample cases so a demo can look one up before submitting anything."""
        with self._lock:
            if self._conn.execute("SELECT count(*) FROM records").fetchone()[0]:
                return
        now = time.time()
        samples = [
            ("S0101", [], 0), ("S0101", ["户口簿"], 2.5), ("S0101", [], 10),
        ]
        for i, (service, missing, age_steps) in enumerate(samples, 1):
            payload = {"service_id": service, "sample": i, "missing_materials": missing}
            rec = {"id": f"sample-application-{i:04d}", "kind": "application",
                   "created_at": datetime.now(CST).isoformat(timespec="seconds"), "payload": payload,
                   "payload_sha256": hashlib.sha256(canonical_json(payload).encode()).hexdigest(),
                   "attachments": []}
            self.ingest("platform-sample", [rec])
            with self._lock:
                self._conn.execute("UPDATE records SET received_ts=? WHERE id=?",
                                   (now - age_steps * self.status_step_seconds, rec["id"]))

    def mark_ready(self, receipt_no: str) -> str:
        """The case's result waits at the 出件 window (staff of the issuing department, here an
        admin call): ``ready``, ``unknown`` (no such application) or ``posted`` (the citizen chose
        邮寄: the result goes by post, there is nothing to collect)."""
        with self._lock:
            row = self._conn.execute("SELECT kind, payload FROM records WHERE receipt_no=?", (receipt_no,)).fetchone()
            if row is None or row[0] != "application":
                return "unknown"
            if delivery_method(json.loads(row[1])) == "post":
                return "posted"
            self._conn.execute("INSERT OR IGNORE INTO pickups(receipt_no, ready_at) VALUES (?, ?)",
                               (receipt_no, time.time()))
        return "ready"

    def application(self, receipt_no: str) -> dict[str, Any] | None:
        with self._lock:
            row = self._conn.execute("SELECT kind, payload, received_ts FROM records WHERE receipt_no=?",
                                     (receipt_no,)).fetchone()
            ready = self._conn.execute("SELECT ready_at FROM pickups WHERE receipt_no=?", (receipt_no,)).fetchone()
        if row is None:
            return None
        kind, payload_text, received_ts = row
        payload = json.loads(payload_text)
        missing = payload.get("missing_materials") or []
        missing = [str(m) for m in missing] if isinstance(missing, list) else []
        step = int(max(0.0, time.time() - received_ts) // max(self.status_step_seconds, 0.001))
        if kind != "application":
            status = "received"
            changed = received_ts
        else:
            if step == 0:
                status = "accepted"
            elif missing:
                status = "supplement_required"
            elif step == 1:
                status = "in_review"
            else:
                status = "completed"
            reached = min(step, 0 if status == "accepted" else (1 if status != "completed" else 2))
            changed = received_ts + reached * self.status_step_seconds
            if ready is not None:  # done, and its result waits at the 出件 window
                status, changed = "ready_for_pickup", float(ready[0])
        service = self._services.get(payload.get("service_id"), {})
        days = service.get("promised_days") or service.get("legal_days") or 0
        received = datetime.fromtimestamp(received_ts, CST)
        return {
            "receipt_no": receipt_no,
            "status": status,
            "status_text": STATUS_TEXT[status],
            "updated_at": datetime.fromtimestamp(changed, CST).isoformat(timespec="seconds"),
            "deadline": (received + timedelta(days=int(days))).date().isoformat(),
            "missing_materials": missing if status == "supplement_required" else [],
            "service_id": payload.get("service_id"),
            **({"delivery": delivery_method(payload)} if kind == "application" and delivery_method(payload) else {}),
        }

    # --- appointments ----------------------------------------------------------------------

    def appointments(self, hall_id: str, day: date, now: float | None = None) -> list[dict[str, Any]]:
        """A deterministic sample day: the same hall and date always give the same list (within a
        quarter of an hour). On the hall's today the demo bookings (the demo identity's code and the
        simulator's card) start at the current quarter hour, so check-in works whenever a demo or
        the acceptance suite tries it; other days they sit at 09:00."""
        rng = random.Random(f"{hall_id}|{day.isoformat()}")
        services = [s for s in self.catalogue.get("services", []) if s.get("id")] or [{"id": "S0101"}]
        surnames = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高"
        people = [(DEMO_ID_NUMBER, "张*"), (DEMO_ID_NUMBER, "张*")]
        for _ in range(10):
            born = f"{rng.randint(1950, 2004)}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}"
            area = rng.choice(("110105", "310104", "440106", "330106"))
            first17 = area + born + f"{rng.randint(0, 999):03d}"
            name = rng.choice(surnames) + "*" + ("" if rng.random() < 0.5 else rng.choice("华明芳伟娟"))
            people.append((first17 + id_check_char(first17), name))
        people.append((SIM_CARD_FIRST17 + id_check_char(SIM_CARD_FIRST17), "张*"))
        local_now = datetime.fromtimestamp(time.time() if now is None else now, CST)
        demo_start = datetime(day.year, day.month, day.day, 9, 0, tzinfo=CST)
        if local_now.date() == day:
            demo_start = local_now.replace(minute=local_now.minute // 15 * 15, second=0, microsecond=0)
        out = []
        for i, (id_number, masked) in enumerate(people):
            start = datetime(day.year, day.month, day.day, 9, 0, tzinfo=CST) + \
                timedelta(minutes=30 * (i if i < 2 else rng.randint(0, 15)))
            if i in (0, len(people) - 1):
                start = demo_start
            elif i == 1:  # the demo identity's second booking, later the same day when there is room
                later = demo_start + timedelta(hours=3)
                start = later if later.date() == day else start.replace(hour=14)
            code = DEMO_APPOINTMENT_CODE if i == 0 else \
                "APPT1:" + "".join(rng.choice(_CODE_ALPHABET) for _ in range(8))
            service = services[0] if i in (0, len(people) - 1) else rng.choice(services)
            out.append({
                "code": code, "service_id": service["id"],
                "id_number_hash": id_number_hash(self.hall_key, id_number),
                "slot_start": start.isoformat(timespec="seconds"),
                "slot_end": (start + timedelta(minutes=30)).isoformat(timespec="seconds"),
                "name_masked": masked,
            })
        out += self.bookings.of_day(hall_id, day)  # 预约号源: what citizens booked for the day
        out.sort(key=lambda a: a["slot_start"])
        return out

    # --- inspection (admin endpoints, tests) -------------------------------------------------

    def list_records(self, device_id: str | None = None) -> list[dict[str, Any]]:
        with self._lock:
            sql = "SELECT id, device_id, kind, payload_sha256, receipt_no, attachments FROM records"
            rows = self._conn.execute(sql + (" WHERE device_id=?" if device_id else ""),
                                      (device_id,) if device_id else ()).fetchall()
        return [{"id": r[0], "device_id": r[1], "kind": r[2], "payload_sha256": r[3], "receipt_no": r[4],
                 "attachments": json.loads(r[5])} for r in rows]

    def complaint_updates(self, hall_id: str | None = None) -> list[dict[str, Any]]:
        """What halls reported of their complaints' handling (``complaint_update`` records, one per
        hall event: numbered, assigned, replied, closed), in the hall's order."""
        with self._lock:
            rows = self._conn.execute("SELECT payload FROM records WHERE kind='complaint_update'").fetchall()
        out = [json.loads(r[0]) for r in rows]
        out = [p for p in out if hall_id is None or p.get("hall_id") == hall_id]
        return sorted(out, key=lambda p: (str(p.get("hall_id")), int(p.get("event_seq") or 0)))

    def get_record(self, record_id: str) -> dict[str, Any] | None:
        with self._lock:
            r = self._conn.execute("SELECT id, device_id, kind, created_at, payload, payload_sha256, "
                                   "attachments, receipt_no, received_at FROM records WHERE id=?",
                                   (record_id,)).fetchone()
        if r is None:
            return None
        return {"id": r[0], "device_id": r[1], "kind": r[2], "created_at": r[3],
                "payload": json.loads(r[4]), "payload_sha256": r[5], "attachments": json.loads(r[6]),
                "receipt_no": r[7], "received_at": r[8]}

    def stats(self) -> dict[str, Any]:
        with self._lock:
            n = self._conn.execute("SELECT count(*) FROM records").fetchone()[0]
            ingest = dict(self._conn.execute("SELECT status, count(*) FROM ingest_log GROUP BY status"))
            accepted_twice = self._conn.execute(
                "SELECT count(*) FROM (SELECT id FROM ingest_log WHERE status='accepted' GROUP BY id "
                "HAVING count(*)>1)").fetchone()[0]
        atts = sum(1 for p in self.attachments_dir.iterdir() if not p.name.startswith("."))
        return {"records": n, "attachments": atts, "ingest": ingest, "accepted_twice": accepted_twice}

    def close(self) -> None:
        with self._lock:
            self._conn.close()
