"""The acceptance suite: each test is one citizen (:class:`tests.acceptance.person.Person`) at the
real kiosk window of the embedded default, in a fresh data directory."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.acceptance import person as person_module
from tests.acceptance.person import Person


@pytest.fixture(scope="session", autouse=True)
def journeys(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where the tasks' journeys go: ``$HALL_JOURNEYS`` (the docs' table script sets it), else
    the session's temporary directory."""
    import os

    path = Path(os.environ.get("HALL_JOURNEYS") or tmp_path_factory.getbasetemp() / "journeys.jsonl")
    person_module.JOURNEYS = path
    shots = os.environ.get("HALL_SUITE_SHOTS")
    if shots:  # the docs' table script: each task's last screen into docs/screenshots
        person_module.SHOTS = Path(shots)
        person_module.SHOTS.mkdir(parents=True, exist_ok=True)
    return path


@pytest.fixture
def people(tmp_path: Path, qapp: object) -> Iterator[Callable[..., Person]]:
    """Make a person at a window of another size (or a kiosk with its own kiosk.toml)."""
    made: list[Person] = []

    def make(size: tuple[int, int] | None = None, config: Path | None = None) -> Person:
        someone = Person(tmp_path / f"data{len(made)}", size, config=config)
        made.append(someone)
        return someone

    try:
        yield make
    finally:
        for someone in made:
            someone.leave()


@pytest.fixture
def person(tmp_path: Path, qapp: object) -> Iterator[Person]:
    someone = Person(tmp_path / "data")
    try:
        yield someone
    finally:
        someone.leave()
