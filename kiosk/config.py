"""Typed configuration of the kiosk-side roles (kiosk, display, counter, technician).

One TOML file with a ``version`` number; every key has a default, so an empty file (or none)
gives the embedded default: in-process hall service, reference platform, simulated devices.
Validation names the bad key and says what was expected, e.g.
``devices.printer.paper_mm: expected one of 58, 80, got 70``. Unknown keys are errors too:
a typo must not silently fall back to a default.
"""

from __future__ import annotations

import dataclasses
import tomllib
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from devices.config import DevicesConfig, parse_devices

CONFIG_VERSION = 1


class ConfigError(ValueError):
    """A configuration value is wrong; the message names the key."""


@dataclass
class KioskSection:
    id: str = "kiosk-01"
    hall_id: str = "demo-hall"
    hall_name: str = "示范区政务服务中心"
    language: str = "zh_CN"
    #: base URL of the hall's public pages (/t/, /a/, /g/) printed in QR codes
    public_base_url: str = ""
    demo_panel: bool = True

    _choices: ClassVar[dict[str, tuple]] = {"language": ("zh_CN", "en")}


@dataclass
class HallServiceSection:
    #: empty: run the hall service in-process (embedded default)
    url: str = ""
    token: str = ""
    timeout_s: float = 5.0


@dataclass
class PlatformSection:
    #: empty: the embedded demo starts the reference platform in-process; "off": no platform
    url: str = ""
    token: str = ""
    device_id: str = ""
    hall_key: str = ""
    ca_bundle: str = ""
    client_cert: str = ""
    client_key: str = ""
    timeout_s: float = 10.0
    sync_interval_s: float = 30.0


@dataclass
class PrivacySection:
    idle_seconds: int = 60
    form_idle_seconds: int = 45
    elder_idle_seconds: int = 120
    countdown_seconds: int = 15
    retention_days: int = 7


@dataclass
class TechnicianSection:
    #: salted hash written by ``main.py set-pin`` (docs/deploy.md); empty means the demo PIN 123456,
    #: accepted only while every device is simulated
    pin_hash: str = ""
    max_attempts: int = 5
    lockout_minutes: int = 5


@dataclass
class DisplaySection:
    voice: bool = True
    repeat: int = 2
    volume: float = 0.8
    quiet_hours: str = ""  # e.g. "12:00-13:30"
    show_names: bool = False


@dataclass
class Config:
    version: int = CONFIG_VERSION
    data_dir: str = "data"
    kiosk: KioskSection = field(default_factory=KioskSection)
    hall_service: HallServiceSection = field(default_factory=HallServiceSection)
    platform: PlatformSection = field(default_factory=PlatformSection)
    #: owned and validated by devices/ (pydantic); the device manager takes it as it is
    devices: DevicesConfig = field(default_factory=DevicesConfig)
    privacy: PrivacySection = field(default_factory=PrivacySection)
    technician: TechnicianSection = field(default_factory=TechnicianSection)
    display: DisplaySection = field(default_factory=DisplaySection)

    def has_real_devices(self) -> bool:
        """Any device that is not a simulator: a deployed kiosk, where the demo PIN must not open."""
        return self.devices.has_real_devices()

    def to_dict(self, *, secrets: bool = True) -> dict[str, Any]:
        """Plain dict of every value; with ``secrets=False`` tokens, keys and hashes are blanked."""
        data = dataclasses.asdict(self)
        data["devices"] = self.devices.model_dump()
        if not secrets:
            for section, key in _SECRET_KEYS:
                if data[section].get(key):
                    data[section][key] = "***"
        return data


_SECRET_KEYS = (("hall_service", "token"), ("platform", "token"), ("platform", "hall_key"),
                ("technician", "pin_hash"))


def _build(cls: type, raw: Any, where: str) -> Any:
    if not isinstance(raw, dict):
        raise ConfigError(f"{where or 'config'}: expected a table, got {type(raw).__name__}")
    hints = typing.get_type_hints(cls)
    fields = {f.name: f for f in dataclasses.fields(cls)}
    unknown = sorted(set(raw) - set(fields))
    if unknown:
        key = f"{where}.{unknown[0]}" if where else unknown[0]
        raise ConfigError(f"{key}: unknown key (known: {', '.join(sorted(fields))})")
    values = {}
    choices = getattr(cls, "_choices", {})
    for name, value in raw.items():
        key = f"{where}.{name}" if where else name
        expected = hints[name]
        if expected is DevicesConfig:
            try:
                values[name] = parse_devices(value, key)
            except ValueError as exc:
                raise ConfigError(str(exc)) from None
            continue
        if dataclasses.is_dataclass(expected):
            values[name] = _build(expected, value, key)
            continue
        values[name] = _coerce(expected, value, key)
        if name in choices and values[name] not in choices[name]:
            allowed = ", ".join(str(c) for c in choices[name])
            raise ConfigError(f"{key}: expected one of {allowed}, got {value!r}")
    return cls(**values)


def _coerce(expected: Any, value: Any, key: str) -> Any:
    if isinstance(expected, types.UnionType):
        expected = next(t for t in typing.get_args(expected) if t is not type(None))
    if expected is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if expected is int and isinstance(value, bool):
        raise ConfigError(f"{key}: expected a whole number, got {value!r}")
    if not isinstance(value, expected):
        label = {int: "a whole number", float: "a number", str: "text", bool: "true or false"}
        raise ConfigError(f"{key}: expected {label.get(expected, expected.__name__)}, got {value!r}")
    if expected in (int, float) and value < 0:
        raise ConfigError(f"{key}: must not be negative, got {value!r}")
    return value


def parse_config(raw: dict[str, Any]) -> Config:
    """Validate a parsed TOML document into a :class:`Config`."""
    version = raw.get("version", CONFIG_VERSION)
    if version != CONFIG_VERSION:
        raise ConfigError(f"version: this build reads configuration version {CONFIG_VERSION}, got {version!r}")
    config = _build(Config, raw, "")
    if config.privacy.countdown_seconds >= config.privacy.form_idle_seconds:
        raise ConfigError("privacy.countdown_seconds: must be shorter than privacy.form_idle_seconds")
    return config


def load_config(path: str | Path | None) -> Config:
    """Read a TOML file; ``None`` or a missing default path gives every default."""
    if path is None:
        return Config()
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{path}: configuration file not found") from None
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML ({exc})") from None
    try:
        return parse_config(raw)
    except ConfigError as exc:
        raise ConfigError(f"{path}: {exc}") from None


def dump_config(config: Config) -> str:
    """Render a configuration as TOML (for the technician panel's save)."""
    lines = [f"version = {config.version}", f"data_dir = {_toml_value(config.data_dir)}"]
    for name, section in config.to_dict().items():
        if isinstance(section, dict):
            lines += _dump_table(name, section)
    return "\n".join(lines) + "\n"


def _dump_table(name: str, table: dict[str, Any]) -> list[str]:
    lines = ["", f"[{name}]"]
    nested = []
    for key, value in table.items():
        if isinstance(value, dict):
            nested.append((f"{name}.{key}", value))
        else:
            lines.append(f"{key} = {_toml_value(value)}")
    for sub_name, sub in nested:
        lines += _dump_table(sub_name, sub)
    return lines


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    escaped = str(value).replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'
