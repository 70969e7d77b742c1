"""Fixtures of the queue tests (helpers in queue_helpers.py).

``store`` runs a test on both stores: SQLite (the hall's file) and PostgreSQL (a real server,
tests/pg_server.py, one fresh database per test). A module opts in with
``pytestmark = pytest.mark.usefixtures("store")``; its engines (``make_engine``) and hall-server
processes (``ServerProcess``, ``--store postgresql://…``) then use the chosen store."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from queue_helpers import FakeClock, ServerProcess, StoreChoice, at, make_engine

from queueing.engine import QueueEngine
from tests.pg_server import PgServer, missing_reason


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PgServer]:
    reason = missing_reason()
    if reason is not None:
        pytest.skip(f"PostgreSQL store not tested: {reason}")
    server = PgServer().start()
    yield server
    server.stop()


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request: pytest.FixtureRequest) -> Iterator[str]:
    if request.param == "postgresql":
        pg: PgServer = request.getfixturevalue("pg_server")
        StoreChoice.url, StoreChoice.empty = pg.new_database(), pg.empty_database
    yield request.param
    if StoreChoice.url is not None:
        pg.drop_database(StoreChoice.url)
    StoreChoice.url, StoreChoice.empty, StoreChoice.dirs = None, None, set()


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
