"""Counters racing for the same tickets — threads in one process and separate processes on one
SQLite file: every ticket is called exactly once, and concurrent issuing never repeats a number."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import pytest
from queue_helpers import ROOT, load_test_hall_toml, make_engine

from queueing.engine import QueueEngine
from queueing.hallconfig import load_credentials, load_hall
from queueing.store import SQLiteStore

WORKER = r"""
import json, sys, time
from pathlib import Path
sys.path.insert(0, sys.argv[1])
from queueing.engine import QueueEngine
from queueing.hallconfig import load_credentials, load_hall
from queueing.store import SQLiteStore
data, role, arg, go = Path(sys.argv[2]), sys.argv[3], sys.argv[4], Path(sys.argv[5])
e = QueueEngine(load_hall(data), SQLiteStore(data / "queue.db"), load_credentials(data)["hall_key"])
(go.parent / f"ready-{role}-{arg}-{sys.argv[6]}").touch()
while not go.exists():
    time.sleep(0.002)
out = []
if role == "issue":
    for _ in range(int(arg)):
        out.append(e.issue("S0101")[0].number)
else:
    while (t := e.call_next(arg)) is not None:
        out.append(t.id)
        e.finish(arg)
        time.sleep(0.001)  # a counter does not call again within the same millisecond
print(json.dumps(out))
"""


def _calls(e: QueueEngine) -> Counter:
    with e.store.read() as tx:
        rows = tx.event_rows("0000", "9999")
    return Counter(r["ticket_id"] for r in rows if r["kind"] == "call")


@pytest.mark.usefixtures("store")  # on both stores (conftest.py)
def test_threads_racing_never_share_a_ticket(tmp_path: Path) -> None:
    e = make_engine(tmp_path / "h", time.time, load_test_hall_toml())
    ids = {e.issue("S0101")[0].id for _ in range(240)}
    counters = [f"W0{i}" for i in range(1, 9)]  # all eight 一窗受理 windows serve S0101
    got: dict[str, list[str]] = {c: [] for c in counters}
    barrier = threading.Barrier(len(counters))

    def work(counter: str) -> None:
        barrier.wait()
        while (t := e.call_next(counter)) is not None:
            got[counter].append(t.id)
            e.finish(counter)

    threads = [threading.Thread(target=work, args=(c,)) for c in counters]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    called = [tid for lst in got.values() for tid in lst]
    assert sorted(called) == sorted(ids)  # each exactly once
    assert set(_calls(e).values()) == {1}
    assert sum(1 for lst in got.values() if lst) > 1  # they really raced
    e.store.close()


def _spawn(data: Path, role: str, arg: str, go: Path, n: int) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-c", WORKER, str(ROOT), str(data), role, arg, str(go), str(n)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _start_together(procs: list[subprocess.Popen], go: Path) -> None:
    """Release the workers at once, after every one of them has opened the database."""
    deadline = time.monotonic() + 60
    while len(list(go.parent.glob("ready-*"))) < len(procs):
        assert time.monotonic() < deadline and all(p.poll() is None for p in procs), "workers did not start"
        time.sleep(0.01)
    for f in go.parent.glob("ready-*"):
        f.unlink()
    go.touch()


def test_processes_racing_on_one_database(tmp_path: Path) -> None:
    data = tmp_path / "h"
    data.mkdir()
    (data / "hall.toml").write_text(load_test_hall_toml(), encoding="utf-8")
    load_hall(data)
    load_credentials(data)
    SQLiteStore(data / "queue.db").close()
    go = tmp_path / "go"
    issuers = [_spawn(data, "issue", "100", go, n) for n in range(3)]
    _start_together(issuers, go)
    numbers = []
    for p in issuers:
        out, err = p.communicate(timeout=120)
        assert p.returncode == 0, err
        numbers += json.loads(out)
    assert len(numbers) == 300 and len(set(numbers)) == 300  # no number repeated across processes
    assert sorted(numbers) == [f"A{i:03d}" for i in range(1, 301)]  # 300 is the sample hall's daily cap

    go2 = tmp_path / "go2"
    callers = [_spawn(data, "call", f"W0{i}", go2, i) for i in range(1, 5)]
    _start_together(callers, go2)
    results = []
    for p in callers:
        out, err = p.communicate(timeout=120)
        assert p.returncode == 0, err
        results.append(json.loads(out))
    called = [tid for r in results for tid in r]
    assert len(called) == 300 and len(set(called)) == 300
    assert sum(1 for r in results if r) > 1
    e = QueueEngine(load_hall(data), SQLiteStore(data / "queue.db"), load_credentials(data)["hall_key"])
    assert set(_calls(e).values()) == {1} and e.waiting() == []
    e.store.close()
