"""Engine call-next latency with 10,000 tickets waiting (target p99 < 2 ms).

    .venv/bin/python benchmarks/bench_queue_engine.py [--waiting 10000] [--calls 2000]

The sample hall (一窗受理 window W01 serves 8 services) on a SQLite file on disk (WAL,
synchronous=FULL, so every call is a durable commit). 10,000 tickets wait over W01's services
(5% green channel); each measured call_next is followed (untimed) by finish and one new ticket,
so the queue stays at 10,000 throughout. Prints the latency distribution as Markdown.

Beside each timed call (untimed for it) the script times one bare ``fsync`` of a 4 KiB write to a
file in the same directory: the disk's own commit latency in the same run, the floor under a
durable call's tail (a WAL commit with ``synchronous=FULL`` is one such fsync)."""

from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from queueing.engine import QueueEngine
from queueing.hallconfig import load_credentials, load_hall
from queueing.stats import percentile
from queueing.store import SQLiteStore


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--waiting", type=int, default=10_000)
    ap.add_argument("--calls", type=int, default=2_000)
    ap.add_argument(
        "--sync",
        choices=("FULL", "OFF"),
        default="FULL",
        help="OFF measures the engine without the disk's fsync (not how the service runs)",
    )
    ap.add_argument("--pause-ms", type=float, default=0.0,
                    help="idle time after each call's untimed finish + issue (a hall is not back-to-back)")
    ap.add_argument("--dir", default=None, help="data directory (default: a new temporary one under ./)")
    args = ap.parse_args()
    data = Path(args.dir or tempfile.mkdtemp(prefix="bench-queue-", dir="."))
    data.mkdir(parents=True, exist_ok=True)
    hall_toml = data / "hall.toml"
    load_hall(data)
    hall_toml.write_text(
        hall_toml.read_text(encoding="utf-8").replace("daily_cap = 300", "daily_cap = 0"), encoding="utf-8"
    )
    hall = load_hall(data)
    eng = QueueEngine(hall, SQLiteStore(data / "queue.db"), load_credentials(data)["hall_key"])
    if args.sync == "OFF":
        eng.store._tx().con.execute("PRAGMA synchronous=OFF")  # this thread's connection: the only one used
    services = list(hall.counters["W01"].services)
    rng = random.Random(7)

    def issue() -> None:
        eng.issue(rng.choice(services), priority="green" if rng.random() < 0.05 else None)

    t0 = time.perf_counter()
    for _ in range(args.waiting):
        issue()
    seeded = time.perf_counter() - t0
    lat, counters, syncs = [], ["W01", "W02", "W03", "W04"], []
    probe = os.open(data / "fsync-probe", os.O_WRONLY | os.O_CREAT, 0o600)
    for i in range(args.calls):
        c = counters[i % len(counters)]
        s = time.perf_counter()
        t = eng.call_next(c)
        lat.append((time.perf_counter() - s) * 1000)
        assert t is not None
        eng.finish(c)
        issue()
        os.pwrite(probe, bytes(4096), (i % 64) * 4096)
        s = time.perf_counter()
        os.fsync(probe)
        syncs.append((time.perf_counter() - s) * 1000)
        if args.pause_ms:
            time.sleep(args.pause_ms / 1000)
    print(
        f"seeded {args.waiting} tickets in {seeded:.1f} s "
        f"({seeded / max(1, args.waiting) * 1000:.2f} ms per issue)"
    )
    print("| synchronous | pause ms | waiting | calls | p50 ms | p90 ms | p99 ms | max ms |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    print(
        f"| {args.sync} | {args.pause_ms:g} | {len(eng.waiting(limit=100_000))} | {len(lat)} "
        f"| {percentile(lat, 50):.3f} "
        f"| {percentile(lat, 90):.3f} | {percentile(lat, 99):.3f} | {max(lat):.3f} |"
    )
    print(f"| bare fsync of 4 KiB (same disk, same run) | | | {len(syncs)} | {percentile(syncs, 50):.3f} "
          f"| {percentile(syncs, 90):.3f} | {percentile(syncs, 99):.3f} | {max(syncs):.3f} |")
    os.close(probe)
    eng.store.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
