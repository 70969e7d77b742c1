"""Staff-role UI tests run against a real hall service process (``python main.py hall-server``)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.queueing.queue_helpers import ServerProcess


@pytest.fixture
def hall_server(tmp_path: Path) -> Iterator[ServerProcess]:
    data = tmp_path / "hall"
    data.mkdir()
    server = ServerProcess(data, heartbeat=1.0).start()
    yield server
    server.stop()
