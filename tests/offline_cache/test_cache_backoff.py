"""Issue 14: backoff starts from the base again after any successful request. Uploads that
succeed between failures used to count for nothing, so a flaky link grew the backoff as if it
were down (200 records, 12 attachments, 35 % faults: ~55 s instead of a few)."""

from __future__ import annotations

import random
import time

from cache_testlib import application
from hostile_platform import Answer, HostilePlatform, accept_all

from offline_cache.sync import SyncEngine


def test_an_upload_that_succeeds_resets_the_backoff(make_cache) -> None:
    puts = {"n": 0}

    def every_other_upload_fails(method: str, path: str, body: bytes) -> Answer:
        if method == "PUT":
            puts["n"] += 1
            if puts["n"] % 2:
                return Answer(500, {"Content-Type": "application/json"}, b'{"error":{"code":"x"}}')
            return Answer(201, {"Content-Type": "application/json"}, b"{}")
        return accept_all(body)

    hostile = HostilePlatform(every_other_upload_fails)
    cache = make_cache()
    # base 0.05 s: ten failures each right after a success wait ≤ 0.5 s in all; counted as ten
    # failures in a row they would wait ~25 s (0.05 × 2^9 at the last)
    engine = SyncEngine(cache, hostile.base_url, "tok", "kiosk-test", backoff_base=0.05, backoff_cap=600,
                        connect_timeout=1, read_timeout=1, rng=random.Random(7))
    try:
        ids = [cache.enqueue("application", application(i), [cache.add_attachment(f"scan {i}".encode() * 99,
                                                                                  "image/jpeg")])
               for i in range(10)]
        deadline = time.monotonic() + 10
        while cache.pending_count() and time.monotonic() < deadline:
            engine.sync_once()  # no sync_now: the backoff is what is being tested
            time.sleep(0.01)
        assert puts["n"] == 20  # each attachment failed once, then went up
        assert cache.pending_count() == 0, engine.health()
        assert all(cache.get(i).state == "acked" for i in ids)
    finally:
        engine.close()
        hostile.stop()
