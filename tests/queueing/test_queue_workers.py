"""``hall-server --workers 2``: two worker processes on one hall (issue 16). Displays subscribe to
the event stream on both workers (the test holds streams open until each worker serves some, as
read from /proc: which process owns the server side of each connection), counters and kiosks
work through both, and every subscriber gets every event — the last one included — gap-free
and in log order; no ticket is pulled twice and no number is issued twice."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

from hall_process import HallProcess

from queueing.client import Event, HallClient, HallUnavailable

COUNTERS = ("W01", "W02", "W03", "W04")
TICKETS = 24


def children(pid: int) -> list[int]:
    out = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            if int(stat[stat.rindex(")") + 2 :].split()[1]) == pid:
                out.append(int(entry))
    return out


def connections_per_worker(workers: list[int], port: int) -> dict[int, int]:
    """Established connections to ``port`` whose server side each worker holds."""
    inodes: dict[str, int] = {}
    for name in ("tcp", "tcp6"):
        for line in Path(f"/proc/net/{name}").read_text().splitlines()[1:]:
            f = line.split()
            if int(f[1].rsplit(":", 1)[1], 16) == port and f[3] == "01":  # local port, ESTABLISHED
                inodes[f[9]] = 0
    counts = dict.fromkeys(workers, 0)
    for pid in workers:
        for fd in os.listdir(f"/proc/{pid}/fd"):
            try:
                target = os.readlink(f"/proc/{pid}/fd/{fd}")
            except OSError:
                continue
            if target.startswith("socket:[") and target[8:-1] in inodes:
                counts[pid] += 1
    return counts


def test_two_workers_deliver_every_event_to_every_subscriber(tmp_path: Path) -> None:
    with HallProcess(tmp_path / "hall", "--workers", "2", "--heartbeat", "1") as hall:
        assert hall.proc is not None
        deadline = time.monotonic() + 20
        while len(workers := children(hall.proc.pid)) < 2 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert len(workers) == 2, hall.output()
        display = HallClient(hall.base_url, hall.token("display"))
        start = display.health()["last_event_id"]
        expected = TICKETS * 3  # issue, call, finish
        streams: list[list[Event]] = []
        lost: list[BaseException] = []

        def subscribe(out: list[Event], ready: threading.Event) -> None:
            client = HallClient(hall.base_url, hall.token("display"))
            try:
                events = client.events(last_event_id=start, read_timeout=10)
                ready.set()
                for ev in events:
                    if ev.id is not None and ev.kind not in ("heartbeat",):
                        out.append(ev)
                    if len(out) >= expected:
                        return
            except HallUnavailable as exc:
                lost.append(exc)
            finally:
                ready.set()

        threads = []
        while True:  # streams until both workers serve some
            out: list[Event] = []
            ready = threading.Event()
            th = threading.Thread(target=subscribe, args=(out, ready), daemon=True)
            th.start()
            assert ready.wait(10)
            streams.append(out)
            threads.append(th)
            time.sleep(0.05)
            served = connections_per_worker(workers, hall.port)
            if len(streams) >= 4 and all(served.values()):
                break
            assert len(streams) < 40, f"the kernel gave every stream to one worker: {served}"

        kiosk_numbers: list[str] = []
        pulled: list[str] = []
        lock = threading.Lock()

        def kiosk() -> None:
            client = HallClient(hall.base_url, hall.token("kiosk"))
            for _ in range(TICKETS // 2):
                number = client.issue_ticket("S0101")["ticket"]["number"]
                with lock:
                    kiosk_numbers.append(number)

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
        for th in work:
            th.start()
        for th in work + threads:
            th.join(60)

        assert not lost, lost
        assert len(kiosk_numbers) == TICKETS and len(set(kiosk_numbers)) == TICKETS
        assert len(pulled) == TICKETS and len(set(pulled)) == TICKETS
        reference = [(e.id, e.kind) for e in streams[0]]
        ids = [i for i, _k in reference]
        assert ids == list(range(start + 1, start + expected + 1)), "gap-free, in log order"
        for out in streams[1:]:
            assert [(e.id, e.kind) for e in out] == reference
