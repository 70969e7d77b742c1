"""systemd readiness and watchdog notifications (sd_notify), without Qt and without libsystemd.

The units in ``packaging/systemd/`` are ``Type=notify`` with ``WatchdogSec=``: systemd waits for
``READY=1`` and then restarts the service when ``WATCHDOG=1`` stops arriving. A watchdog is only
worth something if the ping proves the program works, so the pings come from where the work is:

* Qt roles: a ``QTimer`` in the GUI thread calls :meth:`Watchdog.ping`; a hung event loop stops
  the timer, the pings stop, systemd kills and restarts the kiosk.
* hall-server: :func:`start_http_heartbeat` asks the service's own health URL and pings only when
  it answers, so a wedged server (loop blocked, database stuck) is restarted too.

Outside systemd (``NOTIFY_SOCKET`` unset) everything here is a no-op, so a developer's
``python main.py`` is unaffected.
"""

from __future__ import annotations

import logging
import os
import socket
import ssl
import threading
import urllib.request
from collections.abc import Mapping

log = logging.getLogger(__name__)


def notify(message: str, *, env: Mapping[str, str] | None = None) -> bool:
    """Send one sd_notify datagram (e.g. ``"READY=1"``); False when not under systemd."""
    env = os.environ if env is None else env
    address = env.get("NOTIFY_SOCKET", "")
    if not address:
        return False
    if address.startswith("@"):  # abstract namespace socket
        address = "\0" + address[1:]
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC) as sock:
            sock.connect(address)
            sock.sendall(message.encode("utf-8"))
    except OSError as exc:
        # Never let the watchdog take the application down; systemd will notice the silence.
        log.warning("sd_notify failed", extra={"ctx": {"error": type(exc).__name__}})
        return False
    return True


def watchdog_interval_s(env: Mapping[str, str] | None = None) -> float | None:
    """The unit's WatchdogSec in seconds when it applies to this process, else None."""
    env = os.environ if env is None else env
    usec = env.get("WATCHDOG_USEC", "")
    if not usec.isdigit() or int(usec) == 0:
        return None
    pid = env.get("WATCHDOG_PID", "")
    # systemd names the main process; a child that inherited the variables must not ping in its
    # parent's name. The kiosk session script (main process) unsets WATCHDOG_PID for the app it
    # starts under cage, because there the app is the one whose event loop must be watched.
    if pid.isdigit() and int(pid) != os.getpid():
        return None
    return int(usec) / 1_000_000


class Watchdog:
    """Readiness and pings for one process; build it with :meth:`from_env`."""

    def __init__(self, interval_s: float | None, env: dict[str, str] | None = None) -> None:
        self.interval_s = interval_s
        self._env = dict(os.environ if env is None else env)

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> Watchdog:
        return cls(watchdog_interval_s(env), env)

    @property
    def enabled(self) -> bool:
        return bool(self._env.get("NOTIFY_SOCKET"))

    @property
    def ping_interval_s(self) -> float:
        """How often to ping: half the watchdog period (systemd's advice); 5 s without one."""
        return self.interval_s / 2 if self.interval_s else 5.0

    def ready(self, status: str = "running") -> bool:
        return notify(f"READY=1\nSTATUS={status}", env=self._env)

    def ping(self) -> bool:
        return notify("WATCHDOG=1", env=self._env)

    def stopping(self) -> bool:
        return notify("STOPPING=1", env=self._env)


def start_http_heartbeat(url: str, *, env: dict[str, str] | None = None,
                         timeout_s: float = 5.0, tls_unverified: bool = False) -> threading.Thread | None:
    """Ping systemd while ``url`` answers 200; READY=1 on the first answer. ``tls_unverified``:
    an https ``url`` of this very machine, whose certificate need not name the address asked.

    Returns the daemon thread, or None outside systemd. The first check waits for the server to
    come up (systemd's TimeoutStartSec bounds that), later checks run every ping interval.
    """
    dog = Watchdog.from_env(env)
    if not dog.enabled:
        return None
    stop = threading.Event()

    context = None
    if tls_unverified:
        # A liveness probe of the process's own socket: nothing secret travels, and the
        # server certificate names the LAN address, not the one probed.
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE

    def healthy() -> bool:
        try:
            with urllib.request.urlopen(url, timeout=timeout_s, context=context) as answer:
                return bool(answer.status == 200)
        except OSError:
            return False

    def run() -> None:
        while not stop.is_set() and not healthy():
            stop.wait(0.5)
        dog.ready("serving")
        log.info("systemd notified: ready", extra={"ctx": {"watchdog_s": dog.interval_s}})
        while not stop.wait(dog.ping_interval_s):
            if healthy():
                dog.ping()
            else:
                log.warning("health check failed; not pinging the systemd watchdog", extra={"ctx": {"url": url}})

    thread = threading.Thread(target=run, name="sd-watchdog", daemon=True)
    thread.stop = stop  # type: ignore[attr-defined]
    thread.start()
    return thread
