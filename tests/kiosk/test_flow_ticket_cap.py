"""「今日号源已发完」: a kiosk configured against a real ``hall-server`` process whose 咨询服务 takes
two tickets a day; the third citizen is told in plain words, in both languages."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import tomlkit

from kiosk.assembly import assemble_kiosk
from kiosk.config import load_config
from queueing.hallconfig import sample_hall_toml
from tests.kiosk.conftest import Kiosk, make_config
from tests.queueing.queue_helpers import ServerProcess

CAPPED, CAP = "S0501", 2  # 咨询服务: not real-name, so no card is needed


@pytest.fixture
def capped_hall(tmp_path: Path) -> Iterator[ServerProcess]:
    data = tmp_path / "hall"
    data.mkdir()
    doc = tomlkit.parse(sample_hall_toml())
    for service in doc["services"]:  # type: ignore[union-attr]
        if service["id"] == CAPPED:
            service["daily_cap"] = CAP
    # 咨询服务 is not real-name: every ticket is anonymous, so the whole cap is open to them here
    doc["policy"]["anonymous_share"] = 1.0  # type: ignore[index]
    (data / "hall.toml").write_text(tomlkit.dumps(doc), encoding="utf-8")
    server = ServerProcess(data, heartbeat=1.0).start()
    yield server
    server.stop()


@pytest.fixture
def kiosk_at_capped_hall(tmp_path: Path, capped_hall: ServerProcess) -> Iterator[Kiosk]:
    # as the operator does it: [hall_service] in the kiosk's configuration file (the section is frozen)
    toml = tmp_path / "kiosk.toml"
    toml.write_text(f'version = 1\n[hall_service]\nurl = "{capped_hall.base_url}"\n'
                    f'token = "{capped_hall.token("kiosk")}"\n', encoding="utf-8")
    config = load_config(toml, data_dir=make_config(tmp_path).data_dir)
    config.platform.sync_interval_s = 1.0
    assembly = assemble_kiosk(config)
    try:
        yield Kiosk(assembly)
    finally:
        assembly.stop()


def _take(kiosk: Kiosk) -> dict:
    kiosk.act("home")
    kiosk.act("start", flow="ticket")
    kiosk.act("choose", id="assist")
    return kiosk.act("choose", id=CAPPED)


def test_no_tickets_left_today_is_explained(kiosk_at_capped_hall: Kiosk) -> None:
    kiosk = kiosk_at_capped_hall
    for n in range(1, CAP + 1):
        view = _take(kiosk)
        assert view["state"] == "done" and view["screen"]["number"] == f"E{n:03d}"
    view = _take(kiosk)
    assert view["state"] == "error"
    assert view["screen"]["title"] == "今日号源已发完"
    assert any("今天的号已经取完" in line for line in view["screen"]["lines"])
    kiosk.act("language", language="en")  # the citizen presses "English" and tries again
    view = kiosk.act("retry")
    assert view["state"] == "error" and view["screen"]["title"] == "No tickets left today"
