"""Who is calling the hall service: enrolled devices, staff accounts and their sessions.

Owns the ``devices``, ``staff`` and ``staff_sessions`` tables of ``queue.db`` (migration v2 in
``queueing/store.py``) and every rule about them:

- a **device** (kiosk, counter, display, dashboard) has its own bearer token, printed once at
  enrolment and kept only as SHA-256 (a 32-byte random token needs no slow hash), compared in
  constant time; a counter device is bound to one counter; revoking is immediate because every
  request looks the token up (another process — ``hall-server revoke`` — changes the table);
- the **shared role tokens** of ``credentials.json`` keep working for the embedded default, tests
  and existing installs until ``hall-server roles --disable``; the admin token always works;
- a **staff account** (工号) has a password or PIN hashed with scrypt; 5 wrong answers in a row lock
  it for 15 minutes, 10 until ``hall-server staff reset``; a disabled account cannot sign in;
- a **session** is one sign-in on one device (and, for a counter, its counter): the token the
  console sends as ``X-Hall-Session``; its staff is the staff of every operation made with it.

Tables rather than a file beside ``credentials.json``: one SQLite file is already backed up with
the queue, several processes (the server and the admin commands) change it safely (WAL, the
write lock), and a revocation is seen by the very next request without a reload signal."""

from __future__ import annotations

import functools
import hashlib
import hmac
import logging
import secrets
import sqlite3
import threading
import time
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from offline_cache.migrations import migrate
from queueing.codes import HallCode
from queueing.model import QueueError

log = logging.getLogger(__name__)

DEVICE_ROLES = ("kiosk", "counter", "display", "dashboard")
SHARED_ROLES = ("kiosk", "counter", "display")  # the role tokens ``roles --disable`` switches off
LOCK_AFTER = 5  # wrong answers in a row before a lock
LOCK_SECONDS = 15 * 60
LOCK_FOR_GOOD = 10  # wrong answers in a row before only ``staff reset`` unlocks
SESSION_SECONDS = 12 * 3600  # a working day; the console signs in again after that
FOREVER = 1e300  # locked_until of an account only ``staff reset`` unlocks
_SCRYPT = {"n": 2**14, "r": 8, "p": 1}  # ~16 MB, ~50 ms: slow for a guesser, quick for a sign-in


@dataclass(frozen=True)
class Staff:
    id: str
    name: str
    supervisor: bool


@dataclass(frozen=True)
class Caller:
    """The authenticated device of one request and, when it sent one, its staff session."""

    role: str  # kiosk, counter, display, dashboard or admin
    device: str  # the enrolled name, or ``shared-<role>`` for a credentials.json token
    counter_id: str | None = None  # a counter device's own counter
    shared: bool = False
    staff: Staff | None = None
    session_counter: str | None = None


# The caller of the request being served: set by the API's auth dependency, read by the engine
# (``device`` on every event) in the engine thread (the API copies the context into it).
current_caller: ContextVar[Caller | None] = ContextVar("current_caller", default=None)


class SignInError(Exception):
    """A refused sign-in. ``locked_until``: the account is locked (already, or by this answer);
    ``locked_now``: this very answer locked it; ``known``: the 工号 is an account (for the event
    log only, never for the caller: the answer must not tell which 工号 exist)."""

    def __init__(self, locked_until: float | None = None, *, known: bool = False, failures: int = 0,
                 locked_now: bool = False) -> None:
        super().__init__("locked" if locked_until else "bad credentials")
        self.locked_until, self.known, self.failures, self.locked_now = locked_until, known, failures, locked_now


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def hash_secret(secret: str) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(secret.encode(), salt=salt, dklen=32, **_SCRYPT)
    return f"scrypt${_SCRYPT['n']}${_SCRYPT['r']}${_SCRYPT['p']}${salt.hex()}${digest.hex()}"


def check_secret(secret: str, stored: str) -> bool:
    try:
        kind, n, r, p, salt, digest = stored.split("$")
        if kind != "scrypt":
            return False
        got = hashlib.scrypt(secret.encode("utf-8", "surrogatepass"), salt=bytes.fromhex(salt), dklen=32,
                             n=int(n), r=int(r), p=int(p))
    except ValueError:
        return False
    return hmac.compare_digest(got.hex(), digest)


@functools.cache
def _dummy() -> str:
    """A hash checked for an unknown 工号, so it takes as long as a real check."""
    return hash_secret(secrets.token_hex(8))


def check_secret_rules(secret: str, pin: bool) -> str | None:
    """Why a new password or PIN is refused, or None."""
    if pin:
        return None if secret.isdigit() and len(secret) >= 6 else "a PIN has at least 6 digits"
    return None if len(secret) >= 8 else "a password has at least 8 characters"


def _storage_failed(exc: sqlite3.Error) -> QueueError:
    """A damaged or full queue.db under the credential tables: the API's JSON 503, as the queue
    store answers."""
    log.error("credential store failed", extra={"ctx": {"error": f"{type(exc).__name__}: {exc}"}})
    return QueueError(503, HallCode.STORAGE_FAILED, "the hall's queue store cannot be used now; staff have been told")


class Credentials:
    """The credential tables of one ``queue.db`` plus the shared tokens of ``credentials.json``."""

    def __init__(self, db_path: Path | str, shared: dict[str, str] | None = None,
                 clock: Any = time.time, on_failure: Callable[[sqlite3.Error], QueueError] | None = None) -> None:
        from queueing.store import SCHEMA  # the store owns the file's schema list

        self.clock = clock
        # the queue store's own failure report (health then says 503, the watchdog restarts)
        self._failure = on_failure or _storage_failed
        self._lock = threading.Lock()
        self._con = sqlite3.connect(str(db_path), isolation_level=None, check_same_thread=False, timeout=30)
        self._con.execute("PRAGMA busy_timeout=30000")
        migrate(self._con, SCHEMA, str(db_path))
        self._shared = {r: t for r, t in (shared or {}).items() if r in (*SHARED_ROLES, "admin") and t}

    def close(self) -> None:
        with self._lock:
            self._con.close()

    def _q(self, sql: str, args: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        with self._lock:
            try:
                return self._con.execute(sql, args).fetchall()
            except sqlite3.Error as exc:
                raise self._failure(exc) from exc

    def _w(self, sql: str, args: tuple[Any, ...] = ()) -> int:
        with self._lock:
            try:
                return self._con.execute(sql, args).rowcount
            except sqlite3.Error as exc:
                raise self._failure(exc) from exc

    # ------------------------------------------------------------------ devices

    def enrol(self, role: str, name: str, counter_id: str | None = None, replace: bool = False) -> str:
        """A new device token (shown once; only its hash is kept)."""
        if role not in DEVICE_ROLES:
            raise ValueError(f"role must be one of {', '.join(DEVICE_ROLES)}")
        if (role == "counter") != bool(counter_id):
            raise ValueError("a counter device needs --counter, and only a counter device takes one")
        if not name or len(name) > 64 or name.startswith("shared-"):
            raise ValueError("a device name is 1-64 characters and does not start with 'shared-'")
        token = secrets.token_urlsafe(32)
        existing = self._q("SELECT revoked_at FROM devices WHERE name=?", (name,))
        if existing and existing[0][0] is None and not replace:
            raise ValueError(f"a device named {name!r} is enrolled already (revoke it or pass --replace)")
        self._w("INSERT INTO devices(name, role, counter_id, token_hash, created_at, revoked_at) "
                "VALUES(?,?,?,?,?,NULL) ON CONFLICT(name) DO UPDATE SET role=excluded.role, "
                "counter_id=excluded.counter_id, token_hash=excluded.token_hash, "
                "created_at=excluded.created_at, revoked_at=NULL",
                (name, role, counter_id, token_hash(token), self.clock()))
        self._w("DELETE FROM staff_sessions WHERE device=?", (name,))  # a new token: sign in again
        return token

    def revoke(self, name: str) -> bool:
        n = self._w("UPDATE devices SET revoked_at=? WHERE name=? AND revoked_at IS NULL", (self.clock(), name))
        self._w("DELETE FROM staff_sessions WHERE device=?", (name,))
        return n == 1

    def devices(self) -> list[dict[str, Any]]:
        rows = self._q("SELECT name, role, counter_id, created_at, revoked_at FROM devices ORDER BY name")
        return [dict(zip(("name", "role", "counter_id", "created_at", "revoked_at"), r, strict=True)) for r in rows]

    def shared_roles_enabled(self) -> bool:
        rows = self._q("SELECT value FROM meta WHERE key='auth:shared_roles'")
        return not rows or rows[0][0] != "disabled"

    def set_shared_roles(self, enabled: bool) -> None:
        self._w("INSERT INTO meta(key, value) VALUES('auth:shared_roles', ?) "
                "ON CONFLICT(key) DO UPDATE SET value=excluded.value", ("enabled" if enabled else "disabled",))

    def authenticate(self, token: str) -> Caller | None:
        """The device a bearer token belongs to, or None (unknown, revoked, switched off)."""
        for role, known in self._shared.items():
            if hmac.compare_digest(known.encode("utf-8", "surrogatepass"), token.encode("utf-8", "surrogatepass")):
                if role != "admin" and not self.shared_roles_enabled():
                    return None
                return Caller(role, f"shared-{role}", shared=True)
        # looked up by its hash: equal hashes are the comparison, so timing tells nothing of the token
        rows = self._q("SELECT name, role, counter_id FROM devices WHERE token_hash=? AND revoked_at IS NULL",
                       (token_hash(token),))
        if not rows:
            return None
        name, role, counter_id = rows[0]
        return Caller(role, name, counter_id)

    # ------------------------------------------------------------------ staff

    def add_staff(self, staff_id: str, name: str, secret: str, *, pin: bool = False,
                  supervisor: bool = False) -> None:
        problem = check_secret_rules(secret, pin)
        if problem:
            raise ValueError(problem)
        if not staff_id or len(staff_id) > 64:
            raise ValueError("a staff number is 1-64 characters")
        if self._q("SELECT 1 FROM staff WHERE id=?", (staff_id,)):
            raise ValueError(f"staff {staff_id!r} exists already (use 'staff reset')")
        self._w("INSERT INTO staff(id, name, secret, pin, supervisor, disabled, failures, locked_until) "
                "VALUES(?,?,?,?,?,0,0,NULL)", (staff_id, name, hash_secret(secret), int(pin), int(supervisor)))

    def reset_staff(self, staff_id: str, secret: str, *, pin: bool = False) -> bool:
        """A new password or PIN; clears a lockout and re-enables the account; ends its sessions."""
        problem = check_secret_rules(secret, pin)
        if problem:
            raise ValueError(problem)
        n = self._w("UPDATE staff SET secret=?, pin=?, disabled=0, failures=0, locked_until=NULL WHERE id=?",
                    (hash_secret(secret), int(pin), staff_id))
        self._w("DELETE FROM staff_sessions WHERE staff_id=?", (staff_id,))
        return n == 1

    def disable_staff(self, staff_id: str) -> bool:
        n = self._w("UPDATE staff SET disabled=1 WHERE id=?", (staff_id,))
        self._w("DELETE FROM staff_sessions WHERE staff_id=?", (staff_id,))
        return n == 1

    def staff_list(self) -> list[dict[str, Any]]:
        rows = self._q("SELECT id, name, pin, supervisor, disabled, failures, locked_until FROM staff ORDER BY id")
        keys = ("id", "name", "pin", "supervisor", "disabled", "failures", "locked_until")
        return [dict(zip(keys, r, strict=True)) for r in rows]

    def sign_in(self, caller: Caller, staff_id: str, secret: str, counter_id: str | None) -> tuple[str, Staff]:
        """A new session token for this staff on this device; raises :class:`SignInError`.

        The scrypt check runs even for an unknown 工号, so the answer's time does not tell which
        工号 exist; a disabled or unknown account answers exactly like a wrong password."""
        now = self.clock()
        rows = self._q("SELECT name, secret, supervisor, disabled, failures, locked_until FROM staff WHERE id=?",
                       (staff_id,))
        if not rows:
            check_secret(secret, _dummy())
            raise SignInError(known=False)
        name, stored, supervisor, disabled, failures, locked_until = rows[0]
        if locked_until is not None and now < locked_until:
            raise SignInError(locked_until, known=True, failures=failures)
        if not check_secret(secret, stored) or disabled:
            failures += 1
            until = None
            if failures >= LOCK_FOR_GOOD:
                until = FOREVER
            elif failures % LOCK_AFTER == 0:
                until = now + LOCK_SECONDS
            self._w("UPDATE staff SET failures=?, locked_until=? WHERE id=?", (failures, until, staff_id))
            raise SignInError(until, known=True, failures=failures, locked_now=until is not None)
        token = secrets.token_urlsafe(32)
        with self._lock:
            self._con.execute("BEGIN IMMEDIATE")
            try:
                self._con.execute("UPDATE staff SET failures=0, locked_until=NULL WHERE id=?", (staff_id,))
                if counter_id:  # one person at a counter: a new sign-in there ends the previous one
                    self._con.execute("DELETE FROM staff_sessions WHERE counter_id=?", (counter_id,))
                self._con.execute("DELETE FROM staff_sessions WHERE expires_at < ?", (now,))
                self._con.execute(
                    "INSERT INTO staff_sessions(token_hash, staff_id, device, counter_id, created_at, expires_at) "
                    "VALUES(?,?,?,?,?,?)",
                    (token_hash(token), staff_id, caller.device, counter_id, now, now + SESSION_SECONDS))
                self._con.execute("COMMIT")
            except BaseException:
                self._con.execute("ROLLBACK")
                raise
        return token, Staff(staff_id, name, bool(supervisor))

    def session(self, caller: Caller, token: str) -> Caller | None:
        """The caller with its session's staff, or None (unknown, expired, another device's)."""
        rows = self._q(
            "SELECT s.staff_id, s.device, s.counter_id, s.expires_at, f.name, f.supervisor, f.disabled "
            "FROM staff_sessions s JOIN staff f ON f.id = s.staff_id WHERE s.token_hash=?", (token_hash(token),))
        if not rows:
            return None
        staff_id, device, counter_id, expires_at, name, supervisor, disabled = rows[0]
        if device != caller.device or disabled or self.clock() >= expires_at:
            return None
        return Caller(caller.role, caller.device, caller.counter_id, caller.shared,
                      Staff(staff_id, name, bool(supervisor)), counter_id)

    def counter_staffed(self, counter_id: str) -> bool:
        """Someone is signed in at this counter now (a help call's first counter: queueing/alerts.py)."""
        return bool(self._q("SELECT 1 FROM staff_sessions WHERE counter_id=? AND expires_at > ? LIMIT 1",
                            (counter_id, self.clock())))

    def sign_out(self, token: str) -> tuple[str, str | None] | None:
        """Ends a session; its (staff, counter), or None when it had ended already."""
        with self._lock:
            try:
                rows = self._con.execute("DELETE FROM staff_sessions WHERE token_hash=? RETURNING staff_id, counter_id",
                                         (token_hash(token),)).fetchall()
            except sqlite3.Error as exc:
                raise self._failure(exc) from exc
        return (rows[0][0], rows[0][1]) if rows else None


#: the embedded demo's counter sign-in: 工号 ``s-<counter id>`` (e.g. ``s-W01``), this PIN
DEMO_STAFF_PIN = "123456"


def seed_demo_staff(db_path: Path | str, counter_ids: list[str]) -> int:
    """Accounts for the embedded demo hall (one per counter, the demo PIN), so a newcomer's
    ``main.py counter --counter W01`` can sign in. Only the in-process demo hall calls this;
    a deployed hall-server has no demo accounts. Returns how many were added."""
    creds = Credentials(db_path)
    try:
        known = {row["id"] for row in creds.staff_list()}
        added = 0
        for counter_id in counter_ids:
            staff_id = f"s-{counter_id}"
            if staff_id not in known:
                creds.add_staff(staff_id, f"Demo {counter_id}", DEMO_STAFF_PIN, pin=True,
                                supervisor=counter_id == counter_ids[0])
                added += 1
        return added
    finally:
        creds.close()

