"""Group commit on the engine thread (issue 16, queueing/committer.py), as the hall's devices see
it: a real ``hall-server`` process, kiosks and counters on their own connections doing whole life
cycles at once while one counter keeps pressing 完成 with no ticket. The refused presses get their
409 ``no_current_ticket`` and nothing else changes; every other operation succeeds; no number or
pull is doubled; a display's event stream has every committed change exactly once, in log order,
and nothing of a refused press; the server's own summary (logged at shutdown) shows operations
did share commits. Then ``kill -9`` under the same load: every answered operation is in the store
after the restart. On both stores (SQLite's file and a real PostgreSQL)."""

from __future__ import annotations

import re
import resource
import sqlite3
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import requests
from hall_process import HallProcess
from queue_helpers import ServerProcess, StoreChoice, load_test_hall_toml

from queueing.client import Event, HallClient, HallServiceError, HallUnavailable

pytestmark = pytest.mark.usefixtures("store")

KIOSKS = 4
PER_KIOSK = 30
COUNTERS = ("W01", "W02", "W03", "W04")
IDLE = "W08"  # nobody calls here: its 完成 is refused every time
SERVICE = "S0401"
SUMMARY = re.compile(r"engine thread: (\d+) calls, (\d+) of them in (\d+) group commits \(largest (\d+)")


def hall(tmp_path: Path) -> HallProcess:
    data = tmp_path / "hall"
    data.mkdir()
    (data / "hall.toml").write_text(load_test_hall_toml(), encoding="utf-8")
    url = StoreChoice.url_for(data)
    return HallProcess(data, "--heartbeat", "1", *(("--store", url) if url else ()))


class Load:
    """Kiosks issuing, counters calling/starting/finishing, one counter refused over and over;
    what each got back is kept, as its device would know it."""

    def __init__(self, srv: HallProcess) -> None:
        self.srv = srv
        self.issued: list[dict[str, Any]] = []
        self.called: list[str] = []
        self.started: list[str] = []
        self.finished: list[str] = []
        self.refused: list[str] = []  # the codes of the idle counter's refusals
        self.other_errors: list[BaseException] = []
        self.lock = threading.Lock()
        self.stop = threading.Event()

    def kiosk(self) -> None:
        c = HallClient(self.srv.base_url, self.srv.token("kiosk"), timeout=5)
        for _ in range(PER_KIOSK):
            if self.stop.is_set():
                return
            try:
                t = c.issue_ticket(SERVICE)["ticket"]
            except HallUnavailable:
                return
            with self.lock:
                self.issued.append(t)

    def counter(self, cid: str, total: int) -> None:
        c = HallClient(self.srv.base_url, self.srv.token("counter"), timeout=5)
        give_up = time.monotonic() + 60
        while not self.stop.is_set() and time.monotonic() < give_up:
            with self.lock:
                if len(self.called) >= total:
                    return
            try:
                r = c.call_next(cid)
                if r is None:
                    time.sleep(0.005)
                    continue
                tid = r["ticket"]["id"]
                with self.lock:
                    self.called.append(tid)
                c.start(cid)
                with self.lock:
                    self.started.append(tid)
                c.finish(cid)
                with self.lock:
                    self.finished.append(tid)
            except HallUnavailable:
                return
            except HallServiceError as exc:
                self.other_errors.append(exc)
                return

    def refuser(self) -> None:
        c = HallClient(self.srv.base_url, self.srv.token("counter"), timeout=5)
        while not self.stop.is_set():
            try:
                c.finish(IDLE)
            except HallUnavailable:
                return
            except HallServiceError as exc:
                with self.lock:
                    self.refused.append(f"{exc.status} {exc.code}")
                continue
            self.other_errors.append(AssertionError("a finish with no ticket was answered 200"))

    def run(self, until: threading.Event | None = None) -> list[threading.Thread]:
        total = KIOSKS * PER_KIOSK
        threads = [threading.Thread(target=self.kiosk) for _ in range(KIOSKS)]
        threads += [threading.Thread(target=self.counter, args=(cid, total)) for cid in COUNTERS]
        threads += [threading.Thread(target=self.refuser) for _ in range(2)]
        for th in threads:
            th.start()
        return threads


def test_refusals_inside_groups_touch_nothing_else_and_every_event_arrives_once(tmp_path: Path) -> None:
    srv = hall(tmp_path).start()
    try:
        display = HallClient(srv.base_url, srv.token("display"))
        start = display.health()["last_event_id"]
        total = KIOSKS * PER_KIOSK
        expected = total * 4  # issue, call, start, finish
        seen: list[Event] = []
        ready = threading.Event()

        def subscribe() -> None:
            try:
                stream = display.events(last_event_id=start, read_timeout=10)
                ready.set()
                for ev in stream:
                    if ev.id is not None and ev.kind != "heartbeat":
                        seen.append(ev)
                    if len(seen) >= expected:
                        return
            finally:
                ready.set()

        sub = threading.Thread(target=subscribe, daemon=True)
        sub.start()
        assert ready.wait(10)
        load = Load(srv)
        threads = load.run()
        for th in threads[:-2]:
            th.join(90)
        load.stop.set()
        for th in threads[-2:]:
            th.join(15)
        sub.join(30)

        assert not load.other_errors, load.other_errors[:3]
        assert len(load.issued) == total and len({t["number"] for t in load.issued}) == total
        assert len(load.called) == total and len(set(load.called)) == total  # no pull twice
        assert sorted(load.finished) == sorted(load.called) == sorted(t["id"] for t in load.issued)
        assert load.refused and set(load.refused) == {"409 no_current_ticket"}

        ids = [e.id for e in seen]
        assert ids == list(range(start + 1, start + expected + 1)), "every change once, gap-free, in seq order"
        kinds = Counter(e.kind for e in seen)
        assert kinds == {"issue": total, "call": total, "start": total, "finish": total}
        assert all(e.data.get("counter_id") != IDLE for e in seen)  # nothing of a refused press
        per_ticket = Counter((e.kind, e.data["ticket"]["id"]) for e in seen)
        assert set(per_ticket.values()) == {1}
    finally:
        srv.stop()
    summary = SUMMARY.search(srv.output())
    assert summary, srv.output()[-2000:]
    _calls, grouped, groups, largest = map(int, summary.groups())
    assert groups > 0 and largest > 1 and grouped > groups, summary.group(0)  # commits were shared


def test_kill_9_under_group_commit_loses_nothing_answered(tmp_path: Path, store: str) -> None:
    srv = hall(tmp_path).start()
    load = Load(srv)
    threads = load.run()
    deadline = time.monotonic() + 30
    while len(load.finished) < 60 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert srv.proc is not None
    srv.proc.kill()  # kill -9 mid-load: requests are in flight, a group may be half done
    srv.proc.wait(10)
    load.stop.set()
    for th in threads:
        th.join(15)
    assert "group commit" in srv.output(), "operations shared a commit before the kill"
    assert len(load.finished) >= 60

    srv2 = HallProcess(srv.data_dir, *srv.extra).start()
    try:
        c = HallClient(srv2.base_url, srv2.token("counter"))
        for t in load.issued:  # every answered issue is there, with its number
            assert c.ticket(t["id"])["ticket"]["number"] == t["number"]
        status = {tid: c.ticket(tid)["ticket"]["status"] for tid in set(load.called)}
        assert all(status[tid] in ("called", "serving", "done") for tid in load.called)
        assert all(status[tid] in ("serving", "done") for tid in load.started)
        assert all(status[tid] == "done" for tid in load.finished)
        if store == "sqlite":
            con = sqlite3.connect(srv.data_dir / "queue.db")
            numbers = [n for (n,) in con.execute("SELECT number FROM tickets")]
            assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
            con.close()
            assert len(numbers) == len(set(numbers))
    finally:
        srv2.stop()


def test_a_group_that_fails_as_a_whole_answers_each_operation_honestly(tmp_path: Path, store: str) -> None:
    """The disk fills up (``RLIMIT_FSIZE`` on the child, as test_queue_health.py) under six kiosks:
    a group whose commit fails is run again one by one, so each kiosk gets its own honest answer
    (201 and durable, or the 503 error shape), never a 201 for a ticket that is not in the file."""
    if store != "sqlite":
        pytest.skip("a full disk is the SQLite file's failure")
    data = tmp_path / "hall"
    data.mkdir()
    (data / "hall.toml").write_text(load_test_hall_toml(), encoding="utf-8")
    ServerProcess(data).start().stop()  # first start: credentials, an empty queue.db
    limit = max(p.stat().st_size for p in data.iterdir() if p.is_file()) + 80 * 1024

    def small_disk() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    srv = ServerProcess(data, preexec_fn=small_disk).start()
    issued: list[dict[str, Any]] = []
    refused: list[tuple[int, str]] = []
    lock = threading.Lock()

    def kiosk() -> None:
        s = requests.Session()
        s.headers["Authorization"] = f"Bearer {srv.token('kiosk')}"
        for _ in range(400):
            r = s.post(srv.base_url + "/api/v1/tickets", json={"service_id": SERVICE}, timeout=20)
            with lock:
                if r.status_code == 201:
                    issued.append(r.json()["ticket"])
                else:
                    refused.append((r.status_code, r.json()["error"]["code"]))
                    return

    try:
        threads = [threading.Thread(target=kiosk) for _ in range(6)]
        for th in threads:
            th.start()
        for th in threads:
            th.join(120)
    finally:
        srv.stop()
    assert issued and len(refused) == 6
    assert set(refused) == {(503, "storage_failed")}
    con = sqlite3.connect(data / "queue.db")  # no limit now: SQLite recovers the WAL
    rows = dict(con.execute("SELECT id, number FROM tickets"))
    con.close()
    assert all(rows.get(t["id"]) == t["number"] for t in issued)  # every 201 is in the file
    log_text = (data.parent / f"server-{srv.port}.log").read_text("utf-8", "replace")
    assert "running them one by one" in log_text, "a group failed as a whole and was run again"
