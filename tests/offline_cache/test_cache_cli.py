"""``python main.py cache ...`` for technicians, run as a separate process against a live platform;
its output and logs are checked for personal data too."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from cache_testlib import ADDRESS, ID_NUMBER, NAME, ROOT, application

from offline_cache.store import OfflineCache


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "main.py", "--log-level", "DEBUG", "cache", *args], cwd=ROOT,
                          env=env, capture_output=True, text=True, timeout=60)


def test_status_sync_dead_letters_retry_discard(platform, tmp_path: Path) -> None:
    data = tmp_path / "kiosk"
    cache = OfflineCache(data / "offline-cache.db")
    good = [cache.enqueue("application", application(i)) for i in range(5)]
    bad = cache.enqueue("selfie", {"x": 1, "name": NAME})
    cache.close()
    base = ["--data-dir", str(data)]
    status = cli(*base, "--json", "status")
    assert status.returncode == 0 and json.loads(status.stdout)["counts"]["pending"] == 6
    creds = str(platform.data_dir / "platform-credentials.json")
    synced = cli(*base, "--platform-url", platform.base_url, "--credentials", creds, "sync")
    assert synced.returncode == 0, synced.stderr
    assert "accepted 5" in synced.stdout and "dead letters 1" in synced.stdout
    dead = cli(*base, "dead-letters")
    assert bad in dead.stdout and "unknown_kind" in dead.stdout
    assert cli(*base, "retry", bad).returncode == 0
    assert cli(*base, "retry", good[0]).returncode == 1  # not a dead letter
    again = cli(*base, "--platform-url", platform.base_url, "--token", platform.token, "sync")
    assert "dead letters 1" in again.stdout
    assert cli(*base, "discard", bad, "--reason", "test kind").returncode == 0
    final = json.loads(cli(*base, "--json", "status").stdout)["counts"]
    assert final == {"pending": 0, "inflight": 0, "acked": 5, "dead": 0, "discarded": 1}
    wrong = cli(*base, "--platform-url", platform.base_url, "--token", "nope", "sync")
    assert wrong.returncode == 0  # nothing pending: nothing sent
    everything = "".join(p.stdout + p.stderr for p in (status, synced, dead, again))
    for needle in (ID_NUMBER, NAME, ADDRESS):
        assert needle not in everything


def test_sync_with_a_revoked_token_exits_3(platform, tmp_path: Path) -> None:
    data = tmp_path / "kiosk"
    cache = OfflineCache(data / "offline-cache.db")
    cache.enqueue("rating", {"level": "满意"})
    cache.close()
    done = cli("--data-dir", str(data), "--platform-url", platform.base_url, "--token", "revoked", "sync")
    assert done.returncode == 3 and "ALERT platform_auth" in done.stderr


def test_status_of_a_wrong_path_says_so_and_creates_nothing(tmp_path: Path) -> None:
    out = cli("--data-dir", str(tmp_path / "typo"), "status")
    assert out.returncode == 2
    assert "no offline cache at" in out.stderr and "typo" in out.stderr
    assert not (tmp_path / "typo").exists()
