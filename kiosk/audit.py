"""Hash-chained audit log of staff and technician actions, and the daily head to the platform.

Each entry is one JSON line: sequence, time, actor, action, details (never personal data),
the previous entry's hash and its own hash = sha256(previous hash + canonical JSON of the entry).
Changing or removing any line breaks the chain from there on, which :meth:`AuditLog.verify`
reports. The head (sequence + hash) is what gets synced to the platform (kind ``audit_head``),
so a rewritten log can be told from the one the platform saw.

Faults it survives:

- a torn last line (power cut mid-write): cut off into ``<log>.torn-<time>`` beside the log,
  reported in :attr:`AuditLog.problems` and recorded as an ``audit.torn_tail_cut`` entry;
- several writers (the kiosk and a ``main.py technician`` process share one file): every append
  takes an exclusive ``flock`` on the file and reads the head from the file under it, so the
  chain never forks;
- a broken chain: :meth:`AuditLog.check` at start reports it (the caller alerts the hall), the
  kiosk keeps running and keeps appending after the last line.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import logging
import os
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Protocol

log = logging.getLogger(__name__)

GENESIS = "0" * 64
_TAIL_BYTES = 64 * 1024  # an entry is far shorter; the head is found in the file's last 64 KiB


def _canonical(obj: Any) -> str:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _entry(line: bytes) -> dict[str, Any] | None:
    """The entry on one line, or None when the line is not one (torn, damaged, blank)."""
    try:
        entry = json.loads(line)
        int(entry["seq"])
        str(entry["hash"])
    except (ValueError, KeyError, TypeError):
        return None
    return entry if isinstance(entry, dict) else None


class AuditError(RuntimeError):
    """The audit chain is broken; the message says at which line."""


class AuditLog:
    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        #: what was found wrong when the log was opened (torn tail), in words for the hall's alert
        self.problems: list[str] = []
        with self._locked() as fd:
            self._seq, self._head = self._tail(fd)

    @contextmanager
    def _locked(self) -> Iterator[int]:
        """The file open for appending under an exclusive flock (other processes wait)."""
        with self._lock:
            fd = os.open(self.path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o600)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX)
                yield fd
            finally:
                os.close(fd)  # closing releases the flock

    def _tail(self, fd: int) -> tuple[int, str]:
        """(seq, hash) of the last complete entry; a torn last line is cut off first."""
        size = os.fstat(fd).st_size
        if size == 0:
            return 0, GENESIS
        start = max(0, size - _TAIL_BYTES)
        chunk = os.pread(fd, size - start, start)
        lines = chunk.split(b"\n")
        if start > 0:
            lines.pop(0)  # begins mid-line
        torn = lines.pop()  # b"" when the file ends with a newline
        if torn:
            if _entry(torn) is not None:  # complete but for its newline: keep it
                os.write(fd, b"\n")
                os.fsync(fd)
                lines.append(torn)
            else:
                self._cut_tail(fd, size - len(torn), torn)
        for line in reversed(lines):
            entry = _entry(line)
            if entry is not None:  # a damaged line before it is verify()'s to report
                return int(entry["seq"]), str(entry["hash"])
        return 0, GENESIS

    def _cut_tail(self, fd: int, keep: int, torn: bytes) -> None:
        aside = self.path.with_name(f"{self.path.name}.torn-{time.strftime('%Y%m%dT%H%M%S')}-{os.getpid()}")
        aside.write_bytes(torn)
        os.ftruncate(fd, keep)
        os.fsync(fd)
        message = f"audit log {self.path.name}: a torn last line ({len(torn)} bytes) was cut off into {aside.name}"
        self.problems.append(message)
        log.warning("audit log had a torn last line; cut off", extra={"ctx": {"bytes": len(torn),
                                                                               "kept_in": str(aside)}})

    def record(self, actor: str, action: str, **details: Any) -> dict[str, Any]:
        """Append one action durably and return the entry (with its hash)."""
        with self._locked() as fd:
            seq, head = self._tail(fd)  # another process may have appended since
            seq += 1
            entry: dict[str, Any] = {"seq": seq, "ts": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "actor": actor,
                                     "action": action, "details": details, "prev": head}
            digest = hashlib.sha256((head + _canonical(entry)).encode()).hexdigest()
            entry["hash"] = digest
            os.write(fd, (_canonical(entry) + "\n").encode())
            os.fsync(fd)
            self._seq, self._head = seq, digest
            return entry

    def head(self) -> dict[str, Any]:
        """Sequence and hash of the last entry in the file (another writer's included)."""
        with self._locked() as fd:
            self._seq, self._head = self._tail(fd)
        return {"seq": self._seq, "hash": self._head}

    def entries(self, last: int | None = None) -> list[dict[str, Any]]:
        if not self.path.exists():
            return []
        with open(self.path, "rb") as fh:  # a damaged line is verify()'s to report, not a crash here
            rows = [entry for entry in (_entry(line) for line in fh) if entry is not None]
        return rows[-last:] if last else rows

    def verify(self) -> int:
        """Check the whole chain; returns the number of entries or raises :class:`AuditError`."""
        prev = GENESIS
        count = 0
        if not self.path.exists():
            return 0
        with open(self.path, encoding="utf-8", errors="replace") as fh:
            for lineno, line in enumerate(fh, 1):
                if not line.strip():
                    continue
                try:
                    entry = json.loads(line)
                    claimed = entry.pop("hash")
                except (ValueError, KeyError, AttributeError):
                    raise AuditError(f"line {lineno}: not an audit entry") from None
                if entry.get("prev") != prev:
                    raise AuditError(f"line {lineno}: does not follow the previous entry")
                if hashlib.sha256((prev + _canonical(entry)).encode()).hexdigest() != claimed:
                    raise AuditError(f"line {lineno}: content was changed")
                prev = claimed
                count += 1
        return count

    def check(self) -> list[str]:
        """What is wrong with the log, in words (empty when sound): the problems found when it was
        opened and a broken chain. Never raises: a broken log is an alert, not a reason to stop."""
        found = list(self.problems)
        try:
            self.verify()
        except AuditError as exc:
            found.append(f"audit log {self.path.name}: chain broken at {exc}")
        except OSError as exc:
            found.append(f"audit log {self.path.name}: cannot be read ({exc.strerror})")
        return found


class _Outbox(Protocol):
    def enqueue(self, kind: str, payload: dict[str, Any], attachments: Any = ..., *,
                record_id: str | None = ...) -> str: ...


class HeadPublisher:
    """Enqueues the chain head as an ``audit_head`` record once a day (at start, then whenever
    the local date has moved on) into an outbox the sync engine drains to the platform.

    Payload: ``{"device_id", "log", "day", "seq", "hash", "verified", "problem"}`` — the head
    only, never entries. The day last sent is kept in ``<log>.head-sent`` so a restart does not
    send it again the same day (the platform would store a second record, not a conflict); a
torn marker only means one more head is sent.
    """

    def __init__(self, audit: AuditLog, outbox: _Outbox, device_id: str, *, log_name: str = "kiosk",
                 today: Callable[[], str] = lambda: time.strftime("%Y-%m-%d"),
                 check_seconds: float = 60.0) -> None:
        self.audit, self.outbox, self.device_id, self.log_name = audit, outbox, device_id, log_name
        self.today = today
        self.check_seconds = check_seconds
        self.sent_path = audit.path.with_name(audit.path.name + ".head-sent")
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def publish_if_due(self) -> str | None:
        """Enqueue today's head unless it was already; returns the record id, or None."""
        day = self.today()
        # flock on the marker: the kiosk and a technician process must not both send today's head
        fd = os.open(self.sent_path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            if os.pread(fd, 64, 0).decode("utf-8", "replace").strip() == day:
                return None
            problems = self.audit.check()
            head = self.audit.head()
            payload = {"device_id": self.device_id, "log": self.log_name, "day": day, "seq": head["seq"],
                       "hash": head["hash"], "verified": not problems,
                       "problem": problems[0] if problems else None}
            rid = self.outbox.enqueue("audit_head", payload, record_id=str(uuid.uuid4()))
            os.ftruncate(fd, 0)
            os.pwrite(fd, day.encode(), 0)
            os.fsync(fd)
        finally:
            os.close(fd)
        log.info("audit head enqueued", extra={"ctx": {"seq": head["seq"], "record_id": rid}})
        return rid

    def start(self) -> HeadPublisher:
        self._thread = threading.Thread(target=self._run, name="audit-head", daemon=True)
        self._thread.start()
        return self

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.publish_if_due()
            except Exception:  # a full disk or a closed cache must not end the daily check
                log.exception("audit head could not be enqueued")
            self._stop.wait(self.check_seconds)

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(5)
