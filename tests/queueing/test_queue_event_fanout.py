"""50 displays and rating pads on the event stream while counters work (issue 16), each a raw
socket speaking HTTP/1.1 as a device would (half authenticate with ``Authorization: Bearer``,
half with ``?token=`` as a browser's EventSource must). Every subscriber gets every event, in log
order and gap-free, as exactly the bytes of the SSE frames (``id:``/``event:``/``data:``) a
reconnect with ``Last-Event-ID`` replays; a subscriber that stops reading (its socket's buffers
full) holds up neither the counters nor the others, and what it does read later is still in order.
A wrong token is the API's 401 error shape."""

from __future__ import annotations

import json
import re
import socket
import threading
import time
from pathlib import Path

from hall_process import HallProcess

from queueing.client import HallClient

SUBSCRIBERS = 50
COUNTERS = ("W01", "W02", "W03", "W04")
TICKETS = 20
EXPECTED = TICKETS * 3  # issue, call, finish
FRAME = re.compile(rb"id: (\d+)\nevent: ([a-z_]+)\ndata: ([^\n]*)\n\n")


class RawSubscriber:
    """``GET /api/v1/events`` on a raw socket; the chunked body decoded as it arrives."""

    def __init__(self, port: int, token: str, *, query: bool, last_event_id: int | None = None,
                 rcvbuf: int | None = None) -> None:
        self.sock = socket.socket()
        if rcvbuf:
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        self.sock.connect(("127.0.0.1", port))
        self.sock.settimeout(20)
        path = f"/api/v1/events?token={token}" if query else "/api/v1/events"
        head = f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nAccept: text/event-stream\r\n"
        if not query:
            head += f"Authorization: Bearer {token}\r\n"
        if last_event_id is not None:
            head += f"Last-Event-ID: {last_event_id}\r\n"
        self.sock.sendall((head + "\r\n").encode())
        self.raw = b""
        self.status = b""
        self.headers: dict[bytes, bytes] = {}
        self.body = b""

    def _fill(self) -> None:
        data = self.sock.recv(65536)
        if not data:
            raise ConnectionError("the server closed the stream")
        self.raw += data

    def read_head(self) -> None:
        while b"\r\n\r\n" not in self.raw:
            self._fill()
        head, self.raw = self.raw.split(b"\r\n\r\n", 1)
        lines = head.split(b"\r\n")
        self.status = lines[0]
        self.headers = {k.strip().lower(): v.strip() for k, v in (ln.split(b":", 1) for ln in lines[1:])}

    def _decode(self) -> None:
        while True:
            end = self.raw.find(b"\r\n")
            if end < 0:
                return
            size = int(self.raw[:end], 16)
            if len(self.raw) < end + 2 + size + 2:
                return
            self.body += self.raw[end + 2 : end + 2 + size]
            self.raw = self.raw[end + 2 + size + 2 :]

    def frames(self) -> list[tuple[int, bytes]]:
        return [(int(m.group(1)), m.group(0)) for m in FRAME.finditer(self.body)]

    def read_until(self, last_id: int, deadline: float) -> None:
        while time.monotonic() < deadline:
            got = self.frames()
            if got and got[-1][0] >= last_id:
                return
            self._fill()
            self._decode()

    def close(self) -> None:
        self.sock.close()


def test_fifty_raw_subscribers_get_every_frame_and_a_stalled_one_slows_nobody(tmp_path: Path) -> None:
    with HallProcess(tmp_path / "hall", "--heartbeat", "1") as hall:
        display = hall.token("display")
        refused = RawSubscriber(hall.port, "not-a-token", query=True)
        refused.read_head()
        assert refused.status.startswith(b"HTTP/1.1 401")
        while len(refused.raw) < int(refused.headers[b"content-length"]):
            refused._fill()
        assert json.loads(refused.raw)["error"]["code"] == "unauthorized"
        refused.close()

        start = HallClient(hall.base_url, display).health()["last_event_id"]
        stalled = RawSubscriber(hall.port, display, query=False, rcvbuf=4096)
        stalled.read_head()  # connected, then it reads nothing while the counters work
        subs = [RawSubscriber(hall.port, display, query=bool(i % 2)) for i in range(SUBSCRIBERS)]
        for s in subs:
            s.read_head()
            assert s.status.startswith(b"HTTP/1.1 200"), s.status
            assert s.headers[b"content-type"] == b"text/event-stream; charset=utf-8"
            assert s.headers[b"cache-control"] == b"no-cache"
            assert s.headers[b"transfer-encoding"] == b"chunked"

        lock = threading.Lock()
        pulled: list[str] = []

        def kiosk() -> None:
            client = HallClient(hall.base_url, hall.token("kiosk"))
            for _ in range(TICKETS // 2):
                client.issue_ticket("S0101")

        def counter(cid: str) -> None:
            client = HallClient(hall.base_url, hall.token("counter"))
            give_up = time.monotonic() + 60
            while time.monotonic() < give_up:
                with lock:
                    if len(pulled) >= TICKETS:
                        return
                r = client.call_next(cid)
                if r is None:
                    time.sleep(0.02)
                    continue
                with lock:
                    pulled.append(r["ticket"]["id"])
                client.finish(cid)

        work = [threading.Thread(target=kiosk) for _ in range(2)]
        work += [threading.Thread(target=counter, args=(cid,)) for cid in COUNTERS]
        began = time.monotonic()
        for th in work:
            th.start()
        last = start + EXPECTED
        readers = [threading.Thread(target=s.read_until, args=(last, time.monotonic() + 60)) for s in subs]
        for th in readers:
            th.start()
        for th in work + readers:
            th.join(70)
        took = time.monotonic() - began
        assert len(pulled) == TICKETS and len(set(pulled)) == TICKETS
        assert took < 30, f"the counters took {took:.1f} s"

        reference = subs[0].frames()
        assert [i for i, _ in reference] == list(range(start + 1, last + 1)), "gap-free, in log order"
        for _seq, frame in reference:
            kind, data = FRAME.fullmatch(frame).group(2, 3)  # type: ignore[union-attr]
            assert kind, frame
            json.loads(data)
        for s in subs:
            assert s.body.startswith(b"retry: 2000\n: connected\n\n")
            assert s.frames() == reference, "every subscriber: the same frames, byte for byte"
            leftover = FRAME.sub(b"", s.body).replace(b": heartbeat\n\n", b"")
            assert leftover == b"retry: 2000\n: connected\n\n", leftover[:200]

        # the stalled one, reading now, gets what it was sent in order (the rest stays buffered)
        stalled.read_until(last, time.monotonic() + 20)
        assert stalled.frames() == reference

        # a display that reconnects with its Last-Event-ID is replayed what it missed, same bytes
        middle = start + EXPECTED // 2
        again = RawSubscriber(hall.port, display, query=True, last_event_id=middle)
        again.read_head()
        again.read_until(last, time.monotonic() + 20)
        assert again.frames() == [f for f in reference if f[0] > middle]
        for s in [*subs, stalled, again]:
            s.close()
