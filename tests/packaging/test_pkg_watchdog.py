"""kiosk/watchdog.py against a real notify socket (what systemd listens on) and a real HTTP
health endpoint, and a real Qt role process pinging from its event loop."""

from __future__ import annotations

import os
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from kiosk.watchdog import Watchdog, notify, start_http_heartbeat, watchdog_interval_s


@pytest.fixture
def notify_socket(tmp_path):
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    path = tmp_path / "notify"
    sock.bind(str(path))
    sock.settimeout(10)
    yield str(path), sock
    sock.close()


def test_notify_sends_one_datagram(notify_socket) -> None:
    path, sock = notify_socket
    assert notify("READY=1", env={"NOTIFY_SOCKET": path})
    assert sock.recv(4096) == b"READY=1"
    assert not notify("READY=1", env={})  # outside systemd: nothing, no error


def test_abstract_socket_address() -> None:
    name = f"hall-kiosk-test-{os.getpid()}"
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind("\0" + name)
    sock.settimeout(10)
    try:
        assert notify("WATCHDOG=1", env={"NOTIFY_SOCKET": "@" + name})
        assert sock.recv(64) == b"WATCHDOG=1"
    finally:
        sock.close()


def test_interval_applies_only_to_the_named_process() -> None:
    assert watchdog_interval_s({"WATCHDOG_USEC": "30000000"}) == 30.0
    assert watchdog_interval_s({"WATCHDOG_USEC": "30000000", "WATCHDOG_PID": str(os.getpid())}) == 30.0
    assert watchdog_interval_s({"WATCHDOG_USEC": "30000000", "WATCHDOG_PID": "1"}) is None
    assert watchdog_interval_s({}) is None
    dog = Watchdog.from_env({"WATCHDOG_USEC": "4000000", "NOTIFY_SOCKET": "/x"})
    assert dog.enabled and dog.ping_interval_s == 2.0


def test_failed_send_is_reported_not_raised(tmp_path) -> None:
    assert not notify("READY=1", env={"NOTIFY_SOCKET": str(tmp_path / "nobody-listens")})


class _Health(BaseHTTPRequestHandler):
    healthy = True

    def do_GET(self) -> None:
        self.send_response(200 if type(self).healthy else 503)
        self.end_headers()

    def log_message(self, *args) -> None:
        pass


def test_http_heartbeat_ready_then_pings_only_while_healthy(notify_socket) -> None:
    path, sock = notify_socket
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Health)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/api/v1/health"
    env = {"NOTIFY_SOCKET": path, "WATCHDOG_USEC": "200000"}  # ping every 0.1 s
    thread = start_http_heartbeat(url, env=env)
    assert thread is not None
    try:
        assert sock.recv(4096).startswith(b"READY=1")
        assert sock.recv(4096) == b"WATCHDOG=1"
        _Health.healthy = False
        # Drain pings already on their way, then silence: a sick server gets no pings.
        sock.settimeout(1.0)
        quiet = False
        for _ in range(20):
            try:
                sock.recv(4096)
            except TimeoutError:
                quiet = True
                break
        assert quiet
        _Health.healthy = True
        sock.settimeout(10)
        assert sock.recv(4096) == b"WATCHDOG=1"
    finally:
        _Health.healthy = True
        thread.stop.set()
        server.shutdown()
        server.server_close()
    assert start_http_heartbeat(url, env={}) is None


def test_qt_role_pings_from_its_event_loop(notify_socket, tmp_path) -> None:
    """A real ``main.py kiosk`` process (offscreen, simulated devices) says READY=1 and then keeps
    pinging from its Qt event loop, long after start-up: the ping timer's connection must live."""
    import subprocess
    import sys
    import time
    from pathlib import Path

    path, sock = notify_socket
    repo = Path(__file__).resolve().parents[2]
    env = dict(os.environ, NOTIFY_SOCKET=path, WATCHDOG_USEC="400000", QT_QPA_PLATFORM="offscreen",
               QT_QUICK_BACKEND="software")  # a ping every 0.2 s
    proc = subprocess.Popen([sys.executable, str(repo / "main.py"), "kiosk", "--data-dir", str(tmp_path / "data"),
                             "--quit-after", "8"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    messages: list[tuple[float, str]] = []
    try:
        sock.settimeout(1)
        deadline = time.monotonic() + 60
        while proc.poll() is None and time.monotonic() < deadline:
            try:
                messages.append((time.monotonic(), sock.recv(4096).decode()))
            except TimeoutError:
                continue
    finally:
        proc.kill()
        proc.wait()
    ready = [t for t, m in messages if "READY=1" in m]
    pings = [t for t, m in messages if m == "WATCHDOG=1"]
    assert ready, messages
    # Pings continue to the end, seconds after READY (garbage collection has run many times).
    assert len(pings) >= 10 and pings[-1] - ready[0] > 4, (len(pings), messages[:5])
