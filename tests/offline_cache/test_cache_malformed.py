"""Defect 5 of issue 12: the platform refuses one record of a batch as malformed (400/422 for
the request). The protocol says: a bug; dead-letter what cannot be fixed, alert. The sync pass
must survive it, send the rest, and the technician must hear of it: ``main.py cache status``
(a separate process, reading the cache file) and the engine's health (the technician panel)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from cache_testlib import FAST, ROOT, application

from offline_cache.platform_server import RunningPlatform
from offline_cache.store import OfflineCache
from offline_cache.sync import SyncEngine


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "main.py", "cache", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize("status", [400, 422])
def test_cache_sync_survives_a_malformed_record_and_status_shows_the_alert(
        platform: RunningPlatform, tmp_path: Path, status: int) -> None:
    data = tmp_path / "kiosk"
    cache = OfflineCache(data / "offline-cache.db")
    ids = [cache.enqueue("application", application(i)) for i in range(4)]
    cache.close()
    # the platform chokes on the third record: any batch carrying it is refused as a whole
    platform.admin().add_fault(fault="bad_request", status=status, record_id=ids[2])
    base = ["--data-dir", str(data)]
    synced = cli(*base, "--platform-url", platform.base_url, "--token", platform.token, "sync")
    assert synced.returncode == 0, synced.stderr
    assert "Traceback" not in synced.stderr
    assert "accepted 3" in synced.stdout and "dead letters 1" in synced.stdout
    on_platform = {r["id"] for r in platform.admin().records("kiosk-01")}
    assert on_platform == {ids[0], ids[1], ids[3]}
    dead = cli(*base, "dead-letters")
    assert ids[2] in dead.stdout and "malformed" in dead.stdout
    status_out = cli(*base, "--json", "status")
    info = json.loads(status_out.stdout)
    assert info["counts"]["acked"] == 3 and info["counts"]["dead"] == 1
    alerts = [a for a in info["alerts"] if a["code"] == "malformed_request"]
    assert alerts and alerts[0]["details"]["record_id"] == ids[2]
    assert "ALERT malformed_request" in cli(*base, "status").stdout


def test_background_sync_dead_letters_it_and_the_technician_panel_sees_the_alert(
        platform: RunningPlatform, make_cache) -> None:
    cache: OfflineCache = make_cache()
    ids = [cache.enqueue("application", application(i)) for i in range(3)]
    platform.admin().set_faults([{"fault": "bad_request", "status": 422, "record_id": ids[0]}])
    engine = SyncEngine(cache, platform.base_url, platform.token, "kiosk-bg", **FAST)
    engine.start()
    try:
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline and cache.counts()["acked"] + cache.counts()["dead"] < 3:
            time.sleep(0.05)
        health = engine.health()
    finally:
        engine.close()
    assert cache.counts()["acked"] == 2 and cache.get(ids[0]).state == "dead"
    assert health.dead_letters == 1 and health.pending == 0
    assert health.last_alert is not None and health.last_alert["code"] == "malformed_request"
    assert any(a.code == "malformed_request" for a in cache.alerts)
