"""Time from a counter's call to its event reaching 50 SSE subscribers (target p99 < 100 ms).

    .venv/bin/python benchmarks/bench_queue_sse.py [--subscribers 50] [--calls 200]

Starts ``python main.py hall-server`` as its own process. 50 subscribers (threads in two
processes, as displays and consoles would be separate machines) hold ``GET /api/v1/events``
open. The main process issues tickets, then calls them one by one (call-next, finish) at ~20
calls/s. For every call, the latency is from just before the call-next request is sent to the
moment a subscriber has read the call's event (wall clock, same machine). Prints Markdown: the
distribution over all (call, subscriber) pairs and over "the last of the 50 subscribers"."""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench_hall import write_bench_hall  # noqa: E402 (after the path)


def percentile(xs: list[float], q: float) -> float:
    xs = sorted(xs)
    pos = (len(xs) - 1) * q / 100
    lo = int(pos)
    hi = min(lo + 1, len(xs) - 1)
    return xs[lo] + (xs[hi] - xs[lo]) * (pos - lo)


def subscribers(base: str, token: str, n: int, stop_at: float, ready: mp.Queue, out: mp.Queue) -> None:
    import requests

    seen: list[tuple[str, float]] = []
    lock = threading.Lock()

    def run() -> None:
        mine = []
        with requests.get(
            base + "/api/v1/events",
            headers={"Authorization": f"Bearer {token}"},
            stream=True,
            timeout=(5, 30),
        ) as r:
            ready.put(1)
            kind = None
            for line in r.iter_lines(decode_unicode=True):
                if line.startswith("event: "):
                    kind = line[7:]
                elif line.startswith("data: ") and kind == "call":
                    mine.append((json.loads(line[6:])["ticket"]["id"], time.time()))
                if time.time() > stop_at:
                    break
        with lock:
            seen.extend(mine)

    threads = [threading.Thread(target=run, daemon=True) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(stop_at - time.time() + 40)
    out.put(seen)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--subscribers", type=int, default=50)
    ap.add_argument("--calls", type=int, default=200)
    args = ap.parse_args()
    data = write_bench_hall(Path(tempfile.mkdtemp(prefix="bench-sse-")).resolve())
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = subprocess.Popen(
        [
            sys.executable,
            str(ROOT / "main.py"),
            "--log-level",
            "WARNING",
            "hall-server",
            "--port",
            str(port),
            "--data-dir",
            str(data),
            "--heartbeat",
            "2",
        ],
        cwd=ROOT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        from queueing.client import HallClient

        for _ in range(300):
            try:
                HallClient(base, "-").health()
                break
            except Exception:
                time.sleep(0.05)
        tokens = json.loads((data / "credentials.json").read_text())
        kiosk, counter = HallClient(base, tokens["kiosk"]), HallClient(base, tokens["counter"])
        for _ in range(args.calls):
            kiosk.issue_ticket("S0401")
        ctx = mp.get_context("spawn")
        ready, out = ctx.Queue(), ctx.Queue()
        stop_at = time.time() + 20 + args.calls * 0.06
        half = args.subscribers // 2
        procs = [
            ctx.Process(target=subscribers, args=(base, tokens["display"], k, stop_at, ready, out))
            for k in (half, args.subscribers - half)
        ]
        for p in procs:
            p.start()
        for _ in range(args.subscribers):
            ready.get(timeout=60)
        time.sleep(1)
        sent: dict[str, float] = {}
        for _ in range(args.calls):
            t0 = time.time()
            r = counter.call_next("W07")
            sent[r["ticket"]["id"]] = t0
            counter.finish("W07")
            time.sleep(0.05)
        seen = [x for _ in procs for x in out.get(timeout=stop_at - time.time() + 60)]
        for p in procs:
            p.join(10)
    finally:
        server.terminate()
        server.wait(15)
    per_pair = [(recv - sent[tid]) * 1000 for tid, recv in seen if tid in sent]
    last: dict[str, float] = {}
    count: dict[str, int] = {}
    for tid, recv in seen:
        if tid in sent:
            last[tid] = max(last.get(tid, 0.0), (recv - sent[tid]) * 1000)
            count[tid] = count.get(tid, 0) + 1
    complete = [v for tid, v in last.items() if count[tid] == args.subscribers]
    print(
        f"{args.subscribers} subscribers, {len(sent)} calls, {len(per_pair)} deliveries "
        f"({len(complete)} calls reached every subscriber)"
    )
    print("| measure | p50 ms | p90 ms | p99 ms | max ms |")
    print("|---|---:|---:|---:|---:|")
    for name, xs in (
        ("call → event at a subscriber", per_pair),
        ("call → event at the last of all subscribers", complete),
    ):
        print(
            f"| {name} | {percentile(xs, 50):.1f} | {percentile(xs, 90):.1f} | {percentile(xs, 99):.1f} "
            f"| {max(xs):.1f} |"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
