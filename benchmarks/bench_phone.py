"""Phone pages under a crowd: N phones follow their tickets on ``/t/<token>/events`` while a
counter calls them one by one; measures the time from the counter's call (its HTTP answer) to
the called phone receiving "your turn", and how fast ``/t/<token>`` pages are served.

    .venv/bin/python benchmarks/bench_phone.py [--phones 100] [--calls 30] [--pages 300]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import requests
from bench_hall import write_bench_hall

from queueing.client import HallClient, parse_sse
from queueing.embedded import start_hall_service


def follow(url: str, ticket_no: str, called: dict[str, float], ready: threading.Barrier, stop: threading.Event) -> None:
    with requests.get(url, stream=True, timeout=(5, 60)) as r:
        first = True
        for ev in parse_sse(r.iter_lines(decode_unicode=True)):
            if first:
                first = False
                ready.wait()
            if ev.kind == "state" and ev.data.get("status") == "called" and ticket_no not in called:
                called[ticket_no] = time.perf_counter()
            if stop.is_set():
                return


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--phones", type=int, default=100)
    ap.add_argument("--calls", type=int, default=30)
    ap.add_argument("--pages", type=int, default=300)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp, \
            start_hall_service(write_bench_hall(Path(tmp) / "hall"), heartbeat=5.0) as hall:
        kiosk = HallClient(hall.base_url, hall.token("kiosk"))
        counter = HallClient(hall.base_url, hall.token("counter"))
        services = [s for s in hall.engine.hall.services if hall.engine.hall.counters_serving(s)][:4]
        tickets = [kiosk.issue_ticket(services[i % len(services)]) for i in range(args.phones)]
        called: dict[str, float] = {}
        ready = threading.Barrier(args.phones + 1)
        stop = threading.Event()
        threads = [
            threading.Thread(target=follow, args=(hall.base_url + t["public_path"] + "/events", t["ticket"]["number"],
                                                  called, ready, stop), daemon=True)
            for t in tickets
        ]
        for th in threads:
            th.start()
        ready.wait(timeout=60)
        by_service: dict[str, str] = {}
        for c in hall.engine.hall.counters.values():
            for s in services:
                if s in c.services and s not in by_service.values():
                    by_service[c.id] = s
                    break
        lat = []
        for i in range(args.calls):
            cid = list(by_service)[i % len(by_service)]
            t0 = time.perf_counter()  # the counter presses "call next"
            answer = counter.call_next(cid)
            if answer is None:
                continue
            number = answer["ticket"]["number"]
            deadline = t0 + 10
            while number not in called and time.perf_counter() < deadline:
                time.sleep(0.001)
            lat.append((called.get(number, float("inf")) - t0) * 1000)
            counter.finish(cid)
        stop.set()
        lat.sort()
        pages = [hall.base_url + t["public_path"] for t in tickets]
        # one connection per page, as phones do; (a kept-alive requests.Session against uvicorn
        # measures ~40 ms of TCP delayed ACK per request on Linux instead of the server)
        t0 = time.perf_counter()
        sizes = [len(requests.get(pages[i % len(pages)], headers={"Connection": "close"}, timeout=10).content)
                 for i in range(args.pages)]
        elapsed = time.perf_counter() - t0
        print(json.dumps({
            "phones_following": args.phones,
            "calls": len(lat),
            "call_to_phone_ms": {"median": round(statistics.median(lat), 1),
                                 "p95": round(lat[int(0.95 * (len(lat) - 1))], 1), "max": round(lat[-1], 1)},
            "ticket_pages_per_s_one_client_while_streams_open": round(args.pages / elapsed, 1),
            "ticket_page_bytes": max(sizes),
        }, indent=2))


if __name__ == "__main__":
    main()
