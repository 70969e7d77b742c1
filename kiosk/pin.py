"""Technician PIN: salted scrypt hash, lockout after repeated failures, every attempt audited,
and setting a new PIN into the configuration file (``main.py set-pin``).

The failure counter and lockout end are kept in a small state file so that restarting the
kiosk does not reset a lockout; lockouts escalate to a supervisor reset (``main.py pin-unlock``)
and each one is an alert to the hall. The demo PIN only opens a kiosk whose devices are all simulated:
a kiosk with real devices and no ``technician.pin_hash`` refuses every PIN until one is set.
"""

from __future__ import annotations

import base64
import fcntl
import hashlib
import hmac
import itertools
import json
import logging
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import tomlkit
import tomlkit.exceptions
from tomlkit.items import Table

from kiosk.audit import AuditLog
from kiosk.config import ConfigError, load_layers

log = logging.getLogger(__name__)

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
    #: locked until a supervisor resets it (``main.py pin-unlock``)
    supervisor: bool = False
    #: the lockout state file exists but cannot be read: treated as a supervisor lock
    state_unreadable: bool = False


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


#: the second lockout (``2 × max_attempts`` failures in a row) lasts at least this long
SECOND_LOCKOUT_SECONDS = 3600
#: after ``SUPERVISOR_TIER × max_attempts`` failures in a row only ``main.py pin-unlock`` opens it
SUPERVISOR_TIER = 3


class PinGuard:
    """Decides a PIN attempt. Failures count on across lockouts: ``max_attempts`` failures lock
    for ``lockout_seconds``, twice as many for an hour, three times as many until a supervisor
    resets the state (``main.py pin-unlock``). A 6-digit PIN at one guess per second would
    otherwise fall within a year at a public screen.

    The state file is written atomically (temporary file, fsync, rename, fsync of the folder).
    A state file that exists but cannot be read is treated as a supervisor lock: forgetting the
    count would hand an attacker a fresh set of attempts for every damaged write.
    ``on_lockout(failures, seconds)`` (seconds 0: until a supervisor reset) tells the hall.
    """

    def __init__(self, pin_hash: str, state_path: str | Path, audit: AuditLog, *, max_attempts: int = 5,
                 lockout_seconds: int = 300, clock: Callable[[], float] = time.time,
                 demo_allowed: bool = True, on_lockout: Callable[[int, int], None] | None = None) -> None:
        self.unset = not pin_hash and not demo_allowed
        self.pin_hash = pin_hash or hash_pin(DEMO_PIN, b"demo-pin-salt!!!")
        self.state_path = Path(state_path)
        self.audit = audit
        self.max_attempts = max(1, max_attempts)
        self.lockout_seconds = lockout_seconds
        self.clock = clock
        self.on_lockout = on_lockout

    def _lock_for(self, failures: int) -> float | None:
        """Seconds of lockout after ``failures`` in a row: 0 none, None until a supervisor reset."""
        if failures % self.max_attempts:
            return 0
        tier = failures // self.max_attempts
        if tier >= SUPERVISOR_TIER:
            return None
        return float(self.lockout_seconds) if tier == 1 else float(max(self.lockout_seconds, SECOND_LOCKOUT_SECONDS))

    def _state(self) -> dict[str, Any]:
        try:
            raw = self.state_path.read_bytes()
        except FileNotFoundError:
            return {"failures": 0, "locked_until": 0, "supervisor_lock": False}
        except OSError:
            return {"failures": 0, "locked_until": 0, "supervisor_lock": True, "unreadable": True}
        try:
            data = json.loads(raw)
            return {"failures": int(data["failures"]), "locked_until": float(data["locked_until"]),
                    "supervisor_lock": bool(data.get("supervisor_lock", False))}
        except (ValueError, KeyError, TypeError):  # torn or damaged: stay locked, say so
            return {"failures": 0, "locked_until": 0, "supervisor_lock": True, "unreadable": True}

    def _save(self, state: dict[str, Any]) -> None:
        save_state(self.state_path, state)

    def check(self, pin: str, actor: str = "technician") -> PinResult:
        # The kiosk and a `main.py technician` process share the state file: one attempt at a
        # time, or two failures read the same count and one of them is lost.
        self.state_path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.state_path.with_name(self.state_path.name + ".lock"), os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            return self._check(pin, actor)
        finally:
            os.close(fd)

    def _check(self, pin: str, actor: str) -> PinResult:
        if self.unset:
            self.audit.record(actor, "pin.refused_unset")
            return PinResult(False, unset=True)
        state = self._state()
        now = self.clock()
        if state.get("unreadable"):
            self.audit.record(actor, "pin.state_unreadable", path=str(self.state_path))
            return PinResult(False, supervisor=True, state_unreadable=True)
        if state["supervisor_lock"]:
            self.audit.record(actor, "pin.refused_locked", until="supervisor reset")
            return PinResult(False, supervisor=True)
        if state["locked_until"] > now:
            left = int(state["locked_until"] - now + 0.999)
            self.audit.record(actor, "pin.refused_locked", seconds_left=left)
            return PinResult(False, locked_seconds=left)
        if _matches(pin, self.pin_hash):
            self._save({"failures": 0, "locked_until": 0, "supervisor_lock": False})
            self.audit.record(actor, "pin.ok")
            return PinResult(True)
        failures = int(state["failures"]) + 1
        lock = self._lock_for(failures)
        if lock == 0:
            self._save({"failures": failures, "locked_until": 0, "supervisor_lock": False})
            self.audit.record(actor, "pin.failed", failures=failures)
            return PinResult(False, attempts_left=self.max_attempts - failures % self.max_attempts)
        self._save({"failures": failures, "locked_until": now + (lock or 0), "supervisor_lock": lock is None})
        self.audit.record(actor, "pin.locked", failures=failures,
                          seconds=int(lock) if lock is not None else "until supervisor reset")
        if self.on_lockout is not None:
            try:
                self.on_lockout(failures, int(lock or 0))
            except Exception:  # the hall being away must not open the PIN
                log.exception("PIN lockout alert could not be raised")
        if lock is None:
            return PinResult(False, supervisor=True)
        return PinResult(False, locked_seconds=int(lock))

    def supervisor_reset(self, by: str) -> None:
        """Clear every lockout and the failure count (``main.py pin-unlock``), audited."""
        self._save({"failures": 0, "locked_until": 0, "supervisor_lock": False})
        self.audit.record(by, "pin.supervisor_reset")


def save_state(path: Path, state: dict[str, Any]) -> None:
    """Write the lockout state so that a power cut leaves the old file or the new one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.write(fd, json.dumps(state).encode())
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(tmp, path)
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


def kiosk_pin_guard(assembly: Any, *, clock: Callable[[], float] = time.time) -> PinGuard:
    """The technician PIN guard of an assembled kiosk (or technician process): its state in
    ``<data_dir>/kiosk/pin-state.json``, its lockouts alerted to the hall through the kiosk core."""
    tc = assembly.config.technician

    def alert(failures: int, seconds: int) -> None:
        runtime = assembly.runtime

        def raise_alert(core: Any) -> None:
            tr = core.translator.tr
            message = tr("pin.alert_locked", kiosk=core.kiosk_id, failures=failures, minutes=seconds // 60) \
                if seconds else tr("pin.alert_supervisor", kiosk=core.kiosk_id, failures=failures)
            core.alert_staff("pin_lockout", message)

        if runtime is not None:
            runtime.post(raise_alert)

    return PinGuard(tc.pin_hash, Path(assembly.config.data_dir) / "kiosk" / "pin-state.json", assembly.audit,
                    max_attempts=tc.max_attempts, lockout_seconds=tc.lockout_minutes * 60, clock=clock,
                    demo_allowed=not assembly.config.has_real_devices(), on_lockout=alert)
