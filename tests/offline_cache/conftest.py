"""Fixtures of the offline cache tests: a real reference platform on a free loopback port,
caches in tmp dirs, and sync engines tuned to run in seconds."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from cache_testlib import FAST

from offline_cache.platform_server import RunningPlatform, start_reference_platform
from offline_cache.store import OfflineCache
from offline_cache.sync import SyncEngine


@pytest.fixture
def platform(tmp_path: Path) -> Iterator[RunningPlatform]:
    running = start_reference_platform(tmp_path / "platform", status_step_seconds=0.3)
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture
def make_cache(tmp_path: Path) -> Iterator[Callable[..., OfflineCache]]:
    opened: list[OfflineCache] = []

    def make(name: str = "cache.db", **kw: Any) -> OfflineCache:
        cache = OfflineCache(tmp_path / "kiosk" / name, **kw)
        opened.append(cache)
        return cache

    yield make
    for cache in opened:
        try:
            cache.close()
        except Exception:
            pass





@pytest.fixture
def make_engine(platform: RunningPlatform) -> Iterator[Callable[..., SyncEngine]]:
    engines: list[SyncEngine] = []

    def make(cache: OfflineCache, device_id: str = "kiosk-test", **kw: Any) -> SyncEngine:
        engine = SyncEngine(cache, platform.base_url, platform.token, device_id, **{**FAST, **kw})
        engines.append(engine)
        return engine

    yield make
    for engine in engines:
        engine.close()


