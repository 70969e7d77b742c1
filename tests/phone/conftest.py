"""Fixtures of the phone-page tests: a real hall service on a free port (with a clock the test
can move to the next day), the reference platform, and one headless Debian chromium driven by
Playwright for the browser tests."""

from __future__ import annotations

import json
import os
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from queueing.client import HallClient
from queueing.embedded import RunningHall, start_hall_service
from queueing.public_sources import PlatformSettings

CHROMIUM = os.environ.get("PHONE_TEST_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
PHONE = {"width": 390, "height": 844}


class MovableClock:
    """Wall time plus an offset a test can advance (e.g. to tomorrow)."""

    def __init__(self) -> None:
        self.offset = 0.0

    def __call__(self) -> float:
        return time.time() + self.offset


@pytest.fixture
def clock() -> MovableClock:
    return MovableClock()


@pytest.fixture
def hall(tmp_path: Path, clock: MovableClock) -> Iterator[RunningHall]:
    running = start_hall_service(tmp_path / "hall", clock=clock, heartbeat=2.0)
    yield running
    running.stop()


@pytest.fixture
def kiosk(hall: RunningHall) -> HallClient:
    return HallClient(hall.base_url, hall.token("kiosk"))


@pytest.fixture
def counter(hall: RunningHall) -> HallClient:
    return HallClient(hall.base_url, hall.token("counter"))


@pytest.fixture
def platform(tmp_path: Path):
    from offline_cache.platform_server import start_reference_platform

    running = start_reference_platform(tmp_path / "platform")
    yield running
    running.stop()


@pytest.fixture
def platform_hall(tmp_path: Path, platform) -> Iterator[RunningHall]:
    """A hall service that shares the platform's hall key (as the embedded default sets it up)
    and asks the platform for the catalogue and application status."""
    data = tmp_path / "hall-p"
    data.mkdir()
    (data / "credentials.json").write_text(json.dumps({"hall_key": platform.hall_key}))
    running = start_hall_service(data, heartbeat=2.0, platform=PlatformSettings(platform.base_url, platform.token))
    yield running
    running.stop()


@pytest.fixture(scope="session")
def browser():
    sync_api = pytest.importorskip("playwright.sync_api", reason="pip install playwright (dev extra)")
    if not shutil.which(CHROMIUM) and not Path(CHROMIUM).exists():
        pytest.skip(f"no chromium at {CHROMIUM} (Debian: apt-get install chromium)")
    with sync_api.sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, timeout=60_000)
        yield b
        b.close()


@pytest.fixture
def phone(browser):
    """A fresh phone-sized page (390x844, touch, 3x) in its own context; no network but ours."""
    ctx = browser.new_context(viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True,
                              locale="zh-CN")
    page = ctx.new_page()
    page.set_default_timeout(15_000)
    yield page
    ctx.close()


@pytest.fixture
def screenshots(tmp_path: Path) -> Path:
    """Where the browser tests save phone-size pictures: a temporary folder, or the folder named by
    HALL_KIOSK_SCREENSHOTS (``docs/screenshots`` to refresh the docs) so a test run leaves the tree clean."""
    keep = os.environ.get("HALL_KIOSK_SCREENSHOTS")
    out = Path(keep) if keep else tmp_path / "screenshots"
    out.mkdir(parents=True, exist_ok=True)
    return out
