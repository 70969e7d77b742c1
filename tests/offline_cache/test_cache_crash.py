"""Crash tests: a syncing process dies (``os._exit`` at a named point, or a real SIGKILL) and a
restarted one finishes the job; two processes drain one cache at once. Invariant each time:
every record the cache accepted is on the platform exactly once with the same payload hash."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from cache_testlib import CHILD, ROOT, application, assert_exactly_once, drain, run_child

from offline_cache.crash import EXIT_CODE
from offline_cache.store import OfflineCache


def prepare(db: Path, n: int = 50) -> tuple[list[str], dict[str, dict]]:
    cache = OfflineCache(db)
    ids, payloads = [], {}
    for i in range(n):
        atts = [cache.add_attachment(f"scan {i}".encode() * 64, "image/png")] if i % 7 == 0 else []
        payload = application(i)
        rid = cache.enqueue("application", payload, atts)
        ids.append(rid)
        payloads[rid] = payload
    cache.close()
    return ids, payloads


@pytest.mark.parametrize("point", ["after_claim", "mid_attachment", "after_send_before_ack",
                                   "ack_before_commit", "after_ack"])
def test_kill_at_crash_point_then_restart(platform, make_engine, tmp_path: Path, point: str) -> None:
    db = tmp_path / "kiosk" / "cache.db"
    ids, payloads = prepare(db)
    done = run_child(db, platform, "sync", crash_at=point)
    assert done.returncode == EXIT_CODE, done.stderr[-2000:]
    cache = OfflineCache(db)
    on_platform = {r["id"] for r in platform.store.list_records()} & set(ids)
    if point in ("after_send_before_ack", "ack_before_commit"):
        assert on_platform and all(cache.get(i).state != "acked" for i in on_platform)
    if point in ("after_claim", "mid_attachment"):
        assert not on_platform and cache.counts()["inflight"] > 0
    reports = drain(make_engine(cache))
    if point in ("after_send_before_ack", "ack_before_commit"):
        assert sum(r.duplicates for r in reports) == len(on_platform)
    assert_exactly_once(cache, platform, ids, payloads)
    cache.close()


def test_kill_while_the_next_batch_is_leased_then_restart(platform, make_engine, tmp_path: Path) -> None:
    """While the platform answers a batch the engine has already leased the next one and sent
    its attachments (issue 16). Killed right then: the answered batch is on the platform but
    not acked, the next one is leased by a process that is gone; a restarted engine takes both
    over and every record ends on the platform exactly once."""
    db = tmp_path / "kiosk" / "cache.db"
    ids, payloads = prepare(db)
    done = run_child(db, platform, "sync", "batch", "10", crash_at="after_send_before_ack")
    assert done.returncode == EXIT_CODE, done.stderr[-2000:]
    cache = OfflineCache(db)
    on_platform = {r["id"] for r in platform.store.list_records()} & set(ids)
    assert len(on_platform) == 10 and cache.counts()["inflight"] == 20  # the answered batch and the next
    reports = drain(make_engine(cache))
    assert sum(r.duplicates for r in reports) == 10
    assert_exactly_once(cache, platform, ids, payloads)
    cache.close()


def test_kill_before_the_enqueue_commits_tells_nobody(platform, tmp_path: Path) -> None:
    db = tmp_path / "kiosk" / "cache.db"
    done = run_child(db, platform, "enqueue", "3", crash_at="enqueue_before_commit")
    assert done.returncode == EXIT_CODE
    assert "enqueued" not in done.stdout  # the citizen was never told it was submitted
    cache = OfflineCache(db)
    assert cache.pending_count() == 0 and cache.records() == []
    assert list(cache.attachments_dir.iterdir())  # the photo was written first ...
    assert cache.purge_expired(now=time.time() + 25 * 3600)["attachments"] == 1  # ... and is cleaned up
    cache.close()


def test_real_sigkill_while_draining(platform, make_engine, tmp_path: Path) -> None:
    db = tmp_path / "kiosk" / "cache.db"
    ids, payloads = prepare(db, 400)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("OFFLINE_CACHE_CRASH_AT", None)
    child = subprocess.Popen([sys.executable, str(CHILD), str(db), platform.base_url, platform.token,
                              "sync", "slow", "batch", "5"], env=env,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 20
        while platform.store.stats()["records"] < 3 + 50 and time.monotonic() < deadline:
            time.sleep(0.01)
        child.send_signal(signal.SIGKILL)
        child.wait(10)
    finally:
        if child.poll() is None:
            child.kill()
    assert child.returncode == -signal.SIGKILL
    cache = OfflineCache(db)
    assert cache.pending_count() > 0  # killed mid-way
    drain(make_engine(cache))
    assert_exactly_once(cache, platform, ids, payloads)
    cache.close()


def test_two_processes_drain_one_cache(platform, tmp_path: Path) -> None:
    db = tmp_path / "kiosk" / "cache.db"
    ids, payloads = prepare(db, 300)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("OFFLINE_CACHE_CRASH_AT", None)
    procs = [subprocess.Popen([sys.executable, str(CHILD), str(db), platform.base_url, platform.token,
                               "sync", "batch", "10"], env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for _ in range(2)]
    outs = [p.communicate(timeout=60) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], [o[1][-1000:] for o in outs]
    assert json.loads(outs[0][0].strip().splitlines()[-1])["counts"]["pending"] == 0
    cache = OfflineCache(db)
    assert_exactly_once(cache, platform, ids, payloads)
    assert platform.store.stats()["ingest"].get("duplicate", 0) == 0
    cache.close()
