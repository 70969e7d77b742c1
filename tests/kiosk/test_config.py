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


def test_drop_ins_override_the_base_in_name_order(tmp_path: Path) -> None:
    data = tmp_path / "data"
    base = tmp_path / "kiosk.toml"
    base.write_text(f'version = 1\ndata_dir = "{data.as_posix()}"\n[kiosk]\nid = "kiosk-03"\n'
                    '[devices.printer]\npaper_mm = 80\n')
    (data / "kiosk.d").mkdir(parents=True)
    (data / "kiosk.d" / "10-site.toml").write_text('[devices.printer]\npaper_mm = 58\n[kiosk]\nlanguage = "en"\n')
    (data / "kiosk.d" / "technician.toml").write_text('[devices.printer]\npaper_mm = 80\n')
    config = load_config(base)
    assert (config.devices.printer.paper_mm, config.kiosk.language, config.kiosk.id) == (80, "en", "kiosk-03")
    assert load_config(base, data_dir=str(tmp_path / "elsewhere")).devices.printer.paper_mm == 80


@pytest.mark.parametrize(("layer", "message"), [
    ('[devices.printer]\npaper_mm = 70\n', "technician.toml: devices.printer.paper_mm: expected one of 58, 80, got 70"),
    ('data_dir = "/tmp"\n', "technician.toml: data_dir: set it in the base file"),
    ('[devices\n', "technician.toml: not valid TOML"),
])
def test_a_bad_drop_in_is_named(tmp_path: Path, layer: str, message: str) -> None:
    base = tmp_path / "kiosk.toml"
    base.write_text(f'version = 1\ndata_dir = "{tmp_path.as_posix()}"\n')
    (tmp_path / "kiosk.d").mkdir()
    (tmp_path / "kiosk.d" / "technician.toml").write_text(layer)
    with pytest.raises(ConfigError) as err:
        load_config(base)
    assert message in str(err.value)


def test_config_is_typed_and_sections_frozen() -> None:
    from pydantic import ValidationError

    from devices.config import DevicesConfig

    config = Config()
    assert isinstance(config.devices, DevicesConfig)
    with pytest.raises(ValidationError):
        config.kiosk.id = "other"  # type: ignore[misc]  # frozen: the point of the test
    with pytest.raises(ValidationError):
        config.platform.sync_interval_s = "soon"  # type: ignore[assignment]  # validated assignment
