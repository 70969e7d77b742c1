"""HTTP ticket life cycles per second with 50 concurrent clients (issue, call, start, finish).

    .venv/bin/python benchmarks/bench_queue_http.py [--clients 50] [--seconds 20]

Starts ``python main.py hall-server`` as its own process on a fresh data directory whose hall
is the sample hall plus 50 一窗受理 counters (K01…K50, serving every service of window W01, no
daily caps), so each client owns a counter. Each client runs, in a loop: issue a ticket (kiosk
token), call-next at its counter (a 204 — another counter took the ticket first — is retried
and counted), start, finish. Clients are threads spread over two load-generator processes (the
server and the load share this machine's cores). Prints Markdown: life cycles/s, requests/s,
p50/p99 per request kind."""

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


def percentile(xs: list[float], q: float) -> float:
    xs = sorted(xs)
    if not xs:
        return float("nan")
    pos = (len(xs) - 1) * q / 100
    lo = int(pos)
    hi = min(lo + 1, len(xs) - 1)
    return xs[lo] + (xs[hi] - xs[lo]) * (pos - lo)


def prepare(data: Path, clients: int) -> list[str]:
    from queueing.hallconfig import load_hall

    load_hall(data)
    toml = (data / "hall.toml").read_text(encoding="utf-8").replace("daily_cap = 300", "daily_cap = 0")
    hall = load_hall(data)
    services = ", ".join(f'"{s}"' for s in hall.counters["W01"].services)
    ids = [f"K{i:02d}" for i in range(1, clients + 1)]
    for cid in ids:
        toml += f'\n[[counters]]\nid = "{cid}"\nname = "{cid}"\nzone = "general"\nservices = [{services}]\n'
    (data / "hall.toml").write_text(toml, encoding="utf-8")
    return [s.strip('"') for s in services.split(", ")]


def worker(
    base: str,
    tokens: dict,
    counters: list[str],
    services: list[str],
    start_at: float,
    stop_at: float,
    out: mp.Queue,
) -> None:
    from queueing.client import HallClient

    lat: dict[str, list[float]] = {"issue": [], "call-next": [], "start": [], "finish": []}
    done = [0]
    lock = threading.Lock()

    def run(cid: str, n: int) -> None:
        kiosk, counter = HallClient(base, tokens["kiosk"]), HallClient(base, tokens["counter"])
        mine: dict[str, list[float]] = {k: [] for k in lat}
        cycles = 0
        while time.time() < start_at:
            time.sleep(0.001)
        while time.time() < stop_at:
            t0 = time.perf_counter()
            kiosk.issue_ticket(services[n % len(services)])
            t1 = time.perf_counter()
            mine["issue"].append(t1 - t0)
            while True:
                t1 = time.perf_counter()
                r = counter.call_next(cid)
                mine["call-next"].append(time.perf_counter() - t1)
                if r is not None:
                    break
            t2 = time.perf_counter()
            counter.start(cid)
            t3 = time.perf_counter()
            counter.finish(cid)
            t4 = time.perf_counter()
            mine["start"].append(t3 - t2)
            mine["finish"].append(t4 - t3)
            cycles += 1
        with lock:
            for k, v in mine.items():
                lat[k] += v
            done[0] += cycles

    threads = [threading.Thread(target=run, args=(cid, i)) for i, cid in enumerate(counters)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    out.put({"lat": lat, "cycles": done[0]})


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--clients", type=int, default=50)
    ap.add_argument("--seconds", type=float, default=20.0)
    ap.add_argument("--processes", type=int, default=2)
    args = ap.parse_args()
    data = Path(tempfile.mkdtemp(prefix="bench-http-")).resolve()
    services = prepare(data, args.clients)
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
        ],
        cwd=ROOT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        import requests

        for _ in range(300):
            try:
                requests.get(base + "/api/v1/health", timeout=1)
                break
            except requests.RequestException:
                time.sleep(0.05)
        tokens = json.loads((data / "credentials.json").read_text())
        counters = [f"K{i:02d}" for i in range(1, args.clients + 1)]
        ctx = mp.get_context("spawn")
        out = ctx.Queue()
        start_at = time.time() + 3
        stop_at = start_at + args.seconds
        procs = [
            ctx.Process(
                target=worker,
                args=(base, tokens, counters[i :: args.processes], services, start_at, stop_at, out),
            )
            for i in range(args.processes)
        ]
        for p in procs:
            p.start()
        results = [out.get(timeout=args.seconds + 120) for _ in procs]
        for p in procs:
            p.join(30)
    finally:
        server.terminate()
        server.wait(15)
    lat: dict[str, list[float]] = {}
    for r in results:
        for k, v in r["lat"].items():
            lat.setdefault(k, []).extend(v)
    cycles = sum(r["cycles"] for r in results)
    requests_n = sum(len(v) for v in lat.values())
    print(
        f"{args.clients} clients, {args.seconds:.0f} s: {cycles} life cycles = "
        f"{cycles / args.seconds:.0f}/s, "
        f"{requests_n / args.seconds:.0f} requests/s"
    )
    print("| request | count | p50 ms | p99 ms |")
    print("|---|---:|---:|---:|")
    for k, v in lat.items():
        print(f"| {k} | {len(v)} | {percentile(v, 50) * 1000:.1f} | {percentile(v, 99) * 1000:.1f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
