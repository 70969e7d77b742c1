"""Damaged SQLite files: telling damage from other errors, the full integrity check, setting a
file aside (quarantine) and reading back every row that is still whole.

Shared by the kiosk's offline cache (``offline_cache.repair``) and the hall's queue.db
(``queueing.store``). Recovery prefers the ``sqlite3`` command-line shell's ``.recover`` (Debian
package ``sqlite3``), which walks the file page by page and keeps every intact row even when the
b-tree above it is gone (a truncated file, flipped bytes in an interior page); without the shell
each table is read row by row by rowid, stepping over rows that fail."""

from __future__ import annotations

import logging
import os
import shutil
import sqlite3
import subprocess
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

log = logging.getLogger(__name__)

_DAMAGE = ("SQLITE_CORRUPT", "SQLITE_NOTADB")
_MAX_SKIPS = 100_000  # rowid-scan fallback: rows stepped over before a table is given up


def is_damage(exc: BaseException) -> bool:
    """True for "database disk image is malformed" / "file is not a database", and for a stored
    text that is no longer UTF-8 (we only ever write UTF-8: its bytes were changed on disk, a page
    whose structure still parses); not for busy, full or I/O errors."""
    if not isinstance(exc, sqlite3.DatabaseError):
        return False
    name = getattr(exc, "sqlite_errorname", "") or ""
    text = str(exc)
    return (name.startswith(_DAMAGE) or "malformed" in text or "not a database" in text
            or "Could not decode to UTF-8" in text)


def integrity_problems(con: sqlite3.Connection, limit: int = 20) -> list[str]:
    """``PRAGMA integrity_check`` in full (indexes against tables, not only ``quick_check``'s
    page structure); an empty list when the file is sound."""
    try:
        rows = [str(r[0]) for r in con.execute(f"PRAGMA integrity_check({int(limit)})").fetchall()]
    except sqlite3.DatabaseError as exc:
        return [str(exc)]
    return [] if rows == ["ok"] else rows


def check_file(path: Path) -> list[str]:
    """The integrity problems of the file at ``path`` (opened on its own connection)."""
    try:
        con = sqlite3.connect(path, timeout=30)
    except sqlite3.DatabaseError as exc:
        return [str(exc)]
    try:
        return integrity_problems(con)
    finally:
        con.close()


def quarantine(path: Path) -> list[Path]:
    """Rename ``path`` and its -wal/-shm aside as ``<name>.corrupt-<stamp>`` (kept for the
    technician, never deleted) and fsync the directory; returns the new names."""
    stamp = datetime.now().strftime("%Y%m%dT%H%M%S")
    base = path.with_name(f"{path.name}.corrupt-{stamp}")
    n = 1
    while base.exists():
        base = path.with_name(f"{path.name}.corrupt-{stamp}-{n}")
        n += 1
    moved = []
    for suffix in ("", "-wal", "-shm"):
        src = Path(str(path) + suffix)
        if src.exists():
            dst = Path(str(base) + suffix)  # the WAL keeps its database's name: recovery reads it
            try:
                os.replace(src, dst)
            except FileNotFoundError:  # another process set it aside first
                continue
            moved.append(dst)
    fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
    return moved


def recover(damaged: Path, out: Path) -> Path:
    """Write every row still readable in ``damaged`` into the new file ``out`` (same tables);
    ``out`` may hold a ``lost_and_found`` table of rows whose table could not be told.
    ``damaged`` (the kept evidence) is never opened for writing: a scratch copy is read."""
    work = _work_copy(damaged, out.with_name(out.name + ".work"))
    try:
        if out.exists():
            out.unlink()
        shell = shutil.which("sqlite3")
        if shell is not None:
            try:
                sql = subprocess.run([shell, str(work), ".recover"], capture_output=True,
                                     timeout=600, check=True).stdout
                subprocess.run([shell, str(out)], input=sql, capture_output=True, timeout=600, check=True)
                return out
            except (subprocess.SubprocessError, OSError) as exc:
                # Debian's 3.40 shell is built without the page reader .recover needs.
                log.info("sqlite3 .recover unavailable, reading row by row", extra={"ctx": {"error": str(exc)}})
                if out.exists():
                    out.unlink()
        _recover_by_rowid(work, out)
        return out
    finally:
        for suffix in ("", "-wal", "-shm"):
            Path(str(work) + suffix).unlink(missing_ok=True)


def _work_copy(damaged: Path, work: Path) -> Path:
    """A copy of the file (and its WAL, whose committed rows count) that SQLite may open; a
    WAL-mode file without its WAL is switched to a rollback journal so it opens without one."""
    shutil.copyfile(damaged, work)
    wal = Path(str(damaged) + "-wal")
    if wal.exists():
        shutil.copyfile(wal, str(work) + "-wal")
    with open(work, "r+b") as f:
        head = f.read(100)
        if len(head) < 100:
            return work
        if not wal.exists() and head[18:20] == b"\x02\x02":
            f.seek(18)
            f.write(b"\x01\x01")
        # A file cut short: pages the schema still names are zero-filled, so SQLite opens it and
        # fails only on the rows that were lost (not on the whole schema, "invalid rootpage").
        page = int.from_bytes(head[16:18], "big") or 65536
        pages = int.from_bytes(head[28:32], "big")
        size = work.stat().st_size
        want = max(-(-size // page) * page, pages * page)
        if want > size:
            f.truncate(want)
    return work


def _recover_by_rowid(damaged: Path, out: Path) -> None:
    src = sqlite3.connect(damaged)
    dst = sqlite3.connect(out)
    try:
        try:
            tables = src.execute("SELECT name, sql FROM sqlite_master WHERE type='table' "
                                 "AND name NOT LIKE 'sqlite_%'").fetchall()
        except sqlite3.DatabaseError:
            tables = []
        for name, sql in tables:
            try:
                dst.execute(sql)
            except sqlite3.Error:
                continue
            for row in _rows_by_rowid(src, name):
                marks = ",".join("?" * len(row))
                dst.execute(f'INSERT OR IGNORE INTO "{name}" VALUES({marks})', row)
        dst.commit()
    finally:
        src.close()
        dst.close()


def _rows_by_rowid(con: sqlite3.Connection, table: str) -> Iterator[tuple[object, ...]]:
    last, skips = -(2**63), 0
    while skips < _MAX_SKIPS:
        try:
            row = con.execute(f'SELECT rowid, * FROM "{table}" WHERE rowid > ? ORDER BY rowid LIMIT 1',
                              (last,)).fetchone()
        except sqlite3.DatabaseError:
            last, skips = last + 1, skips + 1  # a damaged row (or page): step over it
            continue
        if row is None:
            return
        last = int(row[0])
        yield tuple(row[1:])
