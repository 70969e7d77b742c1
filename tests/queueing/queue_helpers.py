"""Helpers of the queue tests: an injectable clock, engines on a temporary data dir, the hall
service as a real ``main.py hall-server`` process."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import ClassVar
from zoneinfo import ZoneInfo

import requests

from queueing.engine import QueueEngine
from queueing.hallconfig import load_credentials, load_hall, sample_hall_toml
from queueing.store import QueueStore, SQLiteStore

ROOT = Path(__file__).resolve().parents[2]
TZ = ZoneInfo("Asia/Shanghai")


class FakeClock:
    """A settable clock: tests move time instead of sleeping."""

    def __init__(self, start: datetime) -> None:
        self.t = start.timestamp()

    def __call__(self) -> float:
        return self.t

    def advance(self, minutes: float = 0.0, seconds: float = 0.0) -> None:
        self.t += minutes * 60 + seconds

    def set(self, when: datetime) -> None:
        self.t = when.timestamp()


def at(hour: int, minute: int = 0, day: int = 23) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=TZ)


def load_test_hall_toml() -> str:
    """The sample hall with the whole daily cap open to tickets without an ID number: load and race
    tests issue anonymous tickets by the hundred (a kiosk sends the card's number for real-name
    services; the anonymous share itself is tested in test_queue_hostile_input.py)."""
    import tomlkit

    doc = tomlkit.parse(sample_hall_toml())
    doc["policy"]["anonymous_share"] = 1.0  # type: ignore[index]
    return tomlkit.dumps(doc)


class StoreChoice:
    """Which store the engines and hall-server processes of the running test use: set by the
    ``store`` fixture (conftest.py). ``url`` is the test's PostgreSQL database; None: SQLite.
    A second data dir in one test (a fresh hall, e.g. each hypothesis example) empties it first."""

    url: str | None = None
    empty: Callable[[str], None] | None = None
    dirs: ClassVar[set[Path]] = set()

    @classmethod
    def url_for(cls, data_dir: Path) -> str | None:
        if cls.url is None:
            return None
        key = data_dir.resolve()
        if key not in cls.dirs:
            if cls.dirs and cls.empty is not None:
                cls.empty(cls.url)
            cls.dirs.add(key)
        return cls.url


def open_store(data_dir: Path, hall_id: str) -> QueueStore:
    url = StoreChoice.url_for(data_dir)
    if url is None:
        return SQLiteStore(data_dir / "queue.db")
    from queueing.store_pg import PgStore

    return PgStore(url, hall_id, data_dir / "queue.db")


def make_engine(data_dir: Path, clock: Callable[[], float], hall_toml: str | None = None) -> QueueEngine:
    data_dir.mkdir(parents=True, exist_ok=True)
    if hall_toml is not None:
        (data_dir / "hall.toml").write_text(hall_toml, encoding="utf-8")
    hall = load_hall(data_dir)
    creds = load_credentials(data_dir)
    return QueueEngine(hall, open_store(data_dir, hall.id), creds["hall_key"], clock=clock)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class ServerProcess:
    """``python main.py hall-server`` in its own process group."""

    def __init__(
        self,
        data_dir: Path,
        heartbeat: float = 15.0,
        env: dict[str, str] | None = None,
        preexec_fn: Callable[[], None] | None = None,
        args: tuple[str, ...] = (),
    ) -> None:
        self.data_dir = data_dir
        self.args = args  # more hall-server options, e.g. --platform-url
        self.heartbeat = heartbeat
        self.env = env or {}  # e.g. libfaketime's LD_PRELOAD (test_queue_integrity.py)
        self.preexec_fn = preexec_fn  # e.g. an RLIMIT_FSIZE: a disk that fills up
        self.proc: subprocess.Popen | None = None
        self.port = 0

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 30.0) -> ServerProcess:
        self.port = free_port()
        cmd = [
            sys.executable,
            str(ROOT / "main.py"),
            "--log-level",
            "WARNING",
            "hall-server",
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--data-dir",
            str(self.data_dir),
            "--heartbeat",
            str(self.heartbeat),
            *self.store_args(),
            *self.args,
        ]
        self.log = open(self.data_dir.parent / f"server-{self.port}.log", "wb")  # noqa: SIM115
        self.proc = subprocess.Popen(
            cmd,
            cwd=ROOT,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            env={**os.environ, "PYTHONUNBUFFERED": "1", **self.env},
            preexec_fn=self.preexec_fn,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"hall-server exited with {self.proc.returncode}")
            try:
                if requests.get(self.base_url + "/api/v1/health", timeout=1).status_code == 200:
                    return self
            except requests.RequestException:
                time.sleep(0.05)
        raise RuntimeError("hall-server did not answer in time")

    def store_args(self) -> tuple[str, ...]:
        url = StoreChoice.url_for(self.data_dir)
        return () if url is None or "--store" in self.args else ("--store", url)

    def token(self, role: str) -> str:
        return load_credentials(self.data_dir)[role]

    def kill9(self) -> None:
        assert self.proc is not None
        self.proc.kill()
        self.proc.wait(10)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self.log.close()


def hall_cli(data: Path, *args: str, stdin: str | None = None, check: bool = True) -> subprocess.CompletedProcess[str]:
    """``main.py hall-server <command> … --data-dir DATA`` as an administrator types it."""
    cmd = [sys.executable, str(ROOT / "main.py"), "--log-level", "WARNING", "hall-server", *args,
           "--data-dir", str(data)]
    done = subprocess.run(cmd, cwd=ROOT, input=stdin, capture_output=True, text=True, timeout=60)
    if check:
        assert done.returncode == 0, done.stderr
    return done


def enrol(data: Path, role: str, name: str, counter: str | None = None) -> str:
    """``hall-server enrol``: the device's token, printed once."""
    out = hall_cli(data, "enrol", "--role", role, "--name", name, *(("--counter", counter) if counter else ()))
    return out.stdout.strip().splitlines()[-1]


def add_staff(data: Path, staff_id: str, password: str, *more: str) -> None:
    """``hall-server staff add`` with the password on stdin."""
    hall_cli(data, "staff", "add", staff_id, "--name", f"Staff {staff_id}", "--password-stdin", *more,
             stdin=password + "\n")


def small_hall(kind: str = "strict", hours: str = "00:00-24:00", **policy: object) -> str:
    """A three-service, three-counter hall: C1 serves all (一窗受理), C2 only S1, C3 only S2;
    S1 and S3 share the prefix A."""
    settings = {
        "kind": kind,
        "interleave_normal": 2,
        "aging_boost_minutes": 20,
        "max_wait_minutes": 0,
        "appointment_early_minutes": 30,
        "appointment_late_minutes": 15,
        "max_recalls": 2,
        "person_daily_cap": 3,
        **policy,
    }
    lines = [
        "version = 1",
        "[hall]",
        'id = "test-hall"',
        'name = "测试大厅"',
        'timezone = "Asia/Shanghai"',
        f'opening_hours = "{hours}"',
        "[policy]",
    ]
    for k, v in settings.items():
        lines.append(f'{k} = "{v}"' if isinstance(v, str) else f"{k} = {v}")
    lines += ["[[zones]]", 'id = "z"', 'name = "综合受理板块"']
    for sid, prefix, cap in (("S1", "A", 0), ("S2", "B", 0), ("S3", "A", 0)):
        lines += [
            "[[services]]",
            f'id = "{sid}"',
            f'name = "事项{sid}"',
            'zone = "z"',
            f'prefix = "{prefix}"',
            "typical_service_minutes = 10",
            "target_wait_minutes = 20",
            f"daily_cap = {cap}",
        ]
    for cid, svcs in (("C1", '["S1", "S2", "S3"]'), ("C2", '["S1"]'), ("C3", '["S2"]')):
        lines += ["[[counters]]", f'id = "{cid}"', f'name = "{cid}号窗口"', f"services = {svcs}"]
    return "\n".join(lines) + "\n"
