"""SSE delivery with the in-process hall service: every subscriber gets every event in order,
heartbeats flow on an idle link, a reconnect resumes from ``Last-Event-ID`` (from the ring and
from the store), and ``follow_events`` survives a restart of the service."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import requests

from queueing.client import HallClient
from queueing.embedded import start_hall_service


def _collect(client: HallClient, n: int, out: list, ready: threading.Event, last: int | None = None) -> None:
    stream = client.events(last_event_id=last, read_timeout=10)
    ready.set()
    for ev in stream:
        out.append(ev)
        if len(out) >= n:
            stream.close()
            return


def test_every_subscriber_gets_every_event_in_order(tmp_path: Path) -> None:
    with start_hall_service(tmp_path / "h", heartbeat=5) as hall:
        subs = [HallClient(hall.base_url, hall.token("display")) for _ in range(5)]
        outs: list[list] = [[] for _ in subs]
        readies = [threading.Event() for _ in subs]
        # subscribing from the last id seen (here 0, from /health) means a subscriber whose GET
        # arrives after the first events still gets them, replayed
        last = subs[0].health()["last_event_id"]
        threads = [
            threading.Thread(target=_collect, args=(c, 12, o, r, last))
            for c, o, r in zip(subs, outs, readies, strict=True)
        ]
        for t in threads:
            t.start()
        kiosk = HallClient(hall.base_url, hall.token("kiosk"))
        counter = HallClient(hall.base_url, hall.token("counter"))

        def issue_many() -> None:
            for _ in range(4):
                kiosk.issue_ticket("S0101")

        def work(cid: str) -> None:
            for _ in range(2):
                while counter.call_next(cid) is None:
                    time.sleep(0.01)
                counter.finish(cid)

        ops = [
            threading.Thread(target=issue_many),
            threading.Thread(target=work, args=("W01",)),
            threading.Thread(target=work, args=("W02",)),
        ]
        for t in ops:
            t.start()
        for t in ops + threads:
            t.join(20)
        reference = [(e.id, e.kind) for e in outs[0]]
        assert len(reference) == 12
        ids = [i for i, _k in reference]
        assert ids == list(range(ids[0], ids[0] + 12))  # gap-free, in log order
        assert sorted(k for _i, k in reference) == sorted(["issue"] * 4 + ["call"] * 4 + ["finish"] * 4)
        for o in outs[1:]:
            assert [(e.id, e.kind) for e in o] == reference


def test_heartbeat_on_an_idle_link(tmp_path: Path) -> None:
    with start_hall_service(tmp_path / "h", heartbeat=0.2) as hall:
        url = f"{hall.base_url}/api/v1/events?token={hall.token('display')}"
        seen = 0
        with requests.get(url, stream=True, timeout=(5, 5)) as r:
            for line in r.iter_lines(decode_unicode=True):
                if line == ": heartbeat":
                    seen += 1
                    if seen == 2:
                        break
        assert seen == 2


def test_replay_from_the_store_after_restart(tmp_path: Path) -> None:
    with start_hall_service(tmp_path / "h") as hall:
        kiosk = HallClient(hall.base_url, hall.token("kiosk"))
        numbers = [kiosk.issue_ticket("S0101")["ticket"]["number"] for _ in range(5)]
    with start_hall_service(tmp_path / "h") as hall:  # new process state: the ring is empty
        out: list = []
        _collect(HallClient(hall.base_url, hall.token("display")), 3, out, threading.Event(), last=2)
        assert [(e.id, e.data["ticket"]["number"]) for e in out] == [
            (3, numbers[2]),
            (4, numbers[3]),
            (5, numbers[4]),
        ]


def test_follow_events_reconnects_and_misses_nothing(tmp_path: Path) -> None:
    hall = start_hall_service(tmp_path / "h", heartbeat=0.5)
    port = int(hall.base_url.rsplit(":", 1)[1])
    display = HallClient(hall.base_url, hall.token("display"), timeout=2)
    kiosk = HallClient(hall.base_url, hall.token("kiosk"))
    got: list = []
    stop = threading.Event()

    def follow() -> None:
        for ev in display.follow_events(stop=stop, last_event_id=0, retry_max=0.5):
            got.append(ev)
            if len(got) >= 4:
                stop.set()

    th = threading.Thread(target=follow)
    th.start()
    deadline = time.monotonic() + 10
    kiosk.issue_ticket("S0101")
    while len(got) < 1 and time.monotonic() < deadline:
        time.sleep(0.02)
    hall.stop()
    # while the link is down nothing can be delivered; the service comes back on the same port
    hall = start_hall_service(tmp_path / "h", port=port, heartbeat=0.5)
    try:
        for _ in range(3):
            kiosk.issue_ticket("S0101")
        th.join(20)
        assert [e.id for e in got] == [1, 2, 3, 4]
    finally:
        stop.set()
        hall.stop()
