"""Hash-chained audit log of staff and technician actions.

Each entry is one JSON line: sequence, time, actor, action, details (never personal data),
the previous entry's hash and its own hash = sha256(previous hash + canonical JSON of the entry).
Changing or removing any line breaks the chain from there on, which :meth:`AuditLog.verify`
reports. The head (sequence + hash) is what gets synced to the platform, so a rewritten log can
be told from the one the platform saw.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
import time
from pathlib import Path
from typing import Any

GENESIS = "0" * 64


def _canonical(obj: Any) -> str:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


class AuditError(RuntimeError):
    """The audit chain is broken; the message says at which line."""


class AuditLog:
    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._seq, self._head = self._read_head()

    def _read_head(self) -> tuple[int, str]:
        if not self.path.exists():
            return 0, GENESIS
        last = None
        with open(self.path, encoding="utf-8") as fh:
            for line in fh:
                if line.strip():
                    last = line
        if last is None:
            return 0, GENESIS
        entry = json.loads(last)
        return int(entry["seq"]), str(entry["hash"])

    def record(self, actor: str, action: str, **details: Any) -> dict[str, Any]:
        """Append one action durably and return the entry (with its hash)."""
        with self._lock:
            seq = self._seq + 1
            entry: dict[str, Any] = {"seq": seq, "ts": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "actor": actor,
                     "action": action, "details": details, "prev": self._head}
            digest = hashlib.sha256((self._head + _canonical(entry)).encode()).hexdigest()
            entry["hash"] = digest
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            try:
                os.write(fd, (_canonical(entry) + "\n").encode())
                os.fsync(fd)
            finally:
                os.close(fd)
            self._seq, self._head = seq, digest
            return entry

    def head(self) -> dict[str, Any]:
        return {"seq": self._seq, "hash": self._head}

    def entries(self, last: int | None = None) -> list[dict[str, Any]]:
        if not self.path.exists():
            return []
        with open(self.path, encoding="utf-8") as fh:
            rows = [json.loads(line) for line in fh if line.strip()]
        return rows[-last:] if last else rows

    def verify(self) -> int:
        """Check the whole chain; returns the number of entries or raises :class:`AuditError`."""
        prev = GENESIS
        count = 0
        if not self.path.exists():
            return 0
        with open(self.path, encoding="utf-8") as fh:
            for lineno, line in enumerate(fh, 1):
                if not line.strip():
                    continue
                try:
                    entry = json.loads(line)
                    claimed = entry.pop("hash")
                except (ValueError, KeyError):
                    raise AuditError(f"line {lineno}: not an audit entry") from None
                if entry.get("prev") != prev:
                    raise AuditError(f"line {lineno}: does not follow the previous entry")
                if hashlib.sha256((prev + _canonical(entry)).encode()).hexdigest() != claimed:
                    raise AuditError(f"line {lineno}: content was changed")
                prev = claimed
                count += 1
        return count
