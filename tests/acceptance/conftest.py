"""The acceptance suite: each test is one citizen (:class:`tests.acceptance.person.Person`) at the
real kiosk window of the embedded default, in a fresh data directory."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.acceptance.person import Person


@pytest.fixture
def person(tmp_path: Path, qapp: object) -> Iterator[Person]:
    someone = Person(tmp_path / "data")
    try:
        yield someone
    finally:
        someone.leave()
