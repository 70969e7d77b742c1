"""Technician PIN: salted scrypt hash, lockout after repeated failures, every attempt audited.

The failure counter and lockout end are kept in a small state file so that restarting the
kiosk does not reset a lockout.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from kiosk.audit import AuditLog

DEMO_PIN = "123456"
_N, _R, _P = 2**14, 8, 1


def hash_pin(pin: str, salt: bytes | None = None) -> str:
    """``scrypt$<salt b64>$<hash b64>`` — what goes into ``technician.pin_hash``."""
    salt = salt or os.urandom(16)
    digest = hashlib.scrypt(pin.encode(), salt=salt, n=_N, r=_R, p=_P, dklen=32)
    return "scrypt$" + base64.b64encode(salt).decode() + "$" + base64.b64encode(digest).decode()


def _matches(pin: str, stored: str) -> bool:
    try:
        scheme, salt_b64, digest_b64 = stored.split("$")
    except ValueError:
        return False
    if scheme != "scrypt":
        return False
    salt = base64.b64decode(salt_b64)
    return hmac.compare_digest(hash_pin(pin, salt).split("$")[2], digest_b64)


@dataclass
class PinResult:
    ok: bool
    locked_seconds: int = 0
    attempts_left: int = 0


class PinGuard:
    def __init__(self, pin_hash: str, state_path: str | Path, audit: AuditLog, *, max_attempts: int = 5,
                 lockout_seconds: int = 300, clock: Callable[[], float] = time.time) -> None:
        self.pin_hash = pin_hash or hash_pin(DEMO_PIN, b"demo-pin-salt!!!")
        self.state_path = Path(state_path)
        self.audit = audit
        self.max_attempts = max_attempts
        self.lockout_seconds = lockout_seconds
        self.clock = clock

    def _state(self) -> dict[str, float]:
        try:
            return json.loads(self.state_path.read_text())
        except (OSError, ValueError):
            return {"failures": 0, "locked_until": 0}

    def _save(self, state: dict[str, float]) -> None:
        self.state_path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.state_path.with_suffix(".tmp")
        tmp.write_text(json.dumps(state))
        os.replace(tmp, self.state_path)

    def check(self, pin: str, actor: str = "technician") -> PinResult:
        state = self._state()
        now = self.clock()
        if state["locked_until"] > now:
            left = int(state["locked_until"] - now + 0.999)
            self.audit.record(actor, "pin.refused_locked", seconds_left=left)
            return PinResult(False, locked_seconds=left)
        if _matches(pin, self.pin_hash):
            self._save({"failures": 0, "locked_until": 0})
            self.audit.record(actor, "pin.ok")
            return PinResult(True)
        failures = int(state["failures"]) + 1
        if failures >= self.max_attempts:
            self._save({"failures": 0, "locked_until": now + self.lockout_seconds})
            self.audit.record(actor, "pin.locked", failures=failures)
            return PinResult(False, locked_seconds=self.lockout_seconds)
        self._save({"failures": failures, "locked_until": 0})
        self.audit.record(actor, "pin.failed", failures=failures)
        return PinResult(False, attempts_left=self.max_attempts - failures)
