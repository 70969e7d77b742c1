"""Schema versions and forward migrations of our SQLite files (the kiosk's offline cache, the
reference platform's store, the hall's ``queue.db``).

A database's version is ``PRAGMA user_version`` (0 = written before versions existed, or a new
empty file). A :class:`Schema` is the ordered list of its migrations: migration *n* (1-based)
takes version *n-1* to *n*. :func:`migrate` applies the missing ones, each in its own
``BEGIN IMMEDIATE`` transaction together with the new ``user_version``, so a crash leaves the file
at the last completed version and two processes opening the same file never both apply one.
A file from a newer release is refused with :class:`SchemaTooNewError` before anything writes
to it (call :func:`refuse_newer` before pragmas such as ``journal_mode``).

How to add a migration: docs/offline-cache.md, "How a schema migration is written".
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Callable, Iterator
from dataclasses import dataclass

log = logging.getLogger(__name__)


class SchemaTooNewError(RuntimeError):
    """The file was written by a newer release; this code does not know its schema.

    Deliberately not a ``sqlite3.DatabaseError``: callers that quarantine damaged files must
    not set a healthy newer file aside."""

    def __init__(self, name: str, found: int, known: int) -> None:
        super().__init__(f"{name} has schema version {found}, newer than this release knows "
                         f"(up to {known}); it was left untouched: run the newer release, or "
                         f"restore a backup made by this one")
        self.name, self.found, self.known = name, found, known


@dataclass(frozen=True)
class Migration:
    """One step. ``apply`` is SQL (one or more statements) or a function of the connection;
    either runs inside the step's transaction and must not COMMIT or use ``executescript``."""

    description: str
    apply: str | Callable[[sqlite3.Connection], None]


@dataclass(frozen=True)
class Schema:
    name: str  # for messages and logs, e.g. "offline cache"
    migrations: tuple[Migration, ...]

    @property
    def version(self) -> int:
        return len(self.migrations)


def user_version(conn: sqlite3.Connection) -> int:
    return int(conn.execute("PRAGMA user_version").fetchone()[0])


def refuse_newer(conn: sqlite3.Connection, schema: Schema, where: str = "") -> int:
    """The file's version; raises :class:`SchemaTooNewError` if newer than ``schema`` (reads only)."""
    found = user_version(conn)
    if found > schema.version:
        raise SchemaTooNewError(f"{schema.name} {where}".strip(), found, schema.version)
    return found


def statements(sql: str) -> Iterator[str]:
    """Split a script into complete statements (``executescript`` would COMMIT first)."""
    buffer = ""
    for piece in sql.split(";"):
        buffer += piece + ";"
        if sqlite3.complete_statement(buffer):
            if buffer.strip(" \t\r\n;"):
                yield buffer.strip()
            buffer = ""
    if buffer.strip(" \t\r\n;"):
        raise ValueError(f"incomplete SQL statement in migration: {buffer.strip()[:80]!r}")


def migrate(conn: sqlite3.Connection, schema: Schema, where: str = "") -> int:
    """Bring the database on ``conn`` (autocommit mode: ``isolation_level=None``) to
    ``schema.version``; return the version it had. Refuses a newer file untouched."""
    start = refuse_newer(conn, schema, where)
    for target in range(start + 1, schema.version + 1):
        step = schema.migrations[target - 1]
        conn.execute("BEGIN IMMEDIATE")
        try:
            # another process may have migrated while we waited for the write lock
            now = refuse_newer(conn, schema, where)
            if now >= target:
                conn.execute("COMMIT")
                continue
            if isinstance(step.apply, str):
                for statement in statements(step.apply):
                    conn.execute(statement)
            else:
                step.apply(conn)
            conn.execute(f"PRAGMA user_version={int(target)}")
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        log.info("schema migrated", extra={"ctx": {"schema": schema.name, "where": where,
                                                   "version": target, "step": step.description}})
    return start
