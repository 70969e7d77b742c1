"""hall.toml: the sample hall written on first start, and validation messages naming the bad key."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from queue_helpers import small_hall

from queueing.hallconfig import CATALOGUE, ConfigError, load_credentials, load_hall, parse_hall


def test_sample_hall_matches_the_catalogue(tmp_path: Path) -> None:
    hall = load_hall(tmp_path)
    assert (tmp_path / "hall.toml").exists()
    cat = json.loads(CATALOGUE.read_text(encoding="utf-8"))
    queued = [*cat["services"], *cat.get("bundles", [])]  # a 一件事 bundle is queued as one service
    assert set(hall.services) == {s["id"] for s in queued}
    for s in queued:
        assert hall.services[s["id"]].prefix == s["prefix"]
    assert {z.name for z in hall.zones} >= {
        "人社医保服务区",
        "不动产登记交易区",
        "公安业务板块",
        "综合受理板块",
    }
    names = {c.name for c in hall.counters.values()}
    assert {"总服务台", "帮办代办", "咨询服务", "投诉受理"} <= names
    assert len(hall.counters["W01"].services) > 5  # 一窗受理
    assert [c.id for c in hall.counters_serving("B0101")] == ["W16"]  # 新生儿出生一件事 at the 一件事 window
    assert all(hall.counters_serving(sid) for sid in hall.services)  # every service has a counter
    assert load_hall(tmp_path) == hall  # a second start reads the same file


def test_credentials_are_created_once(tmp_path: Path) -> None:
    a = load_credentials(tmp_path)
    assert load_credentials(tmp_path) == a
    assert len(set(a.values())) == 5


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda s: s.replace("version = 1", "version = 2"), "version = 2 is not supported"),
        (
            lambda s: s.replace('kind = "strict"', 'kind = "fifo"'),
            "policy.kind: expected one of strict, interleave, aging, got 'fifo'",
        ),
        (lambda s: s.replace('prefix = "B"', 'prefix = "BB"'), "services[1].prefix"),
        (
            lambda s: s.replace('services = ["S1"]', 'services = ["S7"]'),
            "counters[1].services: unknown service 'S7'",
        ),
        (lambda s: s.replace("max_recalls = 2", "max_recals = 2"), "policy.max_recals: unknown key"),
        (lambda s: s.replace('opening_hours = "00:00-24:00"', 'opening_hours = "9-5"'), "hall.opening_hours"),
        (lambda s: s.replace('timezone = "Asia/Shanghai"', 'timezone = "Mars/Base"'), "hall.timezone"),
        (
            lambda s: s.replace("typical_service_minutes = 10", 'typical_service_minutes = "ten"', 1),
            "services[0].typical_service_minutes: expected a number, got 'ten'",
        ),
        (lambda s: s + '\n[[counters]]\nid = "C1"\nname = "x"\nservices = ["S1"]\n', "duplicate counter id"),
        (lambda s: s.replace("[policy]", "[policy\n"), "not valid TOML"),
        (lambda s: s.replace('timezone = "Asia/Shanghai"', 'timezone = "Asia/Shanghai"\ncatch_all_service = "S9"'),
         "hall.catch_all_service: unknown service 'S9'"),
    ],
)
def test_validation_names_the_bad_key(edit, message: str) -> None:
    with pytest.raises(ConfigError) as info:
        parse_hall(edit(small_hall()), "hall.toml")
    assert message in str(info.value)
    assert str(info.value).startswith("hall.toml")


def test_the_catch_all_service_is_typed_and_optional(tmp_path: Path) -> None:
    """兜底: the sample hall names its 咨询服务; a hall.toml without the key has none."""
    assert load_hall(tmp_path / "sample").catch_all_service == "S0501"
    assert parse_hall(small_hall()).catch_all_service is None
    named = small_hall().replace('timezone = "Asia/Shanghai"', 'timezone = "Asia/Shanghai"\ncatch_all_service = "S2"')
    assert parse_hall(named).catch_all_service == "S2"
