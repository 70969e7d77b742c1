"""``[sms]`` in hall.toml: typed, off by default, clear messages for bad values, the secret only
in credentials.json."""

from __future__ import annotations

from pathlib import Path

import pytest

from queueing.embedded import build_service
from queueing.hallconfig import ConfigError, load_hall, load_sms, parse_hall, sample_hall_toml


def test_off_by_default_and_typed(tmp_path: Path) -> None:
    load_hall(tmp_path)
    assert load_sms(tmp_path).enabled is False
    with (tmp_path / "hall.toml").open("a", encoding="utf-8") as fh:
        fh.write('\n[sms]\nenabled = true\nsp_id = "901234"\nturn_near = 2\n'
                 '[sms.turn_near_by_service]\nS0301 = 5\n')
    sms = load_sms(tmp_path)
    assert (sms.enabled, sms.turn_near, sms.turn_near_by_service) == (True, 2, {"S0301": 5})


@pytest.mark.parametrize(("table", "names"), [
    ('enabled = "yes"', "sms.enabled"),
    ('sp_id = "9012345"', "sms.sp_id"),
    ("turn_near = -1", "sms.turn_near"),
    ('secret = "x"', "sms.secret"),  # the secret has no place in hall.toml
])
def test_bad_values_name_the_key(table: str, names: str) -> None:
    with pytest.raises(ConfigError, match=names.replace(".", r"\.")):
        parse_hall(sample_hall_toml() + f"\n[sms]\n{table}\n")


def test_an_unknown_service_override_is_refused(tmp_path: Path) -> None:
    load_hall(tmp_path)
    with (tmp_path / "hall.toml").open("a", encoding="utf-8") as fh:
        fh.write("\n[sms.turn_near_by_service]\nS9999 = 1\n")
    with pytest.raises(ConfigError, match="S9999"):
        load_sms(tmp_path)


def test_enabled_without_the_secret_does_not_start(tmp_path: Path) -> None:
    load_hall(tmp_path)
    with (tmp_path / "hall.toml").open("a", encoding="utf-8") as fh:
        fh.write('\n[sms]\nenabled = true\nsp_id = "901234"\n')
    with pytest.raises(ConfigError, match=r"sms_secret in credentials\.json"):
        build_service(tmp_path)
