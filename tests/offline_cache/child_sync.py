"""A syncing process for the crash tests: ``child_sync.py DB BASE_URL TOKEN [enqueue N] [sync]``.

Run with ``OFFLINE_CACHE_CRASH_AT`` set, it dies (``os._exit``, like kill -9) at that point."""

from __future__ import annotations

import json
import sys
import time

from offline_cache.store import OfflineCache
from offline_cache.sync import SyncEngine


def main() -> int:
    db, base_url, token, *actions = sys.argv[1:]
    cache = OfflineCache(db)
    engine = SyncEngine(cache, base_url, token, "kiosk-child", backoff_base=0.02, backoff_cap=0.1,
                        connect_timeout=1.0, read_timeout=2.0, batch_size=int(_opt(actions, "batch", 100)))
    made = []
    if "enqueue" in actions:
        n = int(actions[actions.index("enqueue") + 1])
        att = None
        for i in range(n):
            if i % 7 == 0:
                att = cache.add_attachment(f"scan-{i}".encode() * 200, "image/jpeg")
            payload = {"service_id": "S0101", "id_number": "11010519491231002X", "name": "张伟测试", "n": i}
            made.append(cache.enqueue("application", payload, [att] if i % 7 == 0 else []))
        print(json.dumps({"enqueued": made}), flush=True)
    if "sync" in actions:
        deadline = time.monotonic() + 30
        while cache.pending_count() and time.monotonic() < deadline:
            engine.sync_now()
            engine.sync_once()
            if "slow" in actions:
                time.sleep(0.01)
    print(json.dumps({"counts": cache.counts()}), flush=True)
    return 0


def _opt(actions: list[str], name: str, default: object) -> object:
    return actions[actions.index(name) + 1] if name in actions else default


if __name__ == "__main__":
    sys.exit(main())
