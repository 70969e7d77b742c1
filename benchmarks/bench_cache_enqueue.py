"""Durable enqueue rate of the offline cache (WAL, synchronous=FULL: every enqueue is committed
and fsynced before it returns), with personal fields sealed by AES-GCM.

    .venv/bin/python benchmarks/bench_cache_enqueue.py [--n 3000] [--dir /tmp]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from offline_cache.store import OfflineCache


def payload(i: int) -> dict:
    return {"service_id": "S0101", "id_number": "11010519491231002X", "name": "张伟", "address":
            "北京市东城区景山前街4号", "phone": "13800138000", "form": {"bank": "工商银行", "n": i},
            "materials": ["居民身份证", "近期免冠彩色证件照"], "commitment_signed": True}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=3000)
    ap.add_argument("--dir", default=None, help="where the cache file goes (default: a temp dir)")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(dir=args.dir) as tmp:
        cache = OfflineCache(Path(tmp) / "bench.db")
        for i in range(50):  # warm up
            cache.enqueue("application", payload(i))
        t0 = time.perf_counter()
        for i in range(args.n):
            cache.enqueue("application", payload(i))
        plain = time.perf_counter() - t0
        photo = os.urandom(50 * 1024)
        m = max(100, args.n // 10)
        t0 = time.perf_counter()
        for i in range(m):
            cache.enqueue("application", payload(i), [(photo[:-8] + i.to_bytes(8, "big"), "image/jpeg")])
        with_att = time.perf_counter() - t0
        cache.close()
    print(f"enqueue (synchronous=FULL, sealed personal fields): {args.n} records in {plain:.2f} s "
          f"= {args.n / plain:,.0f} records/s ({plain / args.n * 1e3:.2f} ms each)")
    print(f"enqueue with one new 50 KiB attachment each (file fsynced + dir fsynced + commit): "
          f"{m} in {with_att:.2f} s = {m / with_att:,.0f} records/s")


if __name__ == "__main__":
    main()
