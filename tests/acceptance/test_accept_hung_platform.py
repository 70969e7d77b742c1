"""A hung platform (it accepts the connection and never answers) configured in kiosk.toml: the
kiosk's home screen appears about as fast as with no platform at all, and a citizen's status
look-up answers within seconds, from the stored copy with its age, instead of freezing."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from common.i18n import translate
from tests.acceptance.person import Person


@pytest.fixture
def hung_platform() -> Iterator[str]:
    """A loopback server that accepts every connection and never says a word."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(64)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                conn, _ = server.accept()
                held.append(conn)  # keep it open: the client waits for an answer that never comes
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.getsockname()[1]}"
    finally:
        stop.set()
        thread.join(2)
        for conn in held:
            conn.close()
        server.close()


def kiosk_toml(path: Path, platform_url: str) -> Path:
    path.write_text(f'version = 1\n\n[platform]\nurl = "{platform_url}"\ntoken = "kiosk-token"\n'
                    'hall_key = "hall-key"\n', encoding="utf-8")
    return path


def time_to_home(tmp: Path, config: Path) -> tuple[float, Person]:
    start = time.monotonic()
    person = Person(tmp / "data", config=config)
    person.wait_for(translate("zh_CN", "home.title"), timeout=60)
    return time.monotonic() - start, person


def test_home_appears_without_waiting_for_a_hung_platform(tmp_path: Path, qapp: object, hung_platform: str) -> None:
    baseline, person = time_to_home(tmp_path / "off", kiosk_toml(tmp_path / "off.toml", "off"))
    person.leave()
    hung, person = time_to_home(tmp_path / "hung", kiosk_toml(tmp_path / "hung.toml", hung_platform))
    try:
        print(f"home: {baseline:.1f} s without a platform, {hung:.1f} s with a hung one")
        assert hung < baseline + 3.0, f"home after {hung:.1f} s with a hung platform, {baseline:.1f} s without"
        # The kiosk is usable right away: a guide opens from the sample catalogue.
        person.tap(translate("zh_CN", "home.guide"))
        person.wait_for(translate("zh_CN", "guide.title"), timeout=5)
    finally:
        person.leave()


def test_a_status_look_up_answers_from_the_stored_copy_within_seconds(tmp_path: Path, hung_platform: str) -> None:
    from offline_cache.client import PlatformClient
    from offline_cache.pulls import NotCachedError, PullCache
    from offline_cache.store import OfflineCache

    cache = OfflineCache(tmp_path / "cache.db")
    client = PlatformClient(hung_platform, "kiosk-token", "kiosk-01", connect_timeout=5, read_timeout=10)
    pulls = PullCache(cache, client, wait_s=2.0)
    try:
        start = time.monotonic()
        with pytest.raises(NotCachedError):
            pulls.application_status("SQ2026000001")
        assert time.monotonic() - start < 3.0
        # an answer the kiosk had stored earlier (its last successful look-up)
        cache.pull_put("application:SQ2026000002", json.dumps({"receipt_no": "SQ2026000002",
                                                                "status": "accepted"}), None)
        start = time.monotonic()
        pulled = pulls.application_status("SQ2026000002")
        assert time.monotonic() - start < 3.0
        assert not pulled.fresh and pulled.data["status"] == "accepted" and pulled.age_seconds >= 0
        assert pulled.error and "2 s" in pulled.error
    finally:
        client.close()
        cache.close()
