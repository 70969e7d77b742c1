"""Draining the offline cache to the reference platform over loopback: 1,000 and 10,000 queued
records (each an application with sealed personal fields), 2 % of them with a 50 KiB attachment
(200 attachments for 10,000), batches of 100. The platform runs as its own process
(``python main.py platform``), as in production; both sides use synchronous=FULL. Memory of the
syncing process is sampled (RSS) while it drains.

    .venv/bin/python benchmarks/bench_sync_drain.py [--sizes 1000 10000]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from offline_cache.store import OfflineCache  # noqa: E402
from offline_cache.sync import SyncEngine  # noqa: E402


def rss_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def proc_cpu(pid: int) -> tuple[float, float]:
    """(user, system) CPU seconds of a process (/proc/PID/stat fields 14 and 15)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    tick = os.sysconf("SC_CLK_TCK")
    return int(fields[11]) / tick, int(fields[12]) / tick


def start_platform(data: Path) -> tuple[subprocess.Popen[str], str, str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen([sys.executable, "main.py", "--log-level", "WARNING", "platform", "--port", "0",
                             "--data-dir", str(data)], cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    proc.stdout.readline()
    base = json.loads((data / "platform-endpoint.json").read_text())["base_url"]
    token = json.loads((data / "platform-credentials.json").read_text())["device_token"]
    return proc, base, token


def run(n: int, tmp: Path) -> dict[str, Any]:
    proc, base, token = start_platform(tmp / f"platform-{n}")
    try:
        cache = OfflineCache(tmp / f"cache-{n}.db")
        every = 50  # 2 %
        for i in range(n):
            atts = [(os.urandom(50 * 1024), "image/jpeg")] if i % every == 0 else []
            cache.enqueue("application", {"service_id": "S0101", "id_number": "11010519491231002X",
                                          "name": "张伟", "address": "北京市东城区景山前街4号",
                                          "phone": "13800138000", "form": {"bank": "工商银行", "n": i}}, atts)
        engine = SyncEngine(cache, base, token, "kiosk-bench")
        base_rss = rss_mib()
        peak = [base_rss]
        stop = threading.Event()

        def sample() -> None:
            while not stop.is_set():
                peak[0] = max(peak[0], rss_mib())
                time.sleep(0.02)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        plat0, own0 = proc_cpu(proc.pid), os.times()
        t0 = time.perf_counter()
        report = engine.sync_once()
        elapsed = time.perf_counter() - t0
        plat1, own1 = proc_cpu(proc.pid), os.times()
        stop.set()
        sampler.join()
        assert report.acked == n and report.still_pending == 0, report
        result = {"records": n, "attachments": report.attachments_uploaded, "batches": report.batches,
                  "seconds": elapsed, "rate": n / elapsed, "rss_before": base_rss, "rss_peak": peak[0],
                  "kiosk_cpu": (own1.user - own0.user, own1.system - own0.system),
                  "platform_cpu": (plat1[0] - plat0[0], plat1[1] - plat0[1])}
        engine.close()
        cache.close()
        return result
    finally:
        proc.terminate()
        proc.wait(10)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000])
    args = ap.parse_args()
    print(f"load average {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f}")
    with tempfile.TemporaryDirectory() as tmp:
        for n in args.sizes:
            r = run(n, Path(tmp))
            print(f"drain {r['records']:>6} records + {r['attachments']:>3} attachments in {r['batches']:>3} "
                  f"batches: {r['seconds']:.2f} s = {r['rate']:,.0f} records/s "
                  f"({r['seconds'] / r['records'] * 1e6:.0f} µs/record); RSS {r['rss_before']:.0f} → "
                  f"peak {r['rss_peak']:.0f} MiB")
            per = 1e6 / r["records"]
            (ku, ks), (pu, ps) = r["kiosk_cpu"], r["platform_cpu"]
            print(f"       CPU µs/record: kiosk {ku * per:.0f} user + {ks * per:.0f} sys, "
                  f"platform {pu * per:.0f} user + {ps * per:.0f} sys")


if __name__ == "__main__":
    main()
