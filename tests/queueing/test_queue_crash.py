"""``kill -9`` of the hall-server process in the middle of load, then a restart on the same data:
every answer a client got is in the store, no number is repeated, numbering continues."""

from __future__ import annotations

import sqlite3
import threading
import time

from queue_helpers import ServerProcess, load_test_hall_toml

from queueing.client import HallClient, HallServiceError


def test_kill_9_mid_load_loses_and_repeats_nothing(tmp_path) -> None:
    data = tmp_path / "hall"
    data.mkdir()
    (data / "hall.toml").write_text(load_test_hall_toml(), encoding="utf-8")
    srv = ServerProcess(data).start()
    issued: list[dict] = []  # tickets whose 201 reached the client
    called: list[str] = []  # ticket ids whose call reached the client
    stop = threading.Event()
    lock = threading.Lock()

    def kiosk() -> None:
        c = HallClient(srv.base_url, srv.token("kiosk"), timeout=3)
        while not stop.is_set():
            try:
                t = c.issue_ticket("S0401")["ticket"]
            except HallServiceError:
                return  # the server died
            with lock:
                issued.append(t)

    def counter(cid: str) -> None:
        c = HallClient(srv.base_url, srv.token("counter"), timeout=3)
        while not stop.is_set():
            try:
                r = c.call_next(cid)
                if r is None:
                    continue
                with lock:
                    called.append(r["ticket"]["id"])
                c.finish(cid)
            except HallServiceError:
                return

    workers = [threading.Thread(target=kiosk) for _ in range(4)]
    workers += [threading.Thread(target=counter, args=(f"W0{i}",)) for i in range(1, 4)]
    for w in workers:
        w.start()
    deadline = time.monotonic() + 30
    while len(issued) < 150 and time.monotonic() < deadline:
        time.sleep(0.02)
    srv.kill9()  # mid-load: requests are in flight
    stop.set()
    for w in workers:
        w.join(15)
    assert len(issued) >= 150

    con = sqlite3.connect(data / "queue.db")
    assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    rows = dict(con.execute("SELECT id, number FROM tickets"))
    statuses = dict(con.execute("SELECT id, status FROM tickets"))
    con.close()
    for t in issued:  # nothing acknowledged is lost
        assert rows.get(t["id"]) == t["number"]
    for tid in called:
        assert statuses[tid] in ("called", "done")
    numbers = list(rows.values())
    assert len(numbers) == len(set(numbers))  # nothing repeated

    srv2 = ServerProcess(data).start()
    try:
        c = HallClient(srv2.base_url, srv2.token("kiosk"))
        nxt = c.issue_ticket("S0401")["ticket"]["number"]
        assert nxt not in numbers and int(nxt[1:]) == max(int(n[1:]) for n in numbers) + 1
        for t in issued[-5:]:
            assert c.ticket(t["id"])["ticket"]["number"] == t["number"]
    finally:
        srv2.stop()
        srv.stop()
