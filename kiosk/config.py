"""Typed configuration of the kiosk-side roles (kiosk, display, counter, technician).

One TOML file with a ``version`` number (pydantic models below); every key has a default, so an
empty file (or none) gives the embedded default: in-process hall service, reference platform,
simulated devices. The ``[devices]`` section is :class:`devices.config.DevicesConfig`, owned by
``devices/`` and embedded as it is.

Layers: the base file (``--config``, on a deployed kiosk ``/etc/hall-kiosk/kiosk.toml``, read-only
under the unit's ``ProtectSystem=strict``), then every ``<data_dir>/kiosk.d/*.toml`` in name order,
a later layer overriding single keys of the earlier ones. The technician panel saves to
``<data_dir>/kiosk.d/technician.toml`` (:func:`save_drop_in`), which the kiosk may write.

Validation names the bad key and says what was expected, e.g.
``devices.printer.paper_mm: expected one of 58, 80, got 70``. Unknown keys are errors too:
a typo must not silently fall back to a default.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Annotated, Any, Literal

import tomlkit
from pydantic import BaseModel, ConfigDict, Field, ValidationError, ValidationInfo, field_validator

from common.config_errors import validation_text
from devices.config import DevicesConfig

CONFIG_VERSION: Literal[1] = 1
#: drop-in directory under data_dir, and the file the technician panel writes there
DROP_IN_DIR = "kiosk.d"
TECHNICIAN_DROP_IN = "technician.toml"

NonNegInt = Annotated[int, Field(ge=0)]
NonNegFloat = Annotated[float, Field(ge=0)]


class ConfigError(ValueError):
    """A configuration value is wrong; the message names the key."""


class _Section(BaseModel):
    """Unknown keys are errors; sections nobody changes after loading are frozen."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class KioskSection(_Section):
    id: str = "kiosk-01"
    hall_id: str = "demo-hall"
    hall_name: str = "示范区政务服务中心"
    language: Literal["zh_CN", "en"] = "zh_CN"
    #: base URL of the hall's public pages (/t/, /a/, /g/) printed in QR codes
    public_base_url: str = ""
    demo_panel: bool = True
    #: the hall's counters accept the 电子身份证 (the national electronic ID's QR on the citizen's
    #: phone) in place of the card: a citizen whose card the reader cannot read is told so
    ecard_qr: bool = False


class HallServiceSection(_Section):
    #: empty: run the hall service in-process (embedded default)
    url: str = ""
    token: str = ""
    #: the hall CA (hall-server ca): an https hall must chain to it, and only to it
    ca_bundle: str = ""
    timeout_s: NonNegFloat = 5.0
    #: seconds between this machine's heartbeats to the hall (fleet health); 0: none
    heartbeat_s: NonNegFloat = 60.0


class PlatformSection(BaseModel):
    # Not frozen: tests and benchmarks shorten sync_interval_s on a built Config; assignments
    # are validated like the file.
    model_config = ConfigDict(extra="forbid", validate_assignment=True)

    #: empty: the embedded demo starts the reference platform in-process; "off": no platform
    url: str = ""
    token: str = ""
    device_id: str = ""
    hall_key: str = ""
    ca_bundle: str = ""
    client_cert: str = ""
    client_key: str = ""
    timeout_s: NonNegFloat = 10.0
    sync_interval_s: NonNegFloat = 30.0


class PrivacySection(_Section):
    idle_seconds: NonNegInt = 60
    form_idle_seconds: NonNegInt = 45
    elder_idle_seconds: NonNegInt = 120
    countdown_seconds: NonNegInt = 15
    retention_days: NonNegInt = 7
    #: what the offline cache seals new personal data with: "aes" (AES-256-GCM, HMAC-SHA256) or
    #: "sm" (国密 SM4-GCM, HMAC-SM3); data sealed before a switch still opens (docs/security.md)
    crypto_suite: Literal["aes", "sm"] = "aes"
    #: speech mode blanks the screen, so that nobody behind the citizen reads along
    speech_blank: bool = True
    #: a receipt with personal data left at a presenter printer's mouth this long is retracted
    #: (kiosk/receipt_presenter.py); 0: never
    receipt_retract_seconds: NonNegFloat = 20.0

    @field_validator("countdown_seconds")
    @classmethod
    def _countdown_fits(cls, value: int, info: ValidationInfo) -> int:
        form_idle = info.data.get("form_idle_seconds")
        if form_idle is not None and value >= form_idle:
            raise ValueError(f"must be shorter than privacy.form_idle_seconds ({form_idle}), got {value}")
        return value


class TechnicianSection(_Section):
    #: salted hash written by ``main.py set-pin`` (docs/deploy.md); empty means the demo PIN 123456,
    #: accepted only while every device is simulated
    pin_hash: str = ""
    max_attempts: NonNegInt = 5
    lockout_minutes: NonNegInt = 5


class DisplaySection(_Section):
    voice: bool = True
    repeat: NonNegInt = 2
    volume: NonNegFloat = 0.8
    quiet_hours: str = ""  # e.g. "12:00-13:30"
    show_names: bool = False


class UpdatesSection(_Section):
    """Fleet updates (kiosk/updates.py, docs/updates.md): the hall's signed releases, taken at night."""

    #: the releases root (current, previous, staged …); empty: this kiosk takes no fleet updates
    releases_dir: str = ""
    #: the release signing key's public half (packaging/install.sh installs it)
    public_key: str = ""
    #: local time when a staged release may start, and only while nobody is served
    window: str = "01:00-05:00"
    #: how often the kiosk looks whether it may restart into a staged release
    idle_check_s: Annotated[float, Field(gt=0)] = 30.0
    timeout_s: Annotated[float, Field(gt=0)] = 30.0

    @field_validator("window")
    @classmethod
    def _window(cls, value: str) -> str:
        from common.daily_window import DailyWindow

        if DailyWindow.parse(value) is None:
            raise ValueError("must be HH:MM-HH:MM")
        return value


class ElicencesSection(_Section):
    """电子证照 (kiosk/elicences.py, docs/deploy.md "E-licence issuer keys"): the issuers whose
    signatures this kiosk accepts, pinned here, never taken from the platform's own answer.

    Pins configured: a licence counts only when its issuer key id is pinned and its signature
    checks out against the pinned key. None configured: the embedded demo (``[platform] url =
    ""``) trusts the demo platform's published keys; a kiosk on a configured platform offers no
    e-licences at all (and logs why)."""

    #: issuer key id → the issuer's Ed25519 public key (base64 of the raw 32 bytes); a separate
    #: ``kiosk.d/*.toml`` drop-in may hold just this table
    issuer_keys: dict[str, str] = Field(default_factory=dict)

    @field_validator("issuer_keys")
    @classmethod
    def _keys(cls, value: dict[str, str]) -> dict[str, str]:
        import base64
        import binascii

        for key_id, key in value.items():
            try:
                raw = base64.b64decode(key, validate=True)
            except (binascii.Error, ValueError):
                raw = b""
            if len(raw) != 32:
                raise ValueError(f"{key_id}: expected the base64 of a 32-byte Ed25519 public key")
        return value


class Config(BaseModel):
    # Not frozen: ``--data-dir`` and the test fixtures set data_dir on a loaded Config.
    model_config = ConfigDict(extra="forbid", validate_assignment=True)

    version: Literal[1] = CONFIG_VERSION
    data_dir: str = "data"
    kiosk: KioskSection = KioskSection()
    hall_service: HallServiceSection = HallServiceSection()
    platform: PlatformSection = Field(default_factory=PlatformSection)
    devices: DevicesConfig = DevicesConfig()
    privacy: PrivacySection = PrivacySection()
    technician: TechnicianSection = TechnicianSection()
    display: DisplaySection = DisplaySection()
    updates: UpdatesSection = UpdatesSection()
    elicences: ElicencesSection = ElicencesSection()

    def has_real_devices(self) -> bool:
        """Any device that is not a simulator: a deployed kiosk, where the demo PIN must not open."""
        return self.devices.has_real_devices()

    def to_dict(self, *, secrets: bool = True) -> dict[str, Any]:
        """Plain dict of every value; with ``secrets=False`` tokens, keys and hashes are blanked."""
        data = self.model_dump()
        if not secrets:
            for section, key in _SECRET_KEYS:
                if data[section].get(key):
                    data[section][key] = "***"
        return data


_SECRET_KEYS = (("hall_service", "token"), ("platform", "token"), ("platform", "hall_key"),
                ("technician", "pin_hash"))


def config_error(exc: ValidationError, where: str = "") -> ConfigError:
    """One :class:`ConfigError` from pydantic's errors: ``key: what was expected, got what``."""
    return ConfigError((f"{where}: " if where else "") + validation_text(Config, exc))


# ---------------------------------------------------------------- parsing and layers


def parse_config(raw: Mapping[str, Any]) -> Config:
    """Validate a parsed TOML document into a :class:`Config`."""
    version = raw.get("version", CONFIG_VERSION)
    if version != CONFIG_VERSION:
        raise ConfigError(f"version: this build reads configuration version {CONFIG_VERSION}, got {version!r}")
    try:
        # strict: TOML has real types, so "9600" for a number or 1 for true is a mistake to name
        return Config.model_validate(dict(raw), strict=True)
    except ValidationError as exc:
        raise config_error(exc) from None


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{path}: configuration file not found") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot be read ({exc.strerror or exc})") from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML ({exc})") from None


def merge(base: Mapping[str, Any], layer: Mapping[str, Any]) -> dict[str, Any]:
    """``base`` with ``layer`` on top: tables merge key by key, any other value replaces."""
    out = dict(base)
    for key, value in layer.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), Mapping):
            out[key] = merge(out[key], value)
        else:
            out[key] = value
    return out


def drop_in_dir(data_dir: str | Path) -> Path:
    return Path(data_dir) / DROP_IN_DIR


def load_layers(path: str | Path | None, *, data_dir: str | None = None,
                drop_ins: bool = True) -> tuple[Config, Config, list[Path]]:
    """(the base file alone, base with every drop-in, the drop-ins read). ``data_dir`` overrides
    the files' (``--data-dir``) and so also says where the drop-ins are; ``drop_ins=False`` reads
    the base file only."""
    raw: dict[str, Any] = {}
    if path is not None:
        path = Path(path)
        raw = _read_toml(path)
        try:
            base = parse_config(raw)
        except ConfigError as exc:
            raise ConfigError(f"{path}: {exc}") from None
    else:
        base = Config()
    if data_dir:
        base.data_dir = data_dir
    raw["data_dir"] = base.data_dir
    layers = sorted(drop_in_dir(base.data_dir).glob("*.toml")) if drop_ins else []
    merged = raw
    for layer_path in layers:
        layer = _read_toml(layer_path)
        if "data_dir" in layer or "version" in layer:
            key = "data_dir" if "data_dir" in layer else "version"
            raise ConfigError(f"{layer_path}: {key}: set it in the base file {path or '(none)'}, not in a drop-in")
        merged = merge(merged, layer)
        try:
            parse_config(merged)
        except ConfigError as exc:
            raise ConfigError(f"{layer_path}: {exc}") from None
    return base, parse_config(merged), layers


def load_config(path: str | Path | None, *, data_dir: str | None = None) -> Config:
    """Read the base TOML file and the drop-ins over it; ``None`` gives every default (and the
    drop-ins of the default data_dir)."""
    return load_layers(path, data_dir=data_dir)[1]


# ---------------------------------------------------------------- writing (tomlkit keeps comments)


def _leaves(data: Mapping[str, Any], prefix: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], Any]]:
    for key, value in data.items():
        if isinstance(value, Mapping):
            yield from _leaves(value, (*prefix, key))
        else:
            yield (*prefix, key), value


def _set(doc: tomlkit.TOMLDocument, keys: tuple[str, ...], value: Any, inserted: list[Any]) -> None:
    table: Any = doc
    parent_is_new = False
    for depth, key in enumerate(keys[:-1]):
        if key not in table:
            # [devices] holds only tables: written as [devices.printer], not an empty [devices]
            table[key] = tomlkit.table(is_super_table=depth < len(keys) - 2)
            if depth > 0 and not parent_is_new and keys[0] != list(doc)[-1]:
                inserted.append(table[key])
            parent_is_new = True
        else:
            parent_is_new = False
        table = table[key]
    if table.get(keys[-1]) != value:
        table[keys[-1]] = value


def _set_all(doc: tomlkit.TOMLDocument, values: list[tuple[tuple[str, ...], Any]]) -> None:
    inserted: list[Any] = []
    for keys, value in values:
        _set(doc, keys, value, inserted)
    # tomlkit separates tables it appends to the document, not one inserted into an existing
    # [devices.*] group before the next table: give that one the blank line a person would
    for table in inserted:
        table.add(tomlkit.nl())


def _remove(doc: tomlkit.TOMLDocument, keys: tuple[str, ...]) -> None:
    tables: list[Any] = [doc]
    for key in keys[:-1]:
        if key not in tables[-1]:
            return
        tables.append(tables[-1][key])
    if keys[-1] in tables[-1]:
        del tables[-1][keys[-1]]
    for depth in range(len(tables) - 1, 0, -1):  # drop tables left empty
        if len(tables[depth]) == 0:
            del tables[depth - 1][keys[depth - 1]]


def render(config: Config, template: str = "") -> str:
    """``config`` as TOML on top of ``template`` (a file's text): the template's comments, order
    and untouched lines stay, changed values are replaced in place, missing keys are added."""
    doc = tomlkit.parse(template)
    _set_all(doc, list(_leaves(config.to_dict())))
    return tomlkit.dumps(doc)


def dump_config(config: Config) -> str:
    """Render a configuration as TOML, every key."""
    return render(config)


DROP_IN_HEADER = (
    "Written by the technician panel: values that differ from the base configuration file.\n"
    "Read after it (and after any other kiosk.d/*.toml before this name); delete this file to go back.\n"
)


def save_drop_in(base: Config, new: Config, path: Path) -> list[str]:
    """Write into the drop-in ``path`` every value of ``new`` that differs from ``base`` and remove
    the ones that are now the same; the drop-in's own comments stay. Returns the keys written.
    Raises :class:`OSError` when the file cannot be written (the caller tells the technician)."""
    if new.data_dir != base.data_dir:
        raise ConfigError(f"data_dir: change it in the base configuration file, not here (it is {base.data_dir})")
    if new.technician.pin_hash != base.technician.pin_hash:
        # one place for the PIN: set-pin writes the base file, a drop-in would silently win over it
        raise ConfigError("technician.pin_hash: set a new PIN with `sudo hall-kiosk set-pin`, not here")
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    doc = tomlkit.parse(text)
    if not text:
        for line in DROP_IN_HEADER.splitlines():
            doc.add(tomlkit.comment(line))
    old = dict(_leaves(base.to_dict()))
    changed = [(keys, value) for keys, value in _leaves(new.to_dict()) if old.get(keys) != value]
    for keys in old.keys() - {keys for keys, _ in changed}:
        _remove(doc, keys)
    _set_all(doc, changed)
    written = [".".join(keys) for keys, _ in changed]
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o640)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(tomlkit.dumps(doc))
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return written


__all__ = ["CONFIG_VERSION", "Config", "ConfigError", "DisplaySection", "ElicencesSection", "HallServiceSection",
           "KioskSection", "PlatformSection", "PrivacySection", "TechnicianSection", "config_error", "dump_config",
           "load_config", "load_layers", "merge", "parse_config", "render", "save_drop_in"]
