"""Issue cost as the day fills: 0, 5,000 and 20,000 tickets already in the day (target: at
20,000 within 1.2x of the cost at 0).

    .venv/bin/python benchmarks/bench_issue_day.py [--issues 300] [--root DIR]

The sample hall (no daily caps) on a SQLite file on disk (WAL, synchronous=FULL). The day's
earlier tickets are written as finished rows (what a restored queue.db of that evening holds),
plus 50 waiting; then ``--issues`` tickets are issued through the engine and timed, each one
followed (untimed) by a call and finish at W01, so 50 wait throughout. ``--root`` measures
another checkout's engine (e.g. the commit before a change) with the same script."""

from __future__ import annotations

import argparse
import sqlite3
import sys
import tempfile
import time
import uuid
from pathlib import Path


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--issues", type=int, default=300)
    ap.add_argument("--sizes", default="0,5000,20000")
    ap.add_argument("--root", default=str(Path(__file__).resolve().parent.parent))
    args = ap.parse_args()
    sys.path.insert(0, str(Path(args.root).resolve()))
    from queueing.engine import QueueEngine
    from queueing.hallconfig import load_credentials, load_hall
    from queueing.stats import percentile
    from queueing.store import SQLiteStore

    print(f"root {args.root}, load {' '.join(Path('/proc/loadavg').read_text().split()[:3])}")
    print("| tickets in the day | issues | p50 ms | p90 ms | p99 ms | mean ms |")
    print("|---:|---:|---:|---:|---:|---:|")
    for size in (int(x) for x in args.sizes.split(",")):
        data = Path(tempfile.mkdtemp(prefix="bench-day-"))
        load_hall(data)
        toml = data / "hall.toml"
        toml.write_text(toml.read_text(encoding="utf-8").replace("daily_cap = 300", "daily_cap = 0"), "utf-8")
        hall = load_hall(data)
        eng = QueueEngine(hall, SQLiteStore(data / "queue.db"), load_credentials(data)["hall_key"])
        services = list(hall.counters["W01"].services)
        now = time.time()
        day = hall.day(now)
        eng.waiting_counts()  # opens the day
        con = sqlite3.connect(data / "queue.db")
        with con:
            con.executemany(
                "INSERT INTO tickets(id, day, number, service_id, priority, status, issued_at, key_time, seq, "
                "counter_id, called_at, started_at, finished_at, outcome) VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                [(str(uuid.uuid4()), day, f"Z{i:05d}", services[i % len(services)], "normal", "done",
                  now - 30000 + i, now - 30000 + i, -1 - i, "W01", now - 29000 + i, now - 28990 + i,
                  now - 28800 + i, "done") for i in range(size)])
        con.close()
        for i in range(50):
            eng.issue(services[i % len(services)])
        lat = []
        for i in range(args.issues):
            t0 = time.perf_counter()
            eng.issue(services[i % len(services)])
            lat.append((time.perf_counter() - t0) * 1000)
            eng.call_next("W01")
            eng.finish("W01")
        eng.store.close()
        print(f"| {size} | {len(lat)} | {percentile(lat, 50):.2f} | {percentile(lat, 90):.2f} "
              f"| {percentile(lat, 99):.2f} | {sum(lat) / len(lat):.2f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
