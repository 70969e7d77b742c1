"""Configuration: defaults for everything, validation naming the bad key, round trip."""

from pathlib import Path

import pytest

from kiosk.config import Config, ConfigError, dump_config, load_config, parse_config


def test_empty_file_gives_the_embedded_default(tmp_path: Path) -> None:
    path = tmp_path / "kiosk.toml"
    path.write_text("version = 1\n")
    config = load_config(path)
    assert config == Config()
    assert config.devices.printer.connection == "sim"
    assert config.hall_service.url == ""


@pytest.mark.parametrize(
    ("toml", "message"),
    [
        ("[devices.printer]\npaper_mm = 70\n", "devices.printer.paper_mm: expected one of 58, 80, got 70"),
        ("[devices.idcard]\nbaud = \"fast\"\n", "devices.idcard.baud: expected a whole number"),
        ("[kiosk]\nlanguge = \"en\"\n", "kiosk.languge: unknown key"),
        ("version = 7\n", "version: this build reads configuration version 1"),
        ("[privacy]\nidle_seconds = -5\n", "privacy.idle_seconds: must not be negative"),
        ("[privacy]\ncountdown_seconds = 50\n", "privacy.countdown_seconds: must be shorter"),
        ("[kiosk\n", "not valid TOML"),
    ],
)
def test_bad_values_are_named(tmp_path: Path, toml: str, message: str) -> None:
    path = tmp_path / "kiosk.toml"
    path.write_text(toml)
    with pytest.raises(ConfigError) as err:
        load_config(path)
    assert message in str(err.value)
    assert str(path) in str(err.value)


def test_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="configuration file not found"):
        load_config(tmp_path / "nope.toml")


def test_dump_round_trips_and_hides_secrets() -> None:
    config = parse_config({"hall_service": {"url": "http://hall:8600", "token": "s3cret"},
                           "devices": {"printer": {"paper_mm": 58, "text_mode": "raster"}},
                           "display": {"quiet_hours": "12:00-13:30"}})
    import tomllib

    again = parse_config(tomllib.loads(dump_config(config)))
    assert again == config
    public = config.to_dict(secrets=False)
    assert public["hall_service"]["token"] == "***"
    assert "s3cret" not in str(public)
