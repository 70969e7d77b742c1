"""Fixtures of the queue tests (helpers in queue_helpers.py)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from queue_helpers import FakeClock, ServerProcess, at, make_engine

from queueing.engine import QueueEngine


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(at(10))


@pytest.fixture
def engine(tmp_path: Path, clock: FakeClock) -> Iterator[QueueEngine]:
    e = make_engine(tmp_path / "hall", clock)
    yield e
    e.store.close()


@pytest.fixture
def server(tmp_path: Path) -> Iterator[ServerProcess]:
    data = tmp_path / "hall"
    data.mkdir()
    s = ServerProcess(data, heartbeat=1.0).start()
    yield s
    s.stop()
