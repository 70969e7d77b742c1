"""How the offline cache looks after its own file: the full integrity check when it opens and
now and then while it runs and, when the file is damaged, setting it aside (quarantine),
starting a fresh file and salvaging every whole record into it, each step an alert.

The file-level pieces (telling damage from other errors, ``PRAGMA integrity_check``, renaming a
file aside, reading rows back) are :mod:`offline_cache.integrity`, shared with the hall's
queue.db; what a salvage re-enqueues is :mod:`offline_cache.salvage`. This module is the
cache's policy over them: when to check, what to do on damage, and :func:`heals`, which lets a
method of :class:`offline_cache.store.OfflineCache` survive one SQLITE_CORRUPT."""

from __future__ import annotations

import logging
import sqlite3
import time
from collections.abc import Callable, Sequence
from functools import wraps
from pathlib import Path
from typing import TYPE_CHECKING, Concatenate, ParamSpec, TypeVar

from .cache_schema import SCHEMA, connect, prepare
from .integrity import integrity_problems, is_damage, quarantine
from .migrations import refuse_newer

if TYPE_CHECKING:
    from .store import OfflineCache

log = logging.getLogger(__name__)

P = ParamSpec("P")
R = TypeVar("R")
C = TypeVar("C", bound="OfflineCache")


class _CorruptFile(sqlite3.DatabaseError):
    """integrity_check found damage."""


def heals(method: Callable[Concatenate[C, P], R]) -> Callable[Concatenate[C, P], R]:
    """A method of the cache that, when SQLite reports damage (SQLITE_CORRUPT), checks the file
    in full and — when it is damaged — sets it aside, salvages it into a fresh file and tries
    once more on that file (:func:`heal`)."""

    @wraps(method)
    def run(cache: C, /, *args: P.args, **kwargs: P.kwargs) -> R:
        check_now_and_then(cache)
        try:
            return method(cache, *args, **kwargs)
        except sqlite3.DatabaseError as exc:
            if not is_damage(exc) or not heal(cache, str(exc)):
                raise
            return method(cache, *args, **kwargs)

    return run


def open_checked(cache: OfflineCache) -> sqlite3.Connection:
    """The cache's connection, its file checked in full first; a damaged file is quarantined
    (an alert) and a fresh one opened in its place."""
    conn = None
    try:
        conn = connect(cache.path, cache._busy_timeout_ms)
        refuse_newer(conn, SCHEMA, str(cache.path))  # before any pragma writes to the file
        # In full, not quick_check: damage in an index (entries that no longer match their
        # rows) passes quick_check and then fails every sync pass "malformed".
        problems = integrity_problems(conn)
        if problems:
            raise _CorruptFile("integrity_check: " + "; ".join(problems[:5]))
        prepare(conn, str(cache.path))
        return conn
    except BaseException as exc:
        if conn is not None:
            conn.close()
        if not isinstance(exc, sqlite3.DatabaseError):
            raise
        name = getattr(exc, "sqlite_errorname", "") or ""
        if not isinstance(exc, _CorruptFile) and not name.startswith(("SQLITE_CORRUPT", "SQLITE_NOTADB")):
            raise  # busy, locked, I/O, permissions: not a reason to set the file aside
        quarantine_file(cache, str(exc))
        conn = connect(cache.path, cache._busy_timeout_ms)
        prepare(conn, str(cache.path))
        return conn


def quarantine_file(cache: OfflineCache, why: str) -> None:
    """Set the cache's file (and its -wal/-shm) aside; the new names join ``cache.quarantined``."""
    moved = quarantine(cache.path)
    cache.quarantined.extend(moved)
    cache.alert("cache_corrupt", "the offline cache file failed its integrity check; it was "
                "quarantined (kept, renamed), a fresh cache started and every whole record "
                "salvaged into it (python main.py cache salvage FILE repeats that)",
                {"reason": why[:200], "quarantined": [str(p) for p in moved]})


def salvage_quarantined(cache: OfflineCache, moved: Sequence[Path]) -> None:
    """Salvage a file just set aside into this (fresh) one; the result is an alert."""
    from .salvage import salvage

    if not moved:
        return
    result: dict[str, object]
    try:
        result = dict(salvage(cache, moved[0]))
    except Exception as exc:  # the fresh cache must work even when nothing can be read back
        log.exception("salvage of a quarantined cache failed")
        result = {"found": 0, "imported": 0, "failed": "all", "error": str(exc)[:200]}
    cache.alert("cache_salvaged", f"{result['imported']} records salvaged from the quarantined cache "
                f"({result['failed']} could not be)", {**result, "quarantined": str(moved[0])})


def check_now_and_then(cache: OfflineCache) -> None:
    """The full check once every ``integrity_check_seconds``: index damage need not raise
    anything, it only hides records from the sync's queries."""
    if cache._healing or time.monotonic() - cache._checked_at < cache.integrity_check_seconds:
        return
    cache._checked_at = time.monotonic()
    with cache._lock:
        if integrity_problems(cache._conn):
            heal(cache, "the periodic integrity_check found damage")


def heal(cache: OfflineCache, why: str) -> bool:
    """After SQLITE_CORRUPT while running: a full integrity_check; a damaged file is set aside,
    a fresh one opened and salvaged. False when the check finds nothing (not damage)."""
    with cache._lock:
        if cache._healing:
            return False
        problems = integrity_problems(cache._conn)
        if not problems:
            return False
        cache._healing = True
        try:
            log.error("offline cache damaged while running", extra={"ctx": {"error": why,
                                                                            "integrity_check": problems[:5]}})
            cache._conn.close()
            first, cache._opened = len(cache.alerts), False
            quarantine_file(cache, f"{why}; integrity_check: {'; '.join(problems[:3])}")
            moved = cache.quarantined[-3:]
            cache._conn = connect(cache.path, cache._busy_timeout_ms)
            prepare(cache._conn, str(cache.path))
            cache._opened = True
            for item in cache.alerts[first:]:
                cache._store_alert(item)
            salvage_quarantined(cache, [p for p in moved if not str(p).endswith(("-wal", "-shm"))][-1:])
        finally:
            cache._healing = False
    return True
