"""Ticket life cycles per second on each store: SQLite (``queue.db``) and PostgreSQL, with 1 and 2
processes on the same hall.

    .venv/bin/python benchmarks/bench_queue_stores.py [--cycles 400] [--pg-url postgresql://…]

A life cycle is issue → call_next → start → finish, each a durable commit (SQLite WAL with
synchronous=FULL; PostgreSQL with its default fsync and synchronous_commit). Each process runs
``--cycles`` of them on its own counter of the sample hall; the rate is all processes' cycles
over the wall time. Without ``--pg-url`` a throw-away PostgreSQL is started as the tests do
(tests/pg_server.py, fsync on). Prints a Markdown table."""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

WORKER = r"""
import sys, time
from pathlib import Path
sys.path.insert(0, sys.argv[1])
from queueing.engine import QueueEngine
from queueing.hallconfig import load_credentials, load_hall
data, url, counter, n, go = Path(sys.argv[2]), sys.argv[3], sys.argv[4], int(sys.argv[5]), Path(sys.argv[6])
hall = load_hall(data)
if url:
    from queueing.store_pg import PgStore
    store = PgStore(url, hall.id, data / "queue.db")
else:
    from queueing.store import SQLiteStore
    store = SQLiteStore(data / "queue.db")
e = QueueEngine(hall, store, load_credentials(data)["hall_key"])
service = hall.counters[counter].services[0]
(go.parent / f"ready-{counter}").touch()
while not go.exists():
    time.sleep(0.001)
for _ in range(n):
    e.issue(service)
    assert e.call_next(counter) is not None
    e.start(counter)
    e.finish(counter)
store.close()
"""


def run(data: Path, url: str, processes: int, cycles: int) -> float:
    go = data / f"go-{time.monotonic_ns()}"
    counters = ["W09", "W13"][:processes]  # windows of different services: the hall lock is the only contention
    procs = [subprocess.Popen([sys.executable, "-c", WORKER, str(ROOT), str(data), url, c, str(cycles), str(go)])
             for c in counters]
    while len(list(data.glob("ready-*"))) < processes:
        if any(p.poll() is not None for p in procs):
            raise SystemExit("a worker died")
        time.sleep(0.01)
    for f in data.glob("ready-*"):
        f.unlink()
    t0 = time.perf_counter()
    go.touch()
    for p in procs:
        if p.wait() != 0:
            raise SystemExit("a worker failed")
    return processes * cycles / (time.perf_counter() - t0)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cycles", type=int, default=400, help="life cycles per process")
    ap.add_argument("--pg-url", default="", help="an empty database (default: start a throw-away server)")
    args = ap.parse_args()
    from queueing.hallconfig import load_credentials, load_hall

    server = None
    url = args.pg_url
    if not url:
        from tests.pg_server import PgServer, missing_reason

        if (why := missing_reason()) is not None:
            raise SystemExit(why)
        server = PgServer().start(durable=True)
        url = server.new_database("bench")
    rows = []
    try:
        with tempfile.TemporaryDirectory(prefix="bench-stores-") as tmp:
            for name, store_url in (("SQLite", ""), ("PostgreSQL", url)):
                for processes in (1, 2):
                    data = Path(tmp) / f"{name}-{processes}"
                    data.mkdir()
                    load_hall(data)
                    text = (data / "hall.toml").read_text(encoding="utf-8")
                    (data / "hall.toml").write_text(
                        text.replace("daily_cap = 300", "daily_cap = 0").replace(
                            'id = "demo-hall"', f'id = "bench-{processes}"'), encoding="utf-8")
                    load_credentials(data)
                    rows.append((name, processes, run(data, store_url, processes, args.cycles)))
    finally:
        if server is not None:
            server.stop()
    print("| store | processes | life cycles/s |")
    print("|---|---:|---:|")
    for name, processes, rate in rows:
        print(f"| {name} | {processes} | {rate:.0f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
