"""Finding 3 of issue 14 (and the public-route items of 9): the hall service fell over without a
login. Each test is an attacker with raw sockets against a real ``main.py hall-server`` process:
idle and half-sent connections, more connections than the service takes, a 1 GB chunked body,
a flood of phone-page requests, a forged ``Host`` on a redirect, the API docs without a token."""

from __future__ import annotations

import contextlib
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from hall_process import HallProcess


@pytest.fixture
def hall(tmp_path: Path) -> Iterator[HallProcess]:
    with HallProcess(tmp_path / "hall") as h:
        yield h


def _closed_by_server(s: socket.socket, within: float) -> float | None:
    """Seconds until the server closed ``s`` (EOF or reset), or None if it stayed open."""
    start = time.monotonic()
    s.settimeout(within)
    try:
        while True:
            if s.recv(4096) == b"":
                return time.monotonic() - start
    except (ConnectionResetError, BrokenPipeError):
        return time.monotonic() - start
    except TimeoutError:
        return None


def test_a_connection_without_a_complete_head_is_closed_after_10_s(hall: HallProcess) -> None:
    silent = socket.create_connection(("127.0.0.1", hall.port))
    partial = socket.create_connection(("127.0.0.1", hall.port))
    partial.sendall(b"GET /api/v1/health HTTP/1.1\r\nHost: x\r\n")  # a slow loris: never ends the head
    t0 = time.monotonic()
    with silent, partial:
        assert _closed_by_server(silent, 14) is not None
        assert _closed_by_server(partial, 14 - (time.monotonic() - t0)) is not None
    assert 8 < time.monotonic() - t0 < 14


def test_a_request_head_over_16_kib_is_cut_off_at_once(hall: HallProcess) -> None:
    """Headers trickled in quickly but never ending: cut at 16 KiB, not after the head timeout,
    and the service still answers."""
    s = socket.create_connection(("127.0.0.1", hall.port))
    with s:
        s.sendall(b"GET /api/v1/health HTTP/1.1\r\nHost: x\r\n")
        with contextlib.suppress(ConnectionResetError, BrokenPipeError):
            for i in range(40):  # 40 x 1 KiB headers, the head never ends
                s.sendall(b"X-Pad-%d: " % i + b"a" * 1000 + b"\r\n")
        closed = _closed_by_server(s, 5)
    assert closed is not None and closed < 5
    assert requests.get(hall.base_url + "/api/v1/health", timeout=5).status_code == 200


def test_1100_idle_connections_do_not_make_it_unreachable(tmp_path: Path) -> None:
    # systemd's default LimitNOFILE soft limit, where the finding reproduced
    with HallProcess(tmp_path / "hall", nofile=1024) as hall:
        idle: list[socket.socket] = []
        try:
            for _ in range(1100):
                s = socket.socket()
                s.setblocking(False)
                with contextlib.suppress(BlockingIOError):
                    s.connect(("127.0.0.1", hall.port))
                idle.append(s)
            time.sleep(0.5)
            t0 = time.monotonic()
            r = requests.get(hall.base_url + "/api/v1/health", timeout=4)
            assert r.status_code == 200 and time.monotonic() - t0 < 4
        finally:
            for s in idle:
                s.close()
        assert hall.proc is not None and hall.proc.poll() is None


def test_more_busy_connections_than_the_cap_get_a_clean_503(tmp_path: Path) -> None:
    with HallProcess(tmp_path / "hall", "--max-connections", "20") as hall:
        streams = []
        try:
            for _ in range(20):  # twenty displays holding an event stream each
                s = socket.create_connection(("127.0.0.1", hall.port), timeout=5)
                s.sendall(f"GET /api/v1/events HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {hall.token('display')}"
                          "\r\n\r\n".encode())
                assert s.recv(64).startswith(b"HTTP/1.1 200")
                streams.append(s)
            r = requests.get(hall.base_url + "/api/v1/health", timeout=5)
            assert r.status_code == 503
            assert r.headers.get("Retry-After")
        finally:
            for s in streams:
                s.close()
        time.sleep(0.5)
        assert requests.get(hall.base_url + "/api/v1/health", timeout=5).status_code == 200


def _chunked_flood(hall: HallProcess, path: str, limit_mb: int = 50) -> bytes:
    """POST up to 1 GB chunked to ``path`` without a token; stop early (and fail) if the server's
    RSS grows past ``limit_mb``. Returns what the server answered."""
    base = hall.rss_kb()
    chunk = b"a" * 65536
    frame = f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n"
    s = socket.create_connection(("127.0.0.1", hall.port), timeout=10)
    answer = b""
    with s:
        s.sendall(f"POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                  "Transfer-Encoding: chunked\r\n\r\n".encode())
        sent = 0
        try:
            while sent < 1 << 30:
                s.sendall(frame)
                sent += len(chunk)
                if sent % (8 << 20) == 0:
                    assert hall.rss_kb() - base < limit_mb * 1024, f"RSS grew by {(hall.rss_kb() - base) // 1024} MB"
        except (BrokenPipeError, ConnectionResetError):
            pass
        with contextlib.suppress(OSError):
            answer = s.recv(4096)
    assert hall.rss_kb() - base < limit_mb * 1024
    assert sent < 64 << 20, f"the server read {sent >> 20} MB before refusing"
    return answer


@pytest.mark.parametrize("path", ["/api/v1/tickets", "/t/abcdefabcdefabcdefabcdef/rate"])
def test_a_1gb_chunked_post_is_refused_early(hall: HallProcess, path: str) -> None:
    answer = _chunked_flood(hall, path)
    assert answer.startswith(b"HTTP/1.1 413"), answer[:120]
    assert requests.get(hall.base_url + "/api/v1/health", timeout=5).status_code == 200


def test_a_declared_huge_body_is_refused_before_it_is_sent(hall: HallProcess) -> None:
    with socket.create_connection(("127.0.0.1", hall.port), timeout=5) as s:
        s.sendall(b"POST /api/v1/tickets HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                  b"Content-Length: 2000000000\r\n\r\n{")
        assert s.recv(4096).startswith(b"HTTP/1.1 413")


def test_phone_routes_are_rate_limited_per_client(tmp_path: Path) -> None:
    with HallProcess(tmp_path / "hall", "--public-rate", "2", "--public-burst", "10") as hall:
        codes = [requests.get(hall.base_url + "/g/S0201", timeout=5) for _ in range(30)]
        limited = [r for r in codes if r.status_code == 429]
        assert codes[0].status_code == 200 and limited
        wait = int(limited[0].headers["Retry-After"])
        assert 1 <= wait <= 60
        # the staff API is not the public route: the kiosk keeps working
        kiosk = {"Authorization": f"Bearer {hall.token('kiosk')}"}
        assert requests.get(hall.base_url + "/api/v1/services", headers=kiosk, timeout=5).status_code == 200
        time.sleep(wait)
        assert requests.get(hall.base_url + "/g/S0201", timeout=5).status_code == 200


def test_trailing_slash_redirect_ignores_the_host_header(hall: HallProcess) -> None:
    r = requests.get(hall.base_url + "/t/abcdefabcdefabcdefabcdef/", headers={"Host": "evil.example"},
                     allow_redirects=False, timeout=5)
    assert r.status_code in (301, 307, 308)
    assert "evil" not in r.headers["Location"]
    assert r.headers["Location"] == "/t/abcdefabcdefabcdefabcdef"


def test_api_docs_only_for_admin(hall: HallProcess) -> None:
    for path in ("/docs", "/redoc"):
        assert requests.get(hall.base_url + path, timeout=5).status_code == 401
        kiosk = {"Authorization": f"Bearer {hall.token('kiosk')}"}
        assert requests.get(hall.base_url + path, headers=kiosk, timeout=5).status_code == 403
        admin = {"Authorization": f"Bearer {hall.token('admin')}"}
        r = requests.get(hall.base_url + path, headers=admin, timeout=5)
        assert r.status_code == 200 and "text/html" in r.headers["Content-Type"]
