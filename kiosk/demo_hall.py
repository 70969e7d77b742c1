"""``main.py demo-hall``: a whole demo hall as separate processes on this machine.

What a deployed hall runs on several machines, started here on loopback: the reference central
platform, one hall service (``main.py hall-server``) and one process per window — the citizen
kiosk, the hall display, a counter console per counter, the supervisor dashboard. Each window
gets its own ``<data-dir>/<role>.toml`` pointing at that one hall with its own enrolled device
token (``hall-server enrol``), exactly as docs/deploy.md sets up a real hall; the counters' demo
staff accounts (工号 ``s-<counter>``, PIN ``DEMO_STAFF_PIN``) are added to that hall only.

This module owns the plan (ports, credentials, configuration files), starting the processes in
order (platform, hall service, windows), the printed instructions, and stopping them all on
Ctrl-C, SIGTERM, ``--quit-after``, or when a server process dies. It starts ``main.py`` itself,
so the processes are the very commands an operator would type.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

log = logging.getLogger(__name__)

WINDOW_ROLES = ("kiosk", "display", "counter", "dashboard")
MAIN = Path(__file__).resolve().parent.parent / "main.py"
#: how long a server gets to answer before the demo gives up on it
START_TIMEOUT_S = 60.0
#: how long the processes get to stop after SIGTERM before they are killed
STOP_TIMEOUT_S = 15.0


@dataclass
class Child:
    """One process of the demo hall."""

    name: str  # "platform", "hall-server", "kiosk", "display", "counter-W01", "dashboard"
    argv: list[str]
    log_path: Path
    server: bool = False  # the demo cannot go on without it
    proc: subprocess.Popen[bytes] | None = None
    _log: IO[bytes] | None = field(default=None, repr=False)

    def start(self, env: dict[str, str]) -> None:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self._log = self.log_path.open("ab")
        # Its own process group: the terminal's Ctrl-C reaches only the demo, which then stops the
        # windows before the hall and the hall before the platform (no half-stopped hall).
        self.proc = subprocess.Popen(self.argv, env=env, stdin=subprocess.DEVNULL, stdout=self._log,
                                     stderr=subprocess.STDOUT, process_group=0, preexec_fn=_die_with_parent)
        log.info("started", extra={"ctx": {"process": self.name, "pid": self.proc.pid, "log": str(self.log_path)}})

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def close_log(self) -> None:
        if self._log is not None:
            self._log.close()
            self._log = None


def _die_with_parent() -> None:
    """In the child, before exec: SIGTERM when the demo itself dies (even by SIGKILL), so no
    window is left talking to a hall that is gone (Linux; elsewhere a no-op)."""
    if sys.platform.startswith("linux"):
        import ctypes

        pr_set_pdeathsig = 1
        ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGTERM)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class DemoHall:
    """The plan of one demo hall: where everything lives and who has which credential."""

    data_dir: Path
    counters: list[str]
    roles: list[str]
    hall_url: str = ""
    platform_url: str = ""
    configs: dict[str, Path] = field(default_factory=dict)  # window process name -> its kiosk.toml
    counter_names: dict[str, str] = field(default_factory=dict)
    children: list[Child] = field(default_factory=list)

    @property
    def hall_dir(self) -> Path:
        return self.data_dir / "hall"

    @property
    def platform_dir(self) -> Path:
        return self.data_dir / "platform"


def _write_config(path: Path, config: dict[str, Any]) -> None:
    import tomlkit

    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)  # it holds a bearer token
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write("# written by main.py demo-hall: this window's own credential for the demo hall\n")
        fh.write(tomlkit.dumps(config))


def plan(data_dir: Path, counters: Sequence[str], roles: Sequence[str]) -> DemoHall:
    """Ports, the platform's and the hall's credentials, and the windows' configuration files.

    Runs before any process starts: the hall must hold the platform's ``hall_key`` from its first
    start (the key that matches swiped ID cards against the platform's appointments)."""
    from offline_cache.platform_server import load_or_create_credentials
    from queueing.hallconfig import ConfigError, load_hall

    demo = DemoHall(data_dir.resolve(), list(counters), list(roles))
    platform_creds = load_or_create_credentials(demo.platform_dir)
    hall_credentials = demo.hall_dir / "credentials.json"
    demo.hall_dir.mkdir(parents=True, exist_ok=True)
    if not hall_credentials.exists():
        fd = os.open(hall_credentials, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            json.dump({"hall_key": platform_creds["hall_key"]}, fh)
    hall = load_hall(demo.hall_dir)  # writes the sample hall.toml on the first run
    unknown = [c for c in demo.counters if c not in hall.counters]
    if unknown:
        raise ConfigError(f"no counter {', '.join(unknown)} in {demo.hall_dir / 'hall.toml'}; "
                          f"it has {', '.join(hall.counters)}")
    demo.counter_names = {c: hall.counters[c].name for c in demo.counters}
    demo.platform_url = f"http://127.0.0.1:{free_port()}"
    demo.hall_url = f"http://127.0.0.1:{free_port()}"
    return demo


def enrol_windows(demo: DemoHall) -> None:
    """Each window its own device token (the hall must be running: its store is migrated), the
    demo staff accounts, and each window's configuration file."""
    from offline_cache.platform_server import load_or_create_credentials
    from queueing.credentials import Credentials, seed_demo_staff
    from queueing.hallconfig import load_credentials

    platform_creds = load_or_create_credentials(demo.platform_dir)
    load_credentials(demo.hall_dir)  # writes the hall's credentials file on a first start
    seed_demo_staff(demo.hall_dir / "queue.db", list(demo.counter_names) or demo.counters)
    creds = Credentials(demo.hall_dir / "queue.db")
    try:
        windows: list[tuple[str, str, str | None]] = []  # (process name, device role, counter)
        for role in demo.roles:
            if role == "counter":
                windows += [(f"counter-{c}", "counter", c) for c in demo.counters]
            else:
                windows.append((role, role, None))
        for name, role, counter in windows:
            # every window its own device credential; the dashboard's supervisor signs in on it
            token = creds.enrol(role, f"demo-{name}", counter_id=counter, replace=True)
            config: dict[str, Any] = {
                "version": 1,
                "data_dir": str(demo.data_dir / name),
                "kiosk": {"id": f"demo-{name}", "hall_id": "demo-hall"},
                "hall_service": {"url": demo.hall_url, "token": token},
                "platform": {"url": "off"},
            }
            if role == "kiosk":
                config["platform"] = {"url": demo.platform_url, "token": platform_creds["device_token"],
                                      "device_id": f"demo-{name}", "hall_key": platform_creds["hall_key"]}
            path = demo.data_dir / f"{name}.toml"
            _write_config(path, config)
            demo.configs[name] = path
    finally:
        creds.close()


def _wait_until(what: str, child: Child, ready: Any, timeout: float = START_TIMEOUT_S) -> None:
    deadline = time.monotonic() + timeout
    while not ready():
        if not child.alive():
            raise RuntimeError(f"{child.name} exited while starting: see {child.log_path}")
        if time.monotonic() > deadline:
            raise RuntimeError(f"{what} did not answer within {timeout:g} s: see {child.log_path}")
        time.sleep(0.2)


def _answers(url: str) -> bool:
    import requests

    try:
        return requests.get(url, timeout=2).status_code < 500
    except requests.RequestException:
        return False


def _written_by(endpoint: Path, child: Child) -> bool:
    """The platform writes its URL and pid once it listens (an older file is from an earlier run)."""
    try:
        return bool(child.proc and json.loads(endpoint.read_text("utf-8")).get("pid") == child.proc.pid)
    except (OSError, ValueError):
        return False


def _child_env() -> dict[str, str]:
    env = dict(os.environ)
    # each window has its data_dir in its own file; the demo's HALL_KIOSK_DATA would override it
    env.pop("HALL_KIOSK_DATA", None)
    return env


def start(demo: DemoHall, *, log_level: str = "INFO", quit_after: float = 0.0,
          screenshot_dir: Path | None = None) -> None:
    """Platform, then the hall service, then the windows; returns when all are started."""
    env = _child_env()
    base = [sys.executable, str(MAIN), "--log-level", log_level]
    logs = demo.data_dir / "logs"
    platform_port = demo.platform_url.rsplit(":", 1)[1]
    hall_port = demo.hall_url.rsplit(":", 1)[1]
    platform = Child("platform", [*base, "platform", "--port", platform_port, "--data-dir", str(demo.platform_dir)],
                     logs / "platform.log", server=True)
    demo.children.append(platform)
    platform.start(env)
    endpoint = demo.platform_dir / "platform-endpoint.json"
    _wait_until("the platform", platform, lambda: _written_by(endpoint, platform))
    hall_env = dict(env, HALL_PLATFORM_TOKEN=json.loads(
        (demo.platform_dir / "platform-credentials.json").read_text("utf-8"))["device_token"])
    hall = Child("hall-server", [*base, "hall-server", "--port", hall_port, "--data-dir", str(demo.hall_dir),
                                 "--platform-url", demo.platform_url], logs / "hall-server.log", server=True)
    demo.children.append(hall)
    hall.start(hall_env)
    _wait_until("the hall service", hall, lambda: _answers(f"{demo.hall_url}/api/v1/health"))
    enrol_windows(demo)
    for name, config in demo.configs.items():
        role = name.split("-", 1)[0]
        argv = [*base, role, "--config", str(config)]
        if role == "counter":
            argv += ["--counter", name.split("-", 1)[1]]
        if quit_after:
            argv += ["--quit-after", f"{quit_after:g}"]
            if screenshot_dir is not None:
                argv += ["--screenshot", str(screenshot_dir / f"{name}.png")]
        child = Child(name, argv, logs / f"{name}.log")
        demo.children.append(child)
        child.start(env)
    _write_summary(demo)


def _write_summary(demo: DemoHall) -> None:
    """``<data-dir>/demo-hall.json``: where everything is, for scripts (no tokens: those stay in
    the 0600 configuration files)."""
    summary = {
        "hall_url": demo.hall_url, "platform_url": demo.platform_url,
        "configs": {name: str(path) for name, path in demo.configs.items()},
        "logs": {c.name: str(c.log_path) for c in demo.children},
        "pids": {c.name: c.proc.pid for c in demo.children if c.proc is not None},
        "staff": {c: f"s-{c}" for c in demo.counters},
    }
    (demo.data_dir / "demo-hall.json").write_text(json.dumps(summary, indent=2), encoding="utf-8")


def instructions(demo: DemoHall, prog: str) -> str:
    """What the newcomer reads on the terminal: which window is which, and who signs in how."""
    from queueing.credentials import DEMO_STAFF_PIN

    lines = [
        "Demo hall running: one hall service, its central platform, and one process per window.",
        f"  hall service   {demo.hall_url}   (API /api/v1, OpenAPI /openapi.json, phone pages /t/ /a/ /g/)",
        f"  platform       {demo.platform_url}   (the reference central platform)",
        "",
        "Windows:",
    ]
    for name in demo.configs:
        if name == "kiosk":
            lines.append("  kiosk          the citizen touch screen: take a ticket, check in, guides. The demo panel"
                         " (bottom right) places an ID card or scans a code; hold the hall name 3 s for the"
                         f" technician panel (PIN {DEMO_STAFF_PIN}).")
        elif name == "display":
            lines.append("  display        the hall TV: every call appears and is spoken.")
        elif name.startswith("counter-"):
            counter = name.split("-", 1)[1]
            lines.append(f"  {name:<14} the console of counter {counter}: press the sign-in button (top left),"
                         f" staff ID s-{counter}, PIN {DEMO_STAFF_PIN}; then F1 calls the next ticket.")
        elif name == "dashboard":
            first = demo.counters[0] if demo.counters else "W01"
            lines.append("  dashboard      the supervisor's dashboard: the queue now, ratings to rectify, alerts,"
                         f" CSV/XLSX export; sign in there as the demo supervisor s-{first}, PIN {DEMO_STAFF_PIN},"
                         " to answer a bad rating or acknowledge an alert.")
    lines += [
        "",
        f"Each window's settings and its own device token: {demo.data_dir}/<window>.toml ([hall_service]);",
        f"the enrolled devices: {prog} hall-server devices --data-dir {demo.hall_dir}",
        f"Logs: {demo.data_dir / 'logs'}/<process>.log.   Ctrl-C stops everything.",
    ]
    return "\n".join(lines)


def stop(demo: DemoHall) -> dict[str, int | None]:
    """SIGTERM to the windows, then the hall, then the platform; kill what outlives the wait.
    Returns each process's exit code."""
    for group in ([c for c in demo.children if not c.server], [c for c in demo.children if c.name == "hall-server"],
                  [c for c in demo.children if c.name == "platform"]):
        for child in group:
            if child.alive():
                assert child.proc is not None
                child.proc.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + STOP_TIMEOUT_S
        for child in group:
            if child.proc is None:
                continue
            try:
                child.proc.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                log.warning("did not stop: killed", extra={"ctx": {"process": child.name}})
                child.proc.kill()
                child.proc.wait()
    for child in demo.children:
        child.close_log()
    return {c.name: (c.proc.returncode if c.proc is not None else None) for c in demo.children}


def run(data_dir: Path, counters: Sequence[str], roles: Sequence[str], *, prog: str = "main.py",
        log_level: str = "INFO", quit_after: float = 0.0, screenshot_dir: Path | None = None) -> int:
    """Start the demo hall, print the instructions, wait for Ctrl-C / SIGTERM / the windows to
    finish (``quit_after``) / a server to die, then stop everything. 0 when all went well."""
    from queueing.hallconfig import ConfigError

    stopping = threading.Event()
    previous = {sig: signal.signal(sig, lambda _s, _f: stopping.set()) for sig in (signal.SIGINT, signal.SIGTERM)}
    demo: DemoHall | None = None
    failed = False
    try:
        demo = plan(data_dir, counters, roles)
        start(demo, log_level=log_level, quit_after=quit_after, screenshot_dir=screenshot_dir)
        print(instructions(demo, prog), flush=True)
        windows = [c for c in demo.children if not c.server]
        reported: set[str] = set()
        while not stopping.wait(0.5):
            for child in demo.children:
                if child.alive() or child.name in reported:
                    continue
                reported.add(child.name)
                code = child.proc.returncode if child.proc is not None else None
                if child.server or code:
                    failed = True
                    print(f"demo-hall: {child.name} exited with {code}: see {child.log_path}", file=sys.stderr)
            if any(c.server and not c.alive() for c in demo.children):
                break  # nothing works without the hall or the platform
            if windows and all(not c.alive() for c in windows):
                break  # every window closed (or --quit-after): the servers have no one left to serve
    except (ConfigError, RuntimeError, OSError) as exc:
        print(f"demo-hall: {exc}", file=sys.stderr)
        failed = True
    finally:
        if demo is not None:
            codes = stop(demo)
            log.info("demo hall stopped", extra={"ctx": {"exit_codes": codes}})
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return 1 if failed else 0
