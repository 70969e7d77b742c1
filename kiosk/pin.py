"""Technician PIN: salted scrypt hash, lockout after repeated failures, every attempt audited,
and setting a new PIN into the configuration file (``main.py set-pin``).

The failure counter and lockout end are kept in a small state file so that restarting the
kiosk does not reset a lockout. The demo PIN only opens a kiosk whose devices are all simulated:
a kiosk with real devices and no ``technician.pin_hash`` refuses every PIN until one is set.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import itertools
import json
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import tomlkit
import tomlkit.exceptions
from tomlkit.items import Table

from kiosk.audit import AuditLog
from kiosk.config import ConfigError, load_layers

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
    #: no PIN is configured and the demo PIN is not allowed here (real devices)
    unset: bool = False


def weak_pin_reason(pin: str) -> str | None:
    """Why a new PIN is refused (in words for the technician), or None when it is acceptable."""
    if not pin.isdigit() or not 6 <= len(pin) <= 12:
        return "the PIN must be 6 to 12 digits"
    if pin == DEMO_PIN or len(set(pin)) == 1:
        return "the PIN is too easy to guess (the demo PIN, or one digit repeated)"
    steps = {int(b) - int(a) for a, b in itertools.pairwise(pin)}
    if steps in ({1}, {-1}):
        return "the PIN is too easy to guess (a run of digits)"
    return None


def set_pin_in_config(path: str | Path, pin: str) -> None:
    """Write the hash of ``pin`` as ``technician.pin_hash`` into the TOML file at ``path``, keeping
    every other line and comment (tomlkit), the file's mode and owner; refuse a weak PIN or a file
    that would not load."""
    reason = weak_pin_reason(pin)
    if reason:
        raise ValueError(reason)
    path = Path(path)
    try:
        doc = tomlkit.parse(path.read_text(encoding="utf-8") if path.exists() else "")
    except tomlkit.exceptions.ParseError as exc:
        raise ConfigError(f"{path}: not valid TOML ({exc})") from None
    hashed = hash_pin(pin)
    technician = doc.get("technician")
    if technician is None:
        technician = tomlkit.table()
        doc["technician"] = technician
    if not isinstance(technician, Table):
        raise ConfigError(f"{path}: technician: expected a table")
    technician["pin_hash"] = hashed
    tmp = path.with_name(f".{path.name}.set-pin")
    tmp.write_text(tomlkit.dumps(doc), encoding="utf-8")
    try:
        if path.exists():
            st = path.stat()
            os.chmod(tmp, st.st_mode & 0o7777)
            if os.geteuid() == 0:
                os.chown(tmp, st.st_uid, st.st_gid)
        else:
            os.chmod(tmp, 0o640)
        if load_layers(tmp, drop_ins=False)[0].technician.pin_hash != hashed:
            raise ConfigError(f"{path}: the new pin_hash did not land in [technician]")
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


class PinGuard:
    def __init__(self, pin_hash: str, state_path: str | Path, audit: AuditLog, *, max_attempts: int = 5,
                 lockout_seconds: int = 300, clock: Callable[[], float] = time.time,
                 demo_allowed: bool = True) -> None:
        self.unset = not pin_hash and not demo_allowed
        self.pin_hash = pin_hash or hash_pin(DEMO_PIN, b"demo-pin-salt!!!")
        self.state_path = Path(state_path)
        self.audit = audit
        self.max_attempts = max_attempts
        self.lockout_seconds = lockout_seconds
        self.clock = clock

    def _state(self) -> dict[str, float]:
        try:
            data = json.loads(self.state_path.read_text())
            return {"failures": float(data["failures"]), "locked_until": float(data["locked_until"])}
        except (OSError, ValueError, KeyError, TypeError):  # none yet, or damaged: start counting again
            return {"failures": 0, "locked_until": 0}

    def _save(self, state: dict[str, float]) -> None:
        self.state_path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.state_path.with_suffix(".tmp")
        tmp.write_text(json.dumps(state))
        os.replace(tmp, self.state_path)

    def check(self, pin: str, actor: str = "technician") -> PinResult:
        if self.unset:
            self.audit.record(actor, "pin.refused_unset")
            return PinResult(False, unset=True)
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
