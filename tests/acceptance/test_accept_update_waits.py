"""A staged fleet update waits for the citizen at the kiosk (docs/updates.md): while someone is in
a flow beyond the home screen the kiosk does not leave for the new release; once they tap back to
the home screen it does. The restart itself is the UI's (ui/cli.py quits with status 75, proven
against a real kiosk process in tests/queueing/test_fleet_updates_idle.py); the kiosk window here
has no way to quit, so what shows the decision is the kiosk's journal line."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from tests.acceptance.person import Person

DECIDED = "nobody is served: restarting for release 1.1.0"


def test_the_update_waits_for_the_citizen_in_a_flow(people: Callable[..., Person], tmp_path: Path,
                                                    caplog: pytest.LogCaptureFixture) -> None:
    releases = tmp_path / "releases"
    for name in ("1.0.0", "1.1.0"):
        (releases / name).mkdir(parents=True)
    (releases / "current").symlink_to("1.0.0")
    now = datetime.now()
    toml = tmp_path / "kiosk.toml"
    toml.write_text(f'[updates]\nreleases_dir = "{releases}"\nidle_check_s = 0.3\n'
                    f'window = "{now - timedelta(hours=1):%H:%M}-{now + timedelta(hours=1):%H:%M}"\n',
                    encoding="utf-8")
    caplog.set_level(logging.INFO, logger="kiosk.updates")
    person = people(config=toml)
    person.tap("取号")
    person.wait_for("人社医保服务区")
    # while the citizen chooses, the night timer's check stages a release
    (releases / "staged").write_text("1.1.0", encoding="utf-8")
    person.wait(3)  # ten idle checks
    assert DECIDED not in caplog.text
    person.tap("返回首页")
    person.wait_for("您好，欢迎来办事")
    person.wait(1.5)
    assert DECIDED in caplog.text
