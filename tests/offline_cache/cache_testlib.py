"""Helpers of the offline cache tests: sample payloads with personal data, draining, the
exactly-once invariant check, and the crash-test child process."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from offline_cache.platform_server import RunningPlatform
from offline_cache.sealing import payload_sha256
from offline_cache.store import OfflineCache
from offline_cache.sync import SyncEngine

ROOT = Path(__file__).resolve().parents[2]
CHILD = Path(__file__).with_name("child_sync.py")

# Personal data of the fictional test identity: must never be found in the clear on disk/logs.
ID_NUMBER = "11010519491231002X"
NAME = "张伟测试"
ADDRESS = "北京市东城区景山前街4号"


def application(i: int = 0, **extra: Any) -> dict[str, Any]:
    return {"service_id": "S0101", "id_number": ID_NUMBER, "name": NAME, "address": ADDRESS,
            "phone": "13800138000", "form": {"bank": "工商银行", "n": i}, **extra}



FAST = dict(backoff_base=0.02, backoff_cap=0.1, connect_timeout=1.0, read_timeout=1.0,
            lease_seconds=30.0, interval=0.2)


def drain(engine: SyncEngine, timeout: float = 20.0) -> list[Any]:
    """sync_once until nothing is pending (bounded); returns the reports."""
    reports = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        engine.sync_now()
        reports.append(engine.sync_once())
        if engine.cache.pending_count() == 0:
            return reports
        time.sleep(0.05)
    raise AssertionError(f"not drained in {timeout}s: {engine.cache.counts()} last={reports[-1:]}")


def assert_exactly_once(cache: OfflineCache, platform: RunningPlatform, ids: list[str],
                        payloads: dict[str, dict[str, Any]] | None = None) -> None:
    """Every accepted record is on the platform exactly once with the same payload hash."""
    stored = {r["id"]: r for r in platform.store.list_records()}
    for rid in ids:
        info = cache.get(rid)
        assert info is not None and info.state == "acked", (rid, info)
        assert rid in stored, f"{rid} missing on the platform"
        assert stored[rid]["payload_sha256"] == info.payload_sha256
        assert stored[rid]["receipt_no"] == info.receipt_no
        if payloads is not None:
            assert payload_sha256(payloads[rid]) == info.payload_sha256
            assert platform.store.get_record(rid)["payload"] == payloads[rid]
    stats = platform.store.stats()
    assert stats["accepted_twice"] == 0


def run_child(db: Path, platform: RunningPlatform, *args: str, crash_at: str | None = None,
              timeout: float = 60.0) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("OFFLINE_CACHE_CRASH_AT", None)
    if crash_at:
        env["OFFLINE_CACHE_CRASH_AT"] = crash_at
    return subprocess.run([sys.executable, str(CHILD), str(db), platform.base_url, platform.token, *args],
                          env=env, capture_output=True, text=True, timeout=timeout)
