"""A whole city into one reference platform: 200 simulated halls × 10 machines each send their fleet
state (kind ``fleet_health``, every machine's heartbeat in it, as a hall's outbox does each
minute) and a realistic day of queue events (``ticket_event`` and ``rating``, in the small batches
a hall's outbox sends as events happen), all over loopback to ``main.py platform`` in its own
process, from ``--workers`` client processes with bounded loops. Measured:

- the platform's ingest rate (records/s accepted, batch latency p50/p95) at full speed, against
  the city's estimated peak of ~150 events/s;
- the city view's refresh time (ui/city_app.py offscreen: the platform's ``/admin/city`` answer
  for 200 halls and the tables filled), idle and while the halls are sending; and a drill-in.

    .venv/bin/python benchmarks/bench_city.py [--halls 200] [--machines 10] [--events 150] [--workers 3]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import multiprocessing as mp
import os
import random
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from offline_cache.sealing import canonical_json  # noqa: E402

CST = timezone(timedelta(hours=8))
DISTRICTS = ("浈江区", "武江区", "曲江区", "乐昌市", "南雄市", "仁化县", "始兴县", "翁源县", "新丰县", "乳源县")
KINDS = ("kiosk", "kiosk", "kiosk", "rating_pad", "rating_pad", "display", "counter", "counter", "counter", "dashboard")


def start_platform(data: Path) -> tuple[subprocess.Popen[str], str, dict[str, str]]:
    proc = subprocess.Popen([sys.executable, "main.py", "--log-level", "WARNING", "platform", "--port", "0",
                             "--data-dir", str(data)], cwd=ROOT, stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    proc.stdout.readline()
    base = json.loads((data / "platform-endpoint.json").read_text())["base_url"]
    return proc, base, json.loads((data / "platform-credentials.json").read_text())


def record(kind: str, payload: dict[str, Any]) -> dict[str, Any]:
    return {"id": str(uuid.uuid4()), "kind": kind, "created_at": datetime.now(CST).isoformat(timespec="seconds"),
            "payload": payload, "payload_sha256": hashlib.sha256(canonical_json(payload).encode()).hexdigest(),
            "attachments": []}


def fleet_state(hall: int, machines: int, rng: random.Random, at: datetime) -> dict[str, Any]:
    hall_id = f"sg-{hall:03d}"
    listed = []
    for m in range(machines):
        kind = KINDS[m % len(KINDS)]
        devices = {"printer": {"state": "ready"}, "idcard": {"state": "ready"}} if kind == "kiosk" else {}
        problems = []
        if kind == "kiosk" and rng.random() < 0.03:
            devices["printer"] = {"state": "error", "reason": "paper_out"}
            problems.append("printer:paper_out")
        silent = rng.random() < 0.01
        listed.append({"device": f"{hall_id}-{kind}-{m}", "role": "counter" if kind == "counter" else kind,
                       "name": f"{kind}-{m}", "counter_id": None, "kind": kind,
                       "version": "0.1.1" if rng.random() < 0.2 else "0.1.0", "uptime_s": 3600.0, "devices": devices,
                       "backlog": 0, "dead_letters": 0, "disk_free_bytes": 40 << 30,
                       "last_seen": at.isoformat(timespec="seconds"), "silent_s": 400 if silent else 20,
                       "silent": silent, "problems": problems})
    waiting = rng.randint(0, 40)
    hall_now = {"id": hall_id, "name": f"{DISTRICTS[hall % len(DISTRICTS)]}第{hall:03d}便民服务中心",
                "district": DISTRICTS[hall % len(DISTRICTS)], "at": at.isoformat(timespec="seconds"),
                "day": at.date().isoformat(), "waiting": waiting, "longest_wait_min": round(rng.uniform(0, 45), 1),
                "longest_target_min": 20.0, "over_target": rng.randint(0, 5), "counters": 8,
                "counters_open": rng.randint(2, 8), "ratings": 120, "satisfied": 112, "bad": 3, "rectified": 2}
    return {"hall_id": hall_id, "hall": hall_now, "machines": listed}


def ticket_events(hall: int, n: int, rng: random.Random) -> list[dict[str, Any]]:
    """A hall's day in the order it happens: issue, call, start, finish, and a rating for some."""
    out: list[dict[str, Any]] = []
    seq = 0
    for t in range(n // 5 + 1):
        tid = str(uuid.uuid4())
        for ev in ("issue", "call", "start", "finish"):
            seq += 1
            out.append(record("ticket_event", {"hall_id": f"sg-{hall:03d}", "event_seq": seq, "event": ev,
                                               "at": datetime.now(CST).isoformat(timespec="seconds"),
                                               "counter_id": f"W{rng.randint(1, 8):02d}", "staff_id": None,
                                               "ticket": {"id": tid, "number": f"A{t + 1:03d}",
                                                          "service_id": "S0101", "status": ev}}))
        if rng.random() < 0.6:
            seq += 1
            out.append(record("rating", {"hall_id": f"sg-{hall:03d}", "event_seq": seq, "event": "rating",
                                         "level": rng.choice((5, 5, 5, 4, 4, 3, 2)), "ticket_id": tid}))
    return out[:n]


def worker(args: tuple[list[int], int, int, int, str, str, Any]) -> dict[str, Any]:
    """Halls ``halls`` each send their fleet state, then their events in batches of ``batch``,
    a fresh fleet state every 50 events (bounded: exactly ``events`` per hall)."""
    import requests

    halls, machines, events, batch, base, token, start_at = args
    rng = random.Random(halls[0])
    s = requests.Session()
    s.trust_env = False
    latencies: list[float] = []
    sent = refused = 0
    while time.time() < start_at:
        time.sleep(0.01)
    queues = {h: ticket_events(h, events, rng) for h in halls}

    def post(h: int, records: list[dict[str, Any]]) -> None:
        nonlocal sent, refused
        t0 = time.perf_counter()
        r = s.post(base + "/v1/records:batch", json={"device_id": f"hall-sg-{h:03d}", "records": records},
                   headers={"Authorization": f"Bearer {token}", "X-Device-Id": f"hall-sg-{h:03d}"}, timeout=60)
        latencies.append(time.perf_counter() - t0)
        r.raise_for_status()
        results = r.json()["results"]
        sent += sum(1 for x in results if x["status"] == "accepted")
        refused += sum(1 for x in results if x["status"] != "accepted")

    t0 = time.perf_counter()
    for h in halls:
        post(h, [record("fleet_health", fleet_state(h, machines, rng, datetime.now(CST)))])
    position = dict.fromkeys(halls, 0)
    while any(position[h] < len(queues[h]) for h in halls):
        for h in halls:
            i = position[h]
            if i >= len(queues[h]):
                continue
            chunk = queues[h][i:i + batch]
            if (i // 50) != ((i + len(chunk)) // 50):
                chunk.append(record("fleet_health", fleet_state(h, machines, rng, datetime.now(CST))))
            post(h, chunk)
            position[h] = i + batch
    return {"sent": sent, "refused": refused, "latencies": latencies, "seconds": time.perf_counter() - t0}


def city_refreshes(base: str, admin: str, n: int, screenshot: str = "") -> dict[str, Any]:
    """``n`` refreshes of the real city window (offscreen); each waits for its own answer."""
    from PySide6.QtWidgets import QApplication

    from offline_cache.platform_server import PlatformAdmin
    from ui.city_app import CityWindow

    app = QApplication.instance() or QApplication(sys.argv[:1])
    window = CityWindow(PlatformAdmin(base, admin), refresh_ms=0)
    window.resize(1800, 1000)
    window.show()
    times = []
    for _ in range(n):
        before = window.refreshes
        window.refresh()
        deadline = time.monotonic() + 60
        while window.refreshes == before and time.monotonic() < deadline:
            app.processEvents()
            time.sleep(0.002)
        assert window.last_refresh_ms is not None
        times.append(window.last_refresh_ms)
    halls = len((window.overview or {}).get("halls") or [])
    troubled = len((window.overview or {}).get("machines") or [])
    t0 = time.perf_counter()
    window.choose_hall("sg-007")
    while window.detail is None and time.perf_counter() - t0 < 30:
        app.processEvents()
        time.sleep(0.002)
    drill = (time.perf_counter() - t0) * 1000
    if screenshot:
        app.processEvents()
        window.grab().save(screenshot)
    window.close()
    return {"ms": sorted(times), "halls": halls, "troubled": troubled, "drill_ms": drill}


def pct(xs: list[float], q: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(len(xs) * q))] if xs else float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--halls", type=int, default=200)
    parser.add_argument("--machines", type=int, default=10)
    parser.add_argument("--events", type=int, default=150, help="queue events per hall (bounded)")
    parser.add_argument("--batch", type=int, default=5, help="records per batch, as a hall's outbox sends them")
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--refreshes", type=int, default=10)
    parser.add_argument("--screenshot", default="", help="save the idle city window as this PNG")
    args = parser.parse_args()
    print("load before:", os.popen("uptime").read().strip())
    with tempfile.TemporaryDirectory() as tmp:
        proc, base, creds = start_platform(Path(tmp) / "platform")
        try:
            halls = list(range(args.halls))
            shares = [halls[i::args.workers] for i in range(args.workers)]
            start_at = time.time() + 2.0
            with mp.get_context("spawn").Pool(args.workers + 1) as pool:
                jobs = pool.map_async(worker, [(share, args.machines, args.events, args.batch, base,
                                                creds["device_token"], start_at) for share in shares])
                time.sleep(2.0 + 3.0)  # the city view refreshing while the halls send
                busy = pool.apply_async(city_refreshes, (base, creds["admin_token"], args.refreshes)).get()
                t0 = time.perf_counter()
                results = jobs.get()
                waited = time.perf_counter() - t0
            print("load during:", os.popen("uptime").read().strip())
            idle = city_refreshes(base, creds["admin_token"], args.refreshes, args.screenshot)
        finally:
            proc.terminate()
            proc.wait(10)
    sent = sum(r["sent"] for r in results)
    refused = sum(r["refused"] for r in results)
    seconds = max(r["seconds"] for r in results)
    lat = [x for r in results for x in r["latencies"]]
    print(f"halls {args.halls} × machines {args.machines}; {args.events} events per hall in batches of {args.batch}, "
          f"{args.workers} client processes; waited {waited:.1f} s after the busy refreshes")
    print(f"ingest: {sent} records accepted ({refused} not) in {seconds:.1f} s = {sent / seconds:.0f} records/s; "
          f"batch latency p50 {pct(lat, 0.5) * 1000:.1f} ms, p95 {pct(lat, 0.95) * 1000:.1f} ms")
    for name, r in (("while ingesting", busy), ("idle", idle)):
        print(f"city view refresh {name}: {r['halls']} halls, {r['troubled']} machines listed; "
              f"median {pct(r['ms'], 0.5):.0f} ms, max {max(r['ms']):.0f} ms; drill into a hall {r['drill_ms']:.0f} ms")
    print("load after:", os.popen("uptime").read().strip())


if __name__ == "__main__":
    main()
