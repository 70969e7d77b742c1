"""A real PostgreSQL server for the tests: Debian's ``postgresql`` binaries, ``initdb`` into a
temporary directory and ``pg_ctl start`` on a random loopback port, as the unprivileged
``postgres`` user when the tests run as root (PostgreSQL refuses to run as root).

Test-only settings: ``trust`` authentication on loopback and ``fsync=off`` (a test cluster is
thrown away; the store's own durability is PostgreSQL's default, ``fsync=on``)."""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import psycopg
from psycopg import sql

PG_BIN_DIRS = sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)
RUN_AS = "postgres"


def pg_bin() -> Path | None:
    """The newest installed PostgreSQL binaries' directory, or None."""
    for d in PG_BIN_DIRS:
        if (d / "initdb").is_file() and (d / "pg_ctl").is_file():
            return d
    found = shutil.which("pg_ctl")
    return Path(found).parent if found and shutil.which("initdb") else None


def missing_reason() -> str | None:
    """Why a PostgreSQL server cannot be started here (None: it can)."""
    if pg_bin() is None:
        return "PostgreSQL binaries (initdb, pg_ctl) are not installed: apt-get install postgresql (setup.sh does)"
    if os.geteuid() == 0:
        try:
            pwd.getpwnam(RUN_AS)
        except KeyError:
            return f"running as root and there is no {RUN_AS!r} user to run PostgreSQL as"
    return None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class PgServer:
    """One throw-away cluster; ``url(db)`` names a database in it, ``new_database()`` makes one."""

    def __init__(self) -> None:
        bindir = pg_bin()
        assert bindir is not None, missing_reason()
        self.bin = bindir
        self.root = Path(tempfile.mkdtemp(prefix="hall-pg-"))
        self.data = self.root / "data"
        self.port = 0
        self._n = 0
        self._as_root = os.geteuid() == 0

    def _run(self, *cmd: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        full = ["runuser", "-u", RUN_AS, "--", *cmd] if self._as_root else list(cmd)
        done = subprocess.run(full, capture_output=True, text=True, timeout=timeout, cwd=self.root)
        if done.returncode != 0:
            raise RuntimeError(f"{' '.join(cmd[:2])} failed ({done.returncode}): {done.stderr.strip()[-2000:]}")
        return done

    def start(self, durable: bool = False) -> PgServer:
        """initdb and start; ``durable`` keeps PostgreSQL's fsync defaults (benchmarks)."""
        if self._as_root:
            pw = pwd.getpwnam(RUN_AS)
            os.chown(self.root, pw.pw_uid, pw.pw_gid)
        self.root.chmod(0o700)
        self._run(str(self.bin / "initdb"), "-D", str(self.data), "-U", "hall", "--auth=trust",
                  "--encoding=UTF8", "--locale=C", "--no-sync")
        for attempt in range(5):
            self.port = _free_port()
            fast = "" if durable else "-c fsync=off -c synchronous_commit=off -c full_page_writes=off "
            opts = f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.root} {fast}-c max_connections=200"
            try:
                self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-l", str(self.root / "server.log"),
                          "-o", opts, "-w", "-t", "60", "start")
                break
            except RuntimeError:
                if attempt == 4:
                    raise RuntimeError(f"PostgreSQL did not start: {self.log_tail()}") from None
                time.sleep(0.2)
        return self

    def log_tail(self) -> str:
        try:
            return (self.root / "server.log").read_text(errors="replace")[-2000:]
        except OSError:
            return ""

    def url(self, dbname: str = "postgres") -> str:
        return f"postgresql://hall@127.0.0.1:{self.port}/{dbname}"

    def new_database(self, prefix: str = "t") -> str:
        """A fresh empty database; its URL."""
        self._n += 1
        name = f"{prefix}_{os.getpid()}_{self._n}"
        with psycopg.connect(self.url(), autocommit=True) as con:
            con.execute(sql.SQL("CREATE DATABASE {} TEMPLATE template0").format(sql.Identifier(name)))
        return self.url(name)

    def empty_database(self, url: str) -> None:
        """Every table of the database emptied (its schema kept): a fresh hall on the same database."""
        with psycopg.connect(url, autocommit=True) as con:
            tables = [r[0] for r in con.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname='public' AND tablename <> 'queue_schema'")]
            if tables:
                con.execute(sql.SQL("TRUNCATE {} CASCADE").format(sql.SQL(", ").join(map(sql.Identifier, tables))))

    def drop_database(self, url: str) -> None:
        """Drop a database made by ``new_database`` (closing whatever still holds it)."""
        name = url.rsplit("/", 1)[1]
        with psycopg.connect(self.url(), autocommit=True) as con:
            con.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))

    def restart(self) -> None:
        self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-l", str(self.root / "server.log"), "-m", "fast",
                  "-w", "restart")

    def stop(self) -> None:
        if self.port:
            try:
                self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "-w", "stop", timeout=60)
            except (RuntimeError, subprocess.TimeoutExpired):
                pass
        shutil.rmtree(self.root, ignore_errors=True)
