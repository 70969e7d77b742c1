"""Appointments reach the hall from the platform, never from a kiosk: a real ``main.py hall-server``
pulls its day's list from the reference platform (a real HTTP server on loopback), so a citizen's
code checks in although no kiosk wrote it, and the kiosk's token still may not write one."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from offline_cache.platform_server import RunningPlatform, start_reference_platform
from offline_cache.platform_store import DEMO_APPOINTMENT_CODE
from tests.queueing.queue_helpers import ServerProcess


@pytest.fixture
def platform(tmp_path: Path) -> Iterator[RunningPlatform]:
    running = start_reference_platform(tmp_path / "platform")
    yield running
    running.stop()


def test_a_booking_on_the_platform_checks_in_at_the_hall(tmp_path: Path, platform: RunningPlatform) -> None:
    data = tmp_path / "hall"
    data.mkdir()
    server = ServerProcess(data, env={"HALL_PLATFORM_TOKEN": platform.token},
                           args=("--platform-url", platform.base_url)).start()
    try:
        kiosk = {"Authorization": f"Bearer {server.token('kiosk')}"}
        # the kiosk may not write appointments (issue 14): the hall has them from the platform
        forged = requests.post(server.base_url + "/api/v1/appointments", headers=kiosk, timeout=10,
                               json={"appointments": []})
        assert forged.status_code == 403
        answer = requests.post(server.base_url + "/api/v1/tickets", headers=kiosk, timeout=20,
                               json={"priority": "appointment", "appointment_code": DEMO_APPOINTMENT_CODE})
        assert answer.status_code == 201, answer.text
        assert answer.json()["ticket"]["priority"] == "appointment"
    finally:
        server.stop()
