"""One request's round trip on a kept-alive connection, as the kiosk makes them: to the embedded
hall service (uvicorn on a socket this process binds) and to the reference platform.

    .venv/bin/python benchmarks/bench_roundtrip.py [--requests 200]

A server that leaves Nagle's algorithm on answers every request after the first ~40 ms late (the
client's delayed ACK); this is the number that shows it. Prints Markdown."""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def measure(fn: Callable[[], object], n: int) -> tuple[float, float, float]:
    fn()  # the connection is opened by the first request
    times = []
    for _ in range(n):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    times.sort()
    return times[n // 2], times[int(n * 0.99) - 1], times[-1]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=200)
    args = parser.parse_args()

    from bench_hall import write_bench_hall

    from offline_cache.client import PlatformClient
    from offline_cache.platform_server import start_reference_platform
    from queueing.client import HallClient
    from queueing.embedded import start_hall_service

    rows = []
    with tempfile.TemporaryDirectory() as tmp, start_hall_service(write_bench_hall(Path(tmp) / "hall")) as hall:
        kiosk = HallClient(hall.base_url, hall.token("kiosk"))
        rows.append(("hall service: GET services (catalogue)", measure(kiosk.services, args.requests)))
        rows.append(("hall service: POST ticket (issue, durable)",
                     measure(lambda: kiosk.issue_ticket("S0101"), args.requests)))
        kiosk.close()
        platform = start_reference_platform(Path(tmp) / "platform")
        try:
            client = PlatformClient(platform.base_url, platform.token, "bench-kiosk")
            rows.append(("platform: GET catalogue", measure(client.get_catalogue, args.requests)))
            client.close()
        finally:
            platform.stop()
    print("| request (keep-alive) | p50 ms | p99 ms | max ms |\n|---|---:|---:|---:|")
    for name, (p50, p99, worst) in rows:
        print(f"| {name} | {p50:.1f} | {p99:.1f} | {worst:.1f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
