"""Drain time through a faulty platform, before and after a change, side by side (issue 14).

200 application records, 12 of them with a 50 KiB attachment, sent by a kiosk's background
sync thread (``SyncEngine.start()``, production backoff: base 2 s, cap 600 s) to the reference
platform running as its own process (``python main.py platform``) with 35 % of requests to
``/v1/`` failing: 20 % answer 500, then 15 % of all requests are a TCP reset (the rule's rate
is 0.1875 of the remaining 80 %). The clock stops when nothing is pending.

"Before" is the ``offline_cache/`` package of ``--base`` (default ``git merge-base HEAD main``)
extracted with ``git archive`` into a temporary directory; "after" is this working tree. Each
side runs in its own child process with ``PYTHONPATH`` set to its tree, against a fresh
platform, for the same seeds (the platform's fault draws and the engine's jitter; thread timing
still varies a little).

    .venv/bin/python benchmarks/bench_sync_faults.py [--runs 5] [--base REV]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RECORDS, ATTACHMENTS = 200, 12
FAULTS = [{"fault": "error", "rate": 0.20, "path": "/v1/"},
          {"fault": "reset", "rate": 0.1875, "path": "/v1/"}]  # 0.20 + 0.80 × 0.1875 = 0.35


def child(db: str, base_url: str, token: str, seed: str) -> None:
    """Runs with PYTHONPATH = the tree under test: fill a cache, drain it, print the time."""
    from offline_cache.store import OfflineCache
    from offline_cache.sync import SyncEngine

    cache = OfflineCache(db)
    every = RECORDS // ATTACHMENTS + 1
    for i in range(RECORDS):
        atts = [cache.add_attachment(os.urandom(50 * 1024), "image/jpeg")] if i % every == 0 else []
        cache.enqueue("application", {"service_id": "S0101", "id_number": "11010519491231002X",
                                      "name": "张伟", "phone": "13800138000", "form": {"n": i}}, atts)
    # the backoff jitter is seeded too, so both sides draw the same delays for the same seed
    engine = SyncEngine(cache, base_url, token, "kiosk-bench", connect_timeout=5, read_timeout=30,
                        rng=random.Random(int(seed)))
    t0 = time.monotonic()
    engine.start()
    while cache.pending_count() or cache.counts()["inflight"]:
        if time.monotonic() - t0 > 600:
            break
        time.sleep(0.02)
    elapsed = time.monotonic() - t0
    counts = cache.counts()
    engine.close()
    print(json.dumps({"seconds": elapsed, "counts": counts,
                      "attachments": sum(1 for i in range(RECORDS) if i % every == 0)}))


def start_platform(data: Path) -> tuple[subprocess.Popen[str], str, str, str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen([sys.executable, "main.py", "--log-level", "WARNING", "platform", "--port", "0",
                             "--data-dir", str(data)], cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    proc.stdout.readline()
    base = json.loads((data / "platform-endpoint.json").read_text())["base_url"]
    creds = json.loads((data / "platform-credentials.json").read_text())
    return proc, base, creds["device_token"], creds["admin_token"]


def one_run(tree: Path, tmp: Path, seed: int) -> dict[str, object]:
    sys.path.insert(0, str(ROOT))
    from offline_cache.platform_server import PlatformAdmin

    proc, base, token, admin_token = start_platform(tmp / "platform")
    try:
        admin = PlatformAdmin(base, admin_token)
        admin.set_faults(FAULTS, seed=seed)
        env = {**os.environ, "PYTHONPATH": str(tree)}
        out = subprocess.run([sys.executable, __file__, "--child", str(tmp / "cache.db"), base, token, str(seed)],
                             env=env, capture_output=True, text=True, timeout=900, cwd=tmp)
        if out.returncode:
            raise RuntimeError(out.stderr[-2000:])
        result: dict[str, object] = json.loads(out.stdout.strip().splitlines()[-1])
        result["fired"] = admin.stats()["faults"]["fired"]
        return result
    finally:
        proc.terminate()
        proc.wait(10)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--base", default=None, help="the 'before' commit (default: merge-base HEAD main)")
    ap.add_argument("--child", nargs=4, metavar=("DB", "BASE_URL", "TOKEN", "SEED"))
    args = ap.parse_args()
    if args.child:
        child(*args.child)
        return
    base_rev = args.base or subprocess.run(["git", "merge-base", "HEAD", "main"], cwd=ROOT, text=True,
                                           capture_output=True, check=True).stdout.strip()
    with tempfile.TemporaryDirectory() as tmpdir:
        tmp = Path(tmpdir)
        before = tmp / "before"
        before.mkdir()
        archive = subprocess.run(["git", "archive", base_rev, "offline_cache"], cwd=ROOT,
                                 capture_output=True, check=True).stdout
        subprocess.run(["tar", "-x", "-C", str(before)], input=archive, check=True)
        print(f"{RECORDS} records, {ATTACHMENTS} attachments, 35 % faults on /v1/ "
              f"(500 / reset); before = {base_rev[:10]}, after = working tree")
        times: dict[str, list[float]] = {"before": [], "after": []}
        for seed in range(1, args.runs + 1):
            for label, tree in (("before", before), ("after", ROOT)):
                run_dir = tmp / f"{label}-{seed}"
                run_dir.mkdir()
                r = one_run(tree, run_dir, seed)
                times[label].append(float(r["seconds"]))  # type: ignore[arg-type]
                print(f"  seed {seed} {label:>6}: {r['seconds']:6.1f} s  counts {r['counts']}  "
                      f"faults fired {r['fired']}", flush=True)
        for label, values in times.items():
            print(f"{label:>6}: median {statistics.median(values):.1f} s "
                  f"(min {min(values):.1f}, max {max(values):.1f}) over {len(values)} runs")


if __name__ == "__main__":
    main()
