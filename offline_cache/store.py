"""The offline cache: a durable SQLite outbox of records (WAL, synchronous=FULL), the
content-addressed attachment files they name, personal data sealed at rest, leases so that two
senders never send the same record at once, dead letters, the retention purge, the free-space
reserve and the storage of pulls. :class:`OfflineCache` is the one public face of all of it.

Beside it: the file's schema and connection set-up (``cache_schema``), the integrity check with
quarantine and salvage of a damaged file (``repair``, over ``integrity``) and the alerts table
(``alerts``); the names other modules import from here (``Alert``, ``SCHEMA``…) stay importable.

A record gets a UUID when it is created and keeps it forever; its ``payload_sha256`` is taken
over the canonical JSON of the whole payload before anything is split or sealed. Scheduling uses
``time.monotonic()`` together with the boot id (a monotonic reading from before a reboot means
"due now"); wall-clock times are kept for people only.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import shutil
import sqlite3
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from .alerts import KEEP_ALERTS as KEEP_ALERTS
from .alerts import Alert as Alert
from .alerts import read_alerts, store_alert
from .cache_schema import SCHEMA as SCHEMA
from .crash import crash_point
from .repair import heals, open_checked, salvage_quarantined
from .sealing import (
    DEFAULT_PERSONAL_FIELDS,
    Sealer,
    canonical_json,
    find_first,
    join_personal,
    load_or_create_key,
    split_personal,
)

log = logging.getLogger(__name__)

_HEX64 = re.compile(r"[0-9a-f]{64}")
MAX_ATTACHMENT_BYTES = 20 * 1024 * 1024  # the contract's per-attachment limit
ORPHAN_ATTACHMENT_SECONDS = 24 * 3600
ACTIVE = ("pending", "inflight")


class CacheError(RuntimeError):
    """Base of the errors the cache raises on purpose."""


class CacheFullError(CacheError):
    """The disk is too full to accept a submission durably; nothing was stored."""


class AttachmentTooLargeError(CacheError):
    """An attachment is over the size limit; nothing was stored."""


class AttachmentCorruptError(CacheError):
    """An attachment file no longer decrypts or no longer hashes to its name."""


class UnknownAttachmentError(CacheError):
    """``enqueue`` named an attachment sha256 the cache does not hold."""


@dataclass(frozen=True)
class RecordInfo:
    """What a caller may know about a record without decrypting it."""

    id: str
    seq: int
    kind: str
    state: str  # pending | inflight | acked | dead | discarded
    payload_sha256: str
    attachments: tuple[str, ...]
    created_at: str
    attempts: int
    receipt_no: str | None
    acked_at: str | None
    last_error: str | None
    dead_reason: dict[str, Any] | None
    personal_purged: bool


@dataclass
class OutgoingRecord:
    """A claimed record, decrypted, ready to be put into a batch (``as_wire()``)."""

    id: str
    kind: str
    created_at: str
    payload: Any
    payload_sha256: str
    attachments: list[str]

    def as_wire(self) -> dict[str, Any]:
        return {"id": self.id, "kind": self.kind, "created_at": self.created_at,
                "payload": self.payload, "payload_sha256": self.payload_sha256,
                "attachments": self.attachments}


def now_iso(ts: float | None = None) -> str:
    moment = datetime.fromtimestamp(time.time() if ts is None else ts).astimezone()
    return moment.isoformat(timespec="seconds")


def boot_id() -> str:
    """Identifies the current boot: monotonic readings from another boot are meaningless."""
    try:
        return Path("/proc/sys/kernel/random/boot_id").read_text().strip()
    except OSError:
        return "unknown-boot"



def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class OfflineCache:
    """The durable outbox of one kiosk or hall service.

    ``path`` is the SQLite file; attachments live in ``<path stem>-attachments/`` beside it and
    the key in ``<path>.key`` (mode 0600) unless ``key`` (64 bytes) or ``key_path`` is given.
    ``free_space`` returns free bytes on the cache's disk (injectable for tests);
    submissions are refused with :class:`CacheFullError` when fewer than ``reserve_bytes``
    would remain.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        key: bytes | None = None,
        key_path: str | os.PathLike[str] | None = None,
        attachments_dir: str | os.PathLike[str] | None = None,
        retention_seconds: float = 7 * 24 * 3600,
        reserve_bytes: int = 64 * 1024 * 1024,
        max_attachment_bytes: int = MAX_ATTACHMENT_BYTES,
        personal_fields: Iterable[str] = DEFAULT_PERSONAL_FIELDS,
        free_space: Callable[[], int] | None = None,
        on_alert: Callable[[Alert], None] | None = None,
        busy_timeout_ms: int = 30_000,
        integrity_check_seconds: float = 3600.0,
        crypto_suite: str = "aes",
    ) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.attachments_dir = Path(attachments_dir) if attachments_dir else \
            self.path.with_name(self.path.stem + "-attachments")
        self.attachments_dir.mkdir(parents=True, exist_ok=True)
        self.key_path = Path(key_path) if key_path else self.path.with_name(self.path.name + ".key")
        # the suite seals new data; each blob carries its suite's marker (sealing.Sealer)
        self._sealer = Sealer(key if key is not None else load_or_create_key(self.key_path), crypto_suite)
        self.retention_seconds = retention_seconds
        self.reserve_bytes = reserve_bytes
        self.max_attachment_bytes = max_attachment_bytes
        self.personal_fields = frozenset(personal_fields)
        self._free_space = free_space or (lambda: shutil.disk_usage(self.path.parent).free)
        self._on_alert = on_alert
        self._busy_timeout_ms = busy_timeout_ms
        self.alerts: list[Alert] = []
        self.quarantined: list[Path] = []
        self._lock = threading.RLock()
        self._enqueue_listeners: list[Callable[[str], None]] = []
        self.boot = boot_id()
        self._opened = False  # alerts raised while opening are stored once the file is ready
        self._healing = False
        # Index damage need not raise anything: entries that no longer match their rows just
        # hide records from the sync's queries. So the file is checked in full now and then too.
        self.integrity_check_seconds = integrity_check_seconds
        self._checked_at = time.monotonic()
        self._conn = open_checked(self)  # checked in full, quarantined when damaged (repair.py)
        self._opened = True
        for item in self.alerts:  # raised while opening (quarantine), before the file was ready
            self._store_alert(item)
        salvage_quarantined(self, [p for p in self.quarantined if not str(p).endswith(("-wal", "-shm"))])

    # --- alerts (the table: offline_cache.alerts) ------------------------------------------

    def alert(self, code: str, message: str, details: dict[str, Any] | None = None) -> Alert:
        item = Alert(code, message, now_iso(), details or {})
        self.alerts.append(item)
        log.error("ALERT %s: %s", code, message, extra={"ctx": {"alert": code, **(details or {})}})
        if self._opened:
            self._store_alert(item)
        if self._on_alert:
            try:
                self._on_alert(item)
            except Exception:  # a broken listener must not break the cache
                log.exception("alert listener failed")
        return item

    def _store_alert(self, item: Alert) -> None:
        """Keep the alert in the file for technicians in other processes (``cache status``);
        a disk that cannot take it must not hide the alert from the log and the listener."""
        try:
            with self._lock:
                store_alert(self._conn, item)
        except sqlite3.Error:
            log.exception("alert could not be stored in the cache file")

    def recent_alerts(self, limit: int = 50) -> list[Alert]:
        """The newest alerts kept in the file (any process's), newest first."""
        with self._lock:
            return read_alerts(self._conn, limit)

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    def __enter__(self) -> OfflineCache:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- listeners -------------------------------------------------------------------------

    def add_enqueue_listener(self, callback: Callable[[str], None]) -> None:
        """``callback(record_id)`` after every committed enqueue (the sync engine's trigger)."""
        self._enqueue_listeners.append(callback)

    def remove_enqueue_listener(self, callback: Callable[[str], None]) -> None:
        if callback in self._enqueue_listeners:
            self._enqueue_listeners.remove(callback)

    # --- space -----------------------------------------------------------------------------

    def check_space(self, needed: int = 0) -> None:
        free = self._free_space()
        if free - needed < self.reserve_bytes:
            self.alert("disk_nearly_full", "disk nearly full: new submissions are refused",
                       {"free_bytes": free, "reserve_bytes": self.reserve_bytes})
            # For the log; the kiosk tells the citizen in their language (catalogue submit.full).
            raise CacheFullError(
                f"the kiosk's storage is full: the submission was NOT saved (free {free} bytes, "
                f"reserve {self.reserve_bytes})")

    # --- attachments -----------------------------------------------------------------------

    def _attachment_file(self, sha: str) -> Path:
        return self.attachments_dir / sha

    def add_attachment(self, data: bytes | str | os.PathLike[str],
                       content_type: str = "application/octet-stream") -> str:
        """Store an attachment (bytes or a file path) sealed, fsynced; return its sha256.

        Raises :class:`AttachmentTooLargeError` or :class:`CacheFullError` before storing."""
        if not isinstance(data, bytes | bytearray | memoryview):
            src = Path(data)
            size = src.stat().st_size
            if size > self.max_attachment_bytes:
                raise AttachmentTooLargeError(
                    f"attachment {src.name} is {size} bytes; the limit is {self.max_attachment_bytes}")
            data = src.read_bytes()
        data = bytes(data)
        if len(data) > self.max_attachment_bytes:
            raise AttachmentTooLargeError(
                f"attachment is {len(data)} bytes; the limit is {self.max_attachment_bytes}")
        self.check_space(2 * len(data))
        sha = hashlib.sha256(data).hexdigest()
        target = self._attachment_file(sha)
        with self._lock:
            if not target.exists():
                tmp = target.with_name(f".{sha}.{os.getpid()}.{threading.get_ident()}.tmp")
                fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
                try:
                    os.write(fd, self._sealer.seal(data, "attachment:" + sha))
                    os.fsync(fd)
                finally:
                    os.close(fd)
                os.replace(tmp, target)
                _fsync_dir(self.attachments_dir)
            self._conn.execute(
                "INSERT INTO attachments(sha256, size, content_type, created_ts) VALUES (?,?,?,?) "
                "ON CONFLICT(sha256) DO NOTHING", (sha, len(data), content_type, time.time()))
        return sha

    def read_attachment(self, sha: str) -> bytes:
        """The attachment's bytes, verified against its sha256."""
        try:
            blob = self._attachment_file(sha).read_bytes()
            data = self._sealer.open(blob, "attachment:" + sha)
        except FileNotFoundError as exc:
            raise AttachmentCorruptError(f"attachment {sha} is missing") from exc
        except Exception as exc:
            raise AttachmentCorruptError(f"attachment {sha} does not decrypt") from exc
        if hashlib.sha256(data).hexdigest() != sha:
            raise AttachmentCorruptError(f"attachment {sha} does not match its hash")
        return data

    def attachment_meta(self, shas: Iterable[str]) -> dict[str, tuple[str, bool]]:
        """``{sha: (content_type, uploaded)}`` for the given attachments that the cache holds."""
        shas = list(dict.fromkeys(shas))
        out: dict[str, tuple[str, bool]] = {}
        with self._lock:
            for i in range(0, len(shas), 500):
                part = shas[i:i + 500]
                marks = ",".join("?" * len(part))
                for sha, ctype, up in self._conn.execute(
                        f"SELECT sha256, content_type, uploaded FROM attachments WHERE sha256 IN ({marks})",
                        part):
                    out[sha] = (ctype, bool(up))
        return out

    def mark_uploaded(self, shas: Iterable[str], uploaded: bool = True) -> None:
        shas = list(shas)
        if not shas:
            return
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                self._conn.executemany("UPDATE attachments SET uploaded=? WHERE sha256=?",
                                       [(int(uploaded), s) for s in shas])
                self._conn.execute("COMMIT")
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise

    # --- enqueue ---------------------------------------------------------------------------

    def _resolve_attachment(self, item: Any) -> str:
        if isinstance(item, str) and _HEX64.fullmatch(item):
            with self._lock:
                row = self._conn.execute("SELECT 1 FROM attachments WHERE sha256=?", (item,)).fetchone()
            if row is None or not self._attachment_file(item).exists():
                raise UnknownAttachmentError(f"no attachment {item} in the cache")
            return item
        if isinstance(item, tuple):
            data, ctype = item
            return self.add_attachment(data, ctype)
        return self.add_attachment(item)

    @heals
    def enqueue(
        self,
        kind: str,
        payload: dict[str, Any],
        attachments: Sequence[Any] = (),
        *,
        personal_fields: Iterable[str] | None = None,
        record_id: str | None = None,
        created_at: str | None = None,
    ) -> str:
        """Store a record durably (committed with fsync) and return its id (a UUID4).

        ``attachments`` items are a sha256 returned by :meth:`add_attachment`, raw ``bytes``,
        a file path, or a ``(bytes_or_path, content_type)`` tuple; they are written and fsynced
        before the record commits. Values under ``personal_fields`` keys (default: the cache's
        set, e.g. id_number, name, address, phone, photo) are sealed with AES-GCM.
        When this returns, the record survives a power cut; when it raises, nothing was kept
        that the citizen could be told about."""
        if not isinstance(kind, str) or not kind:
            raise ValueError("kind must be a non-empty string")
        if not isinstance(payload, dict):
            raise ValueError("payload must be a JSON object (dict)")
        text = canonical_json(payload)  # raises TypeError for what JSON cannot carry
        raw = text.encode("utf-8")
        self.check_space(4 * len(raw) + 65536)
        shas = [self._resolve_attachment(a) for a in attachments]
        sha = hashlib.sha256(raw).hexdigest()
        rid = record_id or str(uuid.uuid4())
        public, sealed = split_personal(json.loads(text), personal_fields or self.personal_fields)
        sealed_blob = self._sealer.seal(canonical_json(sealed).encode("utf-8"), "payload:" + rid) \
            if sealed else None
        id_number = find_first(payload, "id_number")
        id_hash = self._sealer.id_hash(id_number) if id_number else None
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                self._conn.execute(
                    "INSERT INTO records(id, kind, payload_public, payload_sealed, payload_sha256, "
                    "payload_bytes, id_hash, created_at) VALUES (?,?,?,?,?,?,?,?)",
                    (rid, kind, canonical_json(public), sealed_blob, sha, len(raw), id_hash,
                     created_at or now_iso()))
                self._conn.executemany(
                    "INSERT OR IGNORE INTO record_attachments(record_id, sha256, position) VALUES (?,?,?)",
                    [(rid, s, i) for i, s in enumerate(shas)])
                crash_point("enqueue_before_commit")
                self._conn.execute("COMMIT")
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
        log.debug("record enqueued", extra={"ctx": {"record_id": rid, "kind": kind}})
        for callback in list(self._enqueue_listeners):
            try:
                callback(rid)
            except Exception:
                log.exception("enqueue listener failed")
        return rid

    # --- reading ---------------------------------------------------------------------------

    _INFO_COLS = ("id, seq, kind, state, payload_sha256, created_at, attempts, receipt_no, acked_at, "
                  "last_error, dead_reason, purged_at")

    def _info(self, row: tuple[Any, ...]) -> RecordInfo:
        rid = row[0]
        atts = tuple(r[0] for r in self._conn.execute(
            "SELECT sha256 FROM record_attachments WHERE record_id=? ORDER BY position", (rid,)))
        return RecordInfo(id=rid, seq=row[1], kind=row[2], state=row[3], payload_sha256=row[4],
                          attachments=atts, created_at=row[5], attempts=row[6], receipt_no=row[7],
                          acked_at=row[8], last_error=row[9],
                          dead_reason=json.loads(row[10]) if row[10] else None,
                          personal_purged=row[11] is not None)

    def get(self, record_id: str) -> RecordInfo | None:
        with self._lock:
            row = self._conn.execute(f"SELECT {self._INFO_COLS} FROM records WHERE id=?",
                                     (record_id,)).fetchone()
            return self._info(row) if row else None

    def payload(self, record_id: str) -> dict[str, Any] | None:
        """The full payload, personal fields decrypted (they read None once purged)."""
        with self._lock:
            row = self._conn.execute("SELECT payload_public, payload_sealed FROM records WHERE id=?",
                                     (record_id,)).fetchone()
        if row is None:
            return None
        body = self._assemble(record_id, row[0], row[1])
        return body if isinstance(body, dict) else None

    def _assemble(self, rid: str, public: str, sealed: bytes | None) -> Any:
        body = json.loads(public)
        if sealed:
            body = join_personal(body, json.loads(self._sealer.open(sealed, "payload:" + rid)))
        return body

    def find_by_id_number(self, id_number: str) -> list[RecordInfo]:
        """Records whose payload carried this ID number, found through the local HMAC."""
        with self._lock:
            rows = self._conn.execute(f"SELECT {self._INFO_COLS} FROM records WHERE id_hash IN (?, ?) "
                                      "ORDER BY seq", self._sealer.id_hashes(id_number)).fetchall()
            return [self._info(r) for r in rows]

    def id_hash(self, id_number: str) -> str:
        """Local HMAC-SHA256 of an ID number (keyed by the cache key), for look-ups."""
        return self._sealer.id_hash(id_number)

    @heals
    def pending_count(self) -> int:
        """Records not yet on the platform (pending or in flight)."""
        with self._lock:
            return int(self._conn.execute(
                "SELECT count(*) FROM records WHERE state IN ('pending','inflight')").fetchone()[0])

    @heals
    def counts(self) -> dict[str, int]:
        with self._lock:
            found = dict(self._conn.execute("SELECT state, count(*) FROM records GROUP BY state"))
        return {s: found.get(s, 0) for s in ("pending", "inflight", "acked", "dead", "discarded")}

    @heals
    def records(self, state: str | None = None, limit: int = 1000, *, after_seq: int = 0) -> list[RecordInfo]:
        """Records in the order they were taken (``seq``), from ``after_seq`` on."""
        with self._lock:
            if state:
                rows = self._conn.execute(f"SELECT {self._INFO_COLS} FROM records WHERE state=? AND seq>? "
                                          "ORDER BY seq LIMIT ?", (state, after_seq, limit)).fetchall()
            else:
                rows = self._conn.execute(f"SELECT {self._INFO_COLS} FROM records WHERE seq>? ORDER BY seq "
                                          "LIMIT ?", (after_seq, limit)).fetchall()
            return [self._info(r) for r in rows]

    def dead_letters(self) -> list[RecordInfo]:
        return self.records("dead", limit=100_000)

    @heals
    def next_due(self, now: float) -> float | None:
        """Monotonic time at which the earliest pending record is due (None: nothing pending)."""
        with self._lock:
            row = self._conn.execute(
                "SELECT min(CASE WHEN sched_boot IS NOT ? THEN 0 ELSE next_attempt END) FROM records "
                "WHERE state='pending'", (self.boot,)).fetchone()
            lease = self._conn.execute(
                "SELECT min(CASE WHEN lease_boot IS NOT ? THEN 0 ELSE lease_until END) FROM records "
                "WHERE state='inflight'", (self.boot,)).fetchone()
        times = [t for t in (row[0], lease[0]) if t is not None]
        return min(times) if times else None

    # --- the sender's side: claim, ack, release, dead-letter --------------------------------

    @heals
    def claim(self, owner: str, *, now: float, lease_seconds: float, limit: int = 100,
              max_bytes: int = 1024 * 1024) -> list[OutgoingRecord]:
        """Lease up to ``limit`` due records (oldest first, about ``max_bytes`` of payload) to
        ``owner``. A lease is taken over when it ran out, belongs to another boot, or its
        process is gone."""
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                cols = ("SELECT seq, id, kind, created_at, payload_public, payload_sealed, payload_sha256, "
                        "payload_bytes FROM records INDEXED BY records_state_seq WHERE ")
                rows = sorted(self._conn.execute(
                    cols + "state='pending' AND (next_attempt<=? OR sched_boot IS NOT ?) ORDER BY seq LIMIT ?",
                    (now, self.boot, limit)).fetchall() + self._conn.execute(
                    cols + "state='inflight' AND (lease_until<=? OR lease_boot IS NOT ? OR pid_alive(lease_pid)=0) "
                    "ORDER BY seq LIMIT ?", (now, self.boot, limit)).fetchall())[:limit]
                chosen: list[tuple[Any, ...]] = []
                total = 0
                for row in rows:
                    if chosen and total + row[7] > max_bytes:
                        break
                    chosen.append(row)
                    total += row[7] + 300
                if chosen:  # one statement for the batch's leases
                    marks = ",".join("?" * len(chosen))
                    self._conn.execute(
                        "UPDATE records SET state='inflight', lease_owner=?, lease_pid=?, lease_until=?, "
                        f"lease_boot=?, attempts=attempts+1 WHERE seq IN ({marks})",
                        (owner, os.getpid(), now + lease_seconds, self.boot, *(r[0] for r in chosen)))
                self._conn.execute("COMMIT")
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            atts: dict[str, list[str]] = {}
            if chosen:  # the batch's attachment lists in one query
                marks = ",".join("?" * len(chosen))
                for rid, sha in self._conn.execute(
                        f"SELECT record_id, sha256 FROM record_attachments WHERE record_id IN ({marks}) "
                        "ORDER BY record_id, position", [r[1] for r in chosen]):
                    atts.setdefault(rid, []).append(sha)
            out = []
            for _seq, rid, kind, created, public, sealed, sha, _n in chosen:
                try:
                    payload = self._assemble(rid, public, sealed)
                except Exception:
                    payload = None  # the engine dead-letters it as locally corrupt
                out.append(OutgoingRecord(rid, kind, created, payload, sha, atts.get(rid, [])))
        return out

    @heals
    def mark_acked(self, acks: Sequence[tuple[str, str | None]]) -> None:
        """Record the platform's acks ``(record_id, receipt_no)`` in one transaction."""
        if not acks:
            return
        stamp, ts = now_iso(), time.time()
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                self._conn.executemany(
                    "UPDATE records SET state='acked', receipt_no=?, acked_at=?, closed_ts=?, "
                    "lease_owner=NULL, lease_until=NULL, last_error=NULL WHERE id=? AND state!='acked'",
                    [(receipt, stamp, ts, rid) for rid, receipt in acks])
                crash_point("ack_before_commit")
                self._conn.execute("COMMIT")
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise

    @heals
    def release(self, ids: Sequence[str], owner: str, *, next_attempt: float, error: str | None,
                count_attempt: bool = True) -> None:
        """Give leased records back as pending, due at monotonic ``next_attempt``."""
        if not ids:
            return
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                self._conn.executemany(
                    "UPDATE records SET state='pending', lease_owner=NULL, lease_until=NULL, "
                    "next_attempt=?, sched_boot=?, last_error=COALESCE(?, last_error), "
                    "attempts=attempts-? WHERE id=? AND state='inflight' AND lease_owner=?",
                    [(next_attempt, self.boot, error, 0 if count_attempt else 1, rid, owner)
                     for rid in ids])
                self._conn.execute("COMMIT")
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise

    @heals
    def mark_dead(self, items: Sequence[tuple[str, dict[str, Any]]]) -> None:
        """Move records to dead letters with ``{"code", "message"}`` reasons (never over an ack)."""
        self._end(items, dropped=None)
        for rid, reason in items:
            log.warning("record moved to dead letters",
                        extra={"ctx": {"record_id": rid, "code": reason.get("code")}})

    @heals
    def mark_dropped(self, items: Sequence[tuple[str, dict[str, Any]]], note: str) -> None:
        """Close records the platform does not take and that need no one's attention (an older
        platform's ``unknown_kind`` for an advisory kind): straight to ``discarded`` in one
        transaction, never through the dead letters a technician is asked to look at."""
        self._end(items, dropped=note)
        if items:
            log.info("records the platform does not take dropped", extra={"ctx": {"records": len(items)}})

    def _end(self, items: Sequence[tuple[str, dict[str, Any]]], dropped: str | None) -> None:
        """Records out of the sync with their reasons, in one transaction: dead letters, or (with
        ``dropped``, why) discarded at once; never over an ack."""
        if not items:
            return
        stamp = now_iso()
        note = {} if dropped is None else {"discarded": {"reason": dropped, "at": stamp}}
        state, closed = ("dead", None) if dropped is None else ("discarded", time.time())
        from_states = "('pending','inflight','dead')" if dropped is None else "('pending','inflight')"
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                self._conn.executemany(
                    f"UPDATE records SET state=?, closed_ts=coalesce(?, closed_ts), dead_reason=?, last_error=?, "
                    f"lease_owner=NULL, lease_until=NULL WHERE id=? AND state IN {from_states}",
                    [(state, closed, json.dumps({**reason, "at": stamp, **note}, ensure_ascii=False),
                      f"{reason.get('code')}: {reason.get('message', '')}"[:500], rid) for rid, reason in items])
                self._conn.execute("COMMIT")
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise

    @heals
    def retry(self, record_id: str) -> bool:
        """A technician sends a dead letter again (it becomes pending, due now)."""
        with self._lock:
            cur = self._conn.execute(
                "UPDATE records SET state='pending', next_attempt=0, attempts=0, sched_boot=? "
                "WHERE id=? AND state='dead'", (self.boot, record_id))
        if cur.rowcount:
            log.info("dead letter retried by technician", extra={"ctx": {"record_id": record_id}})
        return bool(cur.rowcount)

    @heals
    def discard(self, record_id: str, reason: str) -> bool:
        """A technician gives up on a dead letter; its personal data follows the retention window."""
        with self._lock:
            row = self._conn.execute("SELECT dead_reason FROM records WHERE id=? AND state='dead'",
                                     (record_id,)).fetchone()
            if row is None:
                return False
            old = json.loads(row[0]) if row[0] else {}
            old["discarded"] = {"reason": reason, "at": now_iso()}
            self._conn.execute("UPDATE records SET state='discarded', closed_ts=?, dead_reason=? "
                               "WHERE id=? AND state='dead'",
                               (time.time(), json.dumps(old, ensure_ascii=False), record_id))
        log.warning("dead letter discarded by technician",
                    extra={"ctx": {"record_id": record_id, "reason": reason[:200]}})
        return True

    @heals
    def reschedule_pending(self, when: float = 0.0) -> int:
        """Make every pending record due at ``when`` (a technician's "sync now")."""
        with self._lock:
            return self._conn.execute("UPDATE records SET next_attempt=?, sched_boot=? "
                                      "WHERE state='pending'", (when, self.boot)).rowcount

    # --- retention -------------------------------------------------------------------------

    @heals
    def purge_expired(self, now: float | None = None) -> dict[str, int]:
        """Delete personal data of records acked (or discarded) longer than the retention
        window ago, and attachment files nothing unpurged refers to. Logged."""
        now = time.time() if now is None else now
        cutoff = now - self.retention_seconds
        with self._lock:
            ids = [r[0] for r in self._conn.execute(
                "SELECT id FROM records WHERE state IN ('acked','discarded') AND purged_at IS NULL "
                "AND closed_ts<=?", (cutoff,))]
            stamp = now_iso(now)
            if ids:
                self._conn.execute("BEGIN IMMEDIATE")
                try:
                    self._conn.executemany("UPDATE records SET payload_sealed=NULL, purged_at=? "
                                           "WHERE id=?", [(stamp, i) for i in ids])
                    self._conn.execute("COMMIT")
                except BaseException:
                    self._conn.execute("ROLLBACK")
                    raise
            doomed = [r[0] for r in self._conn.execute(
                "SELECT a.sha256 FROM attachments a WHERE NOT EXISTS (SELECT 1 FROM record_attachments ra "
                "JOIN records r ON r.id=ra.record_id WHERE ra.sha256=a.sha256 AND r.purged_at IS NULL) "
                "AND (EXISTS (SELECT 1 FROM record_attachments ra WHERE ra.sha256=a.sha256) "
                "     OR a.created_ts<=?)", (now - ORPHAN_ATTACHMENT_SECONDS,))]
            for sha in doomed:
                try:
                    self._attachment_file(sha).unlink()
                except FileNotFoundError:
                    pass
            if doomed:
                self._conn.executemany("DELETE FROM attachments WHERE sha256=?", [(s,) for s in doomed])
        if ids or doomed:
            log.info("retention: personal data deleted",
                     extra={"ctx": {"records": len(ids), "attachments": len(doomed),
                                    "record_ids": ids[:50]}})
        return {"records": len(ids), "attachments": len(doomed)}

    # --- recovery --------------------------------------------------------------------------

    def salvage(self, quarantined: str | os.PathLike[str], key: bytes | None = None) -> dict[str, int]:
        """Re-enqueue the readable records of a quarantined file under their original ids
        (see :func:`offline_cache.salvage.salvage`)."""
        from .salvage import salvage

        return salvage(self, Path(quarantined), key)

    # --- pulls storage (used by PullCache) ---------------------------------------------------

    def pull_get(self, key: str) -> tuple[str, str | None, str, float] | None:
        with self._lock:
            row = self._conn.execute("SELECT body, etag, fetched_at, fetched_ts FROM pulls WHERE key=?",
                                     (key,)).fetchone()
        return None if row is None else (str(row[0]), row[1], str(row[2]), float(row[3]))

    def pull_put(self, key: str, body: str, etag: str | None) -> None:
        with self._lock:
            self._conn.execute("INSERT INTO pulls(key, body, etag, fetched_at, fetched_ts) VALUES "
                               "(?,?,?,?,?) ON CONFLICT(key) DO UPDATE SET body=excluded.body, "
                               "etag=excluded.etag, fetched_at=excluded.fetched_at, "
                               "fetched_ts=excluded.fetched_ts",
                               (key, body, etag, now_iso(), time.time()))

    def pull_touch(self, key: str) -> None:
        with self._lock:
            self._conn.execute("UPDATE pulls SET fetched_at=?, fetched_ts=? WHERE key=?",
                               (now_iso(), time.time(), key))
