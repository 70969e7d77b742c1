"""``HallClient`` and the hall's keep-alive: a pooled connection is never reused once the hall may
be closing it, a GET whose reused connection the hall closed before answering is asked once more,
and nothing that changes the hall (POST, PUT, DELETE) is ever sent twice.

The other side is a real program on loopback: ``RawHall``, an HTTP/1.1 server on a raw socket
that answers, closes or resets each request as its test says and records every request head it
read (the connection it came on, method, path, headers), and once the real hall-server process.
Every wait is bounded and short; the whole file takes a few seconds."""

from __future__ import annotations

import json
import socket
import struct
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import pytest

from queueing.client import POOL_IDLE_S, HallClient, HallServiceError, HallUnavailable
from queueing.server import HEAD_TIMEOUT_S, KEEP_ALIVE_S

# What RawHall does with a request, chosen by (connection number, request number on it):
# "answer" 200 + JSON, "fin" close without answering, "rst" reset without answering, "silent"
# never answer, "busy" 503 + Retry-After, "stream" an event stream of one event, then a reset.
Script = Callable[[int, int], str]


@dataclass
class Seen:
    conn: int
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class RawHall:
    script: Script
    keep_alive: float = 2.0  # the raw hall closes a connection idle this long
    seen: list[Seen] = field(default_factory=list)
    accepted: int = 0
    closed_by_client: set[int] = field(default_factory=set)

    def __post_init__(self) -> None:
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.listener.settimeout(0.05)
        self.base_url = f"http://127.0.0.1:{self.listener.getsockname()[1]}"
        self.lock = threading.Lock()
        self.stop = threading.Event()
        self.socks: list[socket.socket] = []
        self.threads = [threading.Thread(target=self._accept, daemon=True)]
        self.threads[0].start()

    def close(self) -> None:
        self.stop.set()
        with self.lock:
            for sock in self.socks:  # wakes the handlers that wait for a next request
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass  # closed already
        for t in list(self.threads):
            t.join(timeout=3)
        self.listener.close()

    def _accept(self) -> None:
        while not self.stop.is_set():
            try:
                sock, _ = self.listener.accept()
            except TimeoutError:
                continue
            with self.lock:
                self.accepted += 1
                n = self.accepted
                self.socks.append(sock)
            t = threading.Thread(target=self._serve, args=(sock, n), daemon=True)
            self.threads.append(t)
            t.start()

    def _serve(self, sock: socket.socket, conn: int) -> None:
        buf = b""
        with sock:
            for nth in range(1, 51):  # at most 50 requests on one connection
                head, buf = self._read_head(sock, conn, buf)
                if head is None:
                    return
                lines = head.decode("latin-1").split("\r\n")
                method, path, _ = lines[0].split(" ", 2)
                headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])}
                length = int(headers.get("content-length", "0"))
                while len(buf) < length:
                    chunk = sock.recv(65536)
                    if not chunk:
                        return
                    buf += chunk
                body, buf = buf[:length], buf[length:]
                with self.lock:
                    self.seen.append(Seen(conn, method, path, headers, body))
                if not self._act(sock, self.script(conn, nth)):
                    return

    def _read_head(self, sock: socket.socket, conn: int, buf: bytes) -> tuple[bytes | None, bytes]:
        sock.settimeout(self.keep_alive)
        while b"\r\n\r\n" not in buf:
            try:
                chunk = sock.recv(65536)
            except TimeoutError:
                return None, buf  # idle too long: the raw hall closes it, as uvicorn does
            if not chunk:
                with self.lock:
                    self.closed_by_client.add(conn)
                return None, buf
            buf += chunk
        head, _, rest = buf.partition(b"\r\n\r\n")
        return head, rest

    def _act(self, sock: socket.socket, action: str) -> bool:
        """Do ``action``; False when the connection is done."""
        if action == "answer":
            sock.sendall(_answer(200, {"ok": True, "ticket": {"id": "T1"}, "new": True}))
            return True
        if action == "busy":
            sock.sendall(_answer(503, {"error": {"code": "busy", "message": "try later"}}, "Retry-After: 1\r\n"))
            return True
        if action == "stream":
            sock.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n")
            event = b'id: 7\nevent: call\ndata: {"n": 1}\n\n'
            sock.sendall(b"%x\r\n%s\r\n" % (len(event), event))
            time.sleep(0.05)
            action = "rst"
        if action == "rst":
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        if action == "silent":
            sock.settimeout(0.05)
            for _ in range(100):  # until the client gives up (at most 5 s)
                try:
                    if not sock.recv(65536):
                        break
                except TimeoutError:
                    continue
        return False  # "fin", "rst", "silent": closed without an answer

    def wait_closed_by_client(self, conn: int) -> bool:
        for _ in range(100):
            with self.lock:
                if conn in self.closed_by_client:
                    return True
            time.sleep(0.01)
        return False

    def methods(self) -> list[tuple[int, str]]:
        with self.lock:
            return [(s.conn, s.method) for s in self.seen]


def _answer(status: int, body: dict[str, object], more: str = "") -> bytes:
    data = json.dumps(body).encode()
    reason = {200: "OK", 503: "Service Unavailable"}[status]
    return (f"HTTP/1.1 {status} {reason}\r\nContent-Type: application/json\r\nContent-Length: {len(data)}\r\n"
            f"{more}\r\n").encode() + data


@pytest.fixture
def raw_hall() -> Iterator[Callable[..., RawHall]]:
    halls: list[RawHall] = []

    def make(script: Script, **kwargs: float) -> RawHall:
        halls.append(RawHall(script, **kwargs))
        return halls[-1]

    yield make
    for h in halls:
        h.close()


def _second_fails(action: str) -> Script:
    """The first request on the first connection is answered, the second one gets ``action``;
    everything later is answered."""
    return lambda conn, nth: action if (conn, nth) == (1, 2) else "answer"


def test_the_client_idle_limit_stays_below_the_halls_keep_alive() -> None:
    assert POOL_IDLE_S <= KEEP_ALIVE_S / 2 < HEAD_TIMEOUT_S
    assert HallClient("http://127.0.0.1:1", "t").pool_idle_s == POOL_IDLE_S


def test_a_pool_idle_past_the_limit_is_closed_and_the_next_request_opens_a_fresh_connection(raw_hall) -> None:
    hall = raw_hall(lambda conn, nth: "answer", keep_alive=3.0)
    client = HallClient(hall.base_url, "token")
    client.pool_idle_s = 0.2
    client.health()
    client.health()  # within the limit: the same connection
    assert hall.accepted == 1
    time.sleep(0.3)  # past the client's limit, well within the raw hall's keep-alive
    assert client.issue_ticket("S1") == {"ok": True, "ticket": {"id": "T1"}, "new": True}
    assert hall.accepted == 2
    assert hall.wait_closed_by_client(1)  # the client closed the idle one, the hall did not
    assert hall.methods() == [(1, "GET"), (1, "GET"), (2, "POST")]
    client.health()  # the session is still usable after its pool was dropped, and pools again
    assert hall.methods()[-1] == (2, "GET") and hall.accepted == 2


@pytest.mark.parametrize("action", ["fin", "rst"])
def test_a_get_on_a_connection_the_hall_dropped_unseen_is_asked_once_more(raw_hall, action: str) -> None:
    hall = raw_hall(_second_fails(action))
    client = HallClient(hall.base_url, "token")
    client.health()
    assert client.display() == {"ok": True, "ticket": {"id": "T1"}, "new": True}
    assert hall.methods() == [(1, "GET"), (1, "GET"), (2, "GET")]
    assert [s.path for s in hall.seen] == ["/api/v1/health", "/api/v1/display", "/api/v1/display"]


@pytest.mark.parametrize("action", ["fin", "rst"])
@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE"])
def test_a_change_on_a_connection_the_hall_dropped_unseen_is_sent_once_and_said_unavailable(
        raw_hall, action: str, method: str) -> None:
    hall = raw_hall(_second_fails(action))
    client = HallClient(hall.base_url, "token")
    client.health()
    change = {"POST": lambda: client.issue_ticket("S1"), "PUT": lambda: client.link_receipt("L1", "R1"),
              "DELETE": lambda: client.withdraw_notice(3)}[method]
    with pytest.raises(HallUnavailable):
        change()
    assert hall.methods() == [(1, "GET"), (1, method)]  # once, and no new connection for it
    assert hall.accepted == 1
    client.health()  # the next request finds the hall again
    assert hall.methods()[-1] == (2, "GET")


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_a_request_the_hall_does_not_answer_in_time_is_not_sent_again(raw_hall, method: str) -> None:
    hall = raw_hall(_second_fails("silent"))
    client = HallClient(hall.base_url, "token", timeout=0.3)
    client.health()
    started = time.monotonic()
    with pytest.raises(HallUnavailable):
        client.display() if method == "GET" else client.issue_ticket("S1")
    assert time.monotonic() - started < 1.5  # one timeout, not two
    assert hall.methods() == [(1, "GET"), (1, method)]


def test_a_busy_answer_with_retry_after_is_the_callers_to_see(raw_hall) -> None:
    hall = raw_hall(lambda conn, nth: "busy")
    client = HallClient(hall.base_url, "token")
    started = time.monotonic()
    with pytest.raises(HallServiceError) as err:
        client.health()
    assert err.value.status == 503 and time.monotonic() - started < 0.9  # not asked again after 1 s
    assert hall.methods() == [(1, "GET")]


def test_an_event_stream_lost_midway_surfaces_and_follow_events_resumes(raw_hall) -> None:
    hall = raw_hall(lambda conn, nth: "stream")
    client = HallClient(hall.base_url, "token")
    got = []
    with pytest.raises(HallUnavailable, match="event stream lost"):
        for ev in client.events(last_event_id=3):
            got.append((ev.id, ev.kind, ev.data))
    assert got == [(7, "call", {"n": 1})]
    assert hall.methods() == [(1, "GET")]  # the stream's loss was not retried underneath

    stop = threading.Event()
    resumed = []
    for ev in client.follow_events(stop=stop, last_event_id=3):
        resumed.append(ev.id)
        if len(resumed) == 2:
            stop.set()
    assert resumed == [7, 7]
    assert [(s.conn, s.headers.get("last-event-id")) for s in hall.seen] == [(1, "3"), (2, "3"), (3, "7")]


def test_the_real_hall_serves_a_client_that_drops_its_pool_before_every_request(server) -> None:
    kiosk = HallClient(server.base_url, server.token("kiosk"))
    kiosk.pool_idle_s = 0.0  # every request on a fresh connection: the session survives each drop
    numbers = []
    for _ in range(3):
        ticket = kiosk.issue_ticket("S0101")["ticket"]
        assert kiosk.ticket(ticket["id"])["ticket"]["number"] == ticket["number"]
        numbers.append(ticket["number"])
    assert len(set(numbers)) == 3  # each POST issued exactly one ticket
    assert kiosk.health()
