"""The hall layout file ``<data-dir>/hall.toml`` and the role tokens ``<data-dir>/credentials.json``.

Owns: writing a realistic sample hall on first start (services from the sample catalogue, so
ids match what the kiosk shows), validating hall.toml (pydantic models, :class:`HallFile`) with
messages that name the bad key and what is allowed, and
creating the bearer tokens per role (file mode 0600)."""

from __future__ import annotations

import json
import os
import re
import secrets
import tomllib
import typing
from pathlib import Path
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError, field_validator

from common.config_errors import validation_text
from queueing.model import POLICIES, Counter, Hall, Hours, Policy, RatingRules, Service, Zone

CONFIG_VERSION = 1
ROLES = ("kiosk", "counter", "display", "admin")
CATALOGUE = Path(__file__).resolve().parent.parent / "offline_cache" / "data" / "sample_catalogue.json"


class ConfigError(ValueError):
    """hall.toml is unusable; the message names the file and the key."""


# ---------------------------------------------------------------- sample hall


def _toml_str(value: str) -> str:
    return json.dumps(value, ensure_ascii=False)


#: the sample catalogue's 办件结果领取 service: the sample hall's 出件 window serves it
PICKUP_SAMPLE_SERVICE = "S0504"


def sample_hall_toml(catalogue_path: Path = CATALOGUE) -> str:
    """A realistic hall: 一窗受理 windows 1–8 over 人社医保 and 综合受理 items, specialised windows
    9–15 sharing services, and the auxiliary windows 总服务台, 帮办代办, 咨询服务, 投诉受理."""
    cat = json.loads(catalogue_path.read_text(encoding="utf-8"))
    by_zone: dict[str, list[str]] = {}
    lines = [
        "# The hall layout (read by the hall service on start; restart it after a change).",
        "# Written on first start as a sample: edit it for the real hall.",
        f"version = {CONFIG_VERSION}",
        "",
        "[hall]",
        f"id = {_toml_str(cat.get('hall_id', 'hall-1'))}",
        f"name = {_toml_str(cat.get('hall_name', '政务服务中心'))}",
        'timezone = "Asia/Shanghai"',
        '# Default opening hours of every service ("HH:MM-HH:MM,..."). The sample hall is open',
        "# around the clock so the demo works at any hour; a real hall writes e.g.",
        '# "08:30-12:00,13:30-17:30".',
        'opening_hours = "00:00-24:00"',
        "# 兜底: the kiosk's 不确定办哪项 / 其他事项 takes a ticket for this service (the 咨询 window);",
        "# leave it out and the kiosk offers no such choice.",
        *[f"catch_all_service = {_toml_str(s['id'])}" for s in cat["services"] if s["zone"] == "assist"][:1],
        "# 统一窗口出件: a receipt scanned at the kiosk for a case ready for pickup takes a ticket for",
        "# this service (the 出件 window); leave it out and the kiosk sends the citizen to a counter.",
        *[f"pickup_service = {_toml_str(s['id'])}" for s in cat["services"] if s["id"] == PICKUP_SAMPLE_SERVICE],
        "",
        "[policy]",
        "# strict | interleave | aging (docs/queueing.md explains each)",
        'kind = "interleave"',
        "interleave_normal = 3          # interleave: this many normal calls, then one priority",
        "aging_boost_minutes = 20       # aging: a priority ticket counts as waiting this much longer",
        "max_wait_minutes = 45          # any policy: a normal ticket waiting longer goes first (0 = off)",
        "appointment_early_minutes = 30 # check-in allowed this long before the slot",
        "appointment_late_minutes = 15  # ... and this long after the slot starts",
        "max_recalls = 3",
        "person_daily_cap = 5           # tickets per person (ID-number HMAC) per day",
        "anonymous_share = 0.5          # share of a service's daily_cap each kiosk may issue without an ID card",
        "# a kiosk's own share, by its enrolled name (hall-server devices):",
        "# anonymous_share_by_device = { \"kiosk-entrance\" = 0.3 }",
        "# help calls (呼叫工作人员) go to these counters first (default: the counters named 帮办代办)",
        "# and to every counter and the dashboard when nobody acknowledges them in time:",
        "# help_counters = [\"H02\"]",
        "help_escalate_minutes = 2",
        "",
        "[rating]",
        "# 好差评 rules (docs/queueing.md, \"Cases, ratings and the rectification loop\"); days are working",
        "# days: the national calendar plus <data-dir>/workdays.toml (holidays = [...], workdays = [...])",
        'stages = ["finish"]            # or ["accept", "finish"]: rated at 受理 and at 办结 (一事多评)',
        'default_level = "satisfied"    # what a case nobody rated counts as ...',
        "default_after_working_days = 5 # ... this many working days after it (0 = never)",
        "callback_working_days = 1      # a 差评 is called back within ...",
        "rectify_working_days = 15      # ... and rectified within",
        "",
    ]
    for zone in cat["zones"]:
        lines += ["[[zones]]", f"id = {_toml_str(zone['id'])}", f"name = {_toml_str(zone['name'])}", ""]
    for svc in [*cat["services"], *cat.get("bundles", [])]:  # a 一件事 bundle is queued as one service
        by_zone.setdefault(svc["zone"], []).append(svc["id"])
        lines += [
            "[[services]]",
            f"id = {_toml_str(svc['id'])}",
            f"name = {_toml_str(svc['name'])}",
            f"zone = {_toml_str(svc['zone'])}",
            f"prefix = {_toml_str(svc['prefix'])}",
            f"target_wait_minutes = {svc.get('target_wait_minutes', 20)}",
            f"typical_service_minutes = {svc.get('typical_service_minutes', 8)}",
            f"daily_cap = {300 if svc['zone'] != 'assist' else 0}",
        ]
        if svc["id"] == "S0303":  # one service with real hours, to show the rule
            lines.append('opening_hours = "08:30-12:00,13:30-17:30"')
        lines.append("")

    def counter(cid: str, name: str, zone: str, services: list[str], weights: dict[str, int]) -> None:
        lines.extend(
            [
                "[[counters]]",
                f"id = {_toml_str(cid)}",
                f"name = {_toml_str(name)}",
                f"zone = {_toml_str(zone)}",
                "services = [" + ", ".join(_toml_str(s) for s in services) + "]",
            ]
        )
        if weights:
            lines.append("weights = { " + ", ".join(f"{k} = {v}" for k, v in weights.items()) + " }")
        lines.append("")

    social, general = by_zone.get("social", []), by_zone.get("general", [])
    realestate, police = by_zone.get("realestate", []), by_zone.get("police", [])
    assist = by_zone.get("assist", [])
    lines.append("# 一窗受理: windows 1-8 accept every 人社医保 and 综合受理 item, each with a home area.")
    for n in range(1, 9):
        home = social[:3] if n <= 4 else social[3:] if n <= 6 else general
        counter(f"W{n:02d}", f"{n}号窗口", "general", social + general, {s: 2 for s in home})
    for n in range(9, 13):
        svcs = realestate[:2] if n <= 10 else realestate[1:]
        counter(f"W{n:02d}", f"{n}号窗口", "realestate", svcs, {})
    for n in (13, 14):
        counter(f"W{n:02d}", f"{n}号窗口", "police", police[:2], {})
    counter("W15", "15号窗口", "police", police[2:] + police[:1], {})
    if len(assist) >= 3:
        counter("H01", "总服务台", "assist", [assist[0], assist[1]], {})
        counter("H02", "帮办代办", "assist", [assist[1]], {})
        counter("H03", "咨询服务", "assist", [assist[0]], {})
        counter("H04", "投诉受理", "assist", [assist[2]], {})
    if PICKUP_SAMPLE_SERVICE in assist:
        counter("H05", "出件窗口", "assist", [PICKUP_SAMPLE_SERVICE], {})
    if by_zone.get("bundle"):
        lines.append("# 一件事: the bundles' tickets (kiosk/bundles.py) go to their own window.")
        counter("W16", "16号窗口（一件事）", "bundle", by_zone["bundle"], {})
    return "\n".join(lines)


# ---------------------------------------------------------------- validation

_HOURS = re.compile(r"^(\d{2}):(\d{2})-(\d{2}):(\d{2})$")
NonNegFloat = Annotated[float, Field(ge=0)]
PosFloat = Annotated[float, Field(gt=0)]


def _parse_hours(text: str) -> Hours:
    ranges = []
    for part in text.split(","):
        m = _HOURS.match(part.strip())
        if not m:
            raise ValueError(f'{part.strip()!r} is not HH:MM-HH:MM (e.g. "08:30-12:00,13:30-17:30")')
        h1, m1, h2, m2 = map(int, m.groups())
        start, end = h1 * 60 + m1, h2 * 60 + m2
        if m1 > 59 or m2 > 59 or start >= end or end > 24 * 60:
            raise ValueError(f"{part.strip()!r} is not a valid time range")
        ranges.append((start, end))
    return Hours(tuple(ranges))


def _hours_text(text: str) -> str:
    _parse_hours(text)
    return text


HoursText = Annotated[str, AfterValidator(_hours_text)]


class _Table(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class HallTable(_Table):
    id: str = "hall-1"
    name: str = "政务服务中心"
    #: the city's district (区/县) the hall belongs to; synced with the fleet state (city view filter)
    district: str = ""
    timezone: str = "Asia/Shanghai"
    #: default opening hours of every service
    opening_hours: HoursText = "00:00-24:00"
    #: 兜底: the service a kiosk's 不确定办哪项 / 其他事项 issues a ticket for (none: no such choice)
    catch_all_service: str | None = None
    #: 统一窗口出件: the service a pickup ticket is issued for (the 出件 window; none: no pickup tickets)
    pickup_service: str | None = None

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r}") from None
        return value


PolicyKind = Literal["strict", "interleave", "aging"]
if set(typing.get_args(PolicyKind)) != set(POLICIES):  # one spelling: queueing.model.POLICIES
    raise ImportError(f"hallconfig.PolicyKind differs from queueing.model.POLICIES {POLICIES}")


class PolicyTable(_Table):
    kind: PolicyKind = "interleave"
    interleave_normal: Annotated[int, Field(ge=1)] = 3
    aging_boost_minutes: NonNegFloat = 20.0
    max_wait_minutes: NonNegFloat = 0.0
    appointment_early_minutes: NonNegFloat = 30.0
    appointment_late_minutes: NonNegFloat = 15.0
    max_recalls: Annotated[int, Field(ge=0)] = 3
    person_daily_cap: Annotated[int, Field(ge=0)] = 5
    anonymous_share: Annotated[float, Field(ge=0, le=1)] = 0.5
    anonymous_share_by_device: dict[str, Annotated[float, Field(ge=0, le=1)]] = {}
    help_counters: list[str] = []
    help_escalate_minutes: PosFloat = 2.0


RatingLevelName = Literal["very_satisfied", "satisfied", "basic", "dissatisfied", "very_dissatisfied"]
_LEVELS = {"very_satisfied": 5, "satisfied": 4, "basic": 3, "dissatisfied": 2, "very_dissatisfied": 1}


class RatingTable(_Table):
    """``[rating]``: stages (一事多评), the default of an unrated case, the 差评 clocks."""

    stages: list[Literal["accept", "finish"]] = ["finish"]
    default_level: RatingLevelName = "satisfied"
    default_after_working_days: Annotated[int, Field(ge=0, le=60)] = 5
    callback_working_days: Annotated[int, Field(ge=1, le=30)] = 1
    rectify_working_days: Annotated[int, Field(ge=1, le=90)] = 15

    @field_validator("stages")
    @classmethod
    def _finish_last(cls, value: list[str]) -> list[str]:
        if not value or value[-1] != "finish" or len(set(value)) != len(value):
            raise ValueError('stages in order, each once, ending with "finish", e.g. ["accept", "finish"]')
        return value

    def rules(self) -> RatingRules:
        return RatingRules(tuple(self.stages), _LEVELS[self.default_level], self.default_after_working_days,
                           self.callback_working_days, self.rectify_working_days)


class ZoneTable(_Table):
    id: str
    name: str


class ServiceTable(_Table):
    id: str
    name: str
    zone: str
    prefix: str
    target_wait_minutes: PosFloat = 20.0
    typical_service_minutes: PosFloat = 8.0
    daily_cap: Annotated[int, Field(ge=0)] = 0  # 0 = no cap
    opening_hours: HoursText | None = None

    @field_validator("prefix")
    @classmethod
    def _one_letter(cls, value: str) -> str:
        if not re.fullmatch(r"[A-Z]", value):
            raise ValueError(f"must be one capital letter A-Z, got {value!r}")
        return value


class CounterTable(_Table):
    id: str
    name: str
    zone: str = ""
    services: list[str]
    weights: dict[str, PosFloat] = {}

    @field_validator("services")
    @classmethod
    def _not_empty(cls, value: list[str]) -> list[str]:
        if not value:
            raise ValueError("a counter must serve at least one service")
        return value


class SmsTable(_Table):
    """``[sms]``: text messages to citizens who opted in (queueing/sms, docs/sms.md). Off by default.
    The gateway's shared secret is ``sms_secret`` in credentials.json, never in this file."""

    enabled: bool = False
    protocol: Literal["cmpp2"] = "cmpp2"
    #: the ISMG's address; "simulator" runs the CMPP gateway simulator in-process (a demo)
    host: str = "127.0.0.1"
    port: Annotated[int, Field(ge=1, le=65535)] = 7890
    sp_id: Annotated[str, Field(max_length=6, pattern=r"^[0-9A-Za-z]*$")] = ""
    service_id: Annotated[str, Field(max_length=10)] = ""
    src_id: Annotated[str, Field(max_length=21, pattern=r"^[0-9]*$")] = ""
    #: "your turn is near" when at most this many tickets are ahead
    turn_near: Annotated[int, Field(ge=0, le=50)] = 3
    turn_near_by_service: dict[str, Annotated[int, Field(ge=0, le=50)]] = {}
    #: days a number is kept after its ticket's day at most
    retention_days: Annotated[int, Field(ge=0, le=30)] = 1
    #: how long a SUBMIT without an answer waits for a status report before it counts as unknown
    report_wait_seconds: PosFloat = 600.0
    timeout_seconds: PosFloat = 10.0
    #: "text me when it is ready" (queueing/sms/case_notices.py): how often the platform is asked
    #: about the subscribed cases, how many a round at most, and how many days a number waits
    pickup_poll_seconds: Annotated[float, Field(ge=0.2, le=86400)] = 300.0
    pickup_per_round: Annotated[int, Field(ge=1, le=1000)] = 50
    pickup_days: Annotated[int, Field(ge=1, le=90)] = 30


class UpdatesTable(_Table):
    """``[updates]``: the signed releases this hall serves its kiosks (queueing/api_updates.py,
    docs/updates.md). ``$HALL_RELEASES_DIR`` overrides ``releases_dir`` (the installed unit sets it)."""

    #: what ``python -m common.releases publish --releases DIR`` wrote; relative to the data dir;
    #: empty: the hall serves no release
    releases_dir: str = ""


class HallFile(_Table):
    """The whole of hall.toml as written; :func:`parse_hall` checks the references between tables."""

    version: int
    hall: HallTable = HallTable()
    policy: PolicyTable = PolicyTable()
    rating: RatingTable = RatingTable()
    zones: list[ZoneTable] = []
    services: list[ServiceTable]
    counters: list[CounterTable]
    sms: SmsTable = SmsTable()
    updates: UpdatesTable = UpdatesTable()


def parse_hall(text: str, source: str = "hall.toml") -> Hall:
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{source}: not valid TOML: {exc}") from exc
    if doc.get("version", CONFIG_VERSION) != CONFIG_VERSION:
        raise ConfigError(f"{source}: version = {doc['version']} is not supported (expected {CONFIG_VERSION})")
    try:
        spec = HallFile.model_validate(doc)
    except ValidationError as exc:
        raise ConfigError(f"{source}: {validation_text(HallFile, exc)}") from None

    zone_ids = {z.id for z in spec.zones}
    default_hours = _parse_hours(spec.hall.opening_hours)
    services: dict[str, Service] = {}
    for i, s in enumerate(spec.services):
        where = f"{source}: services[{i}]"
        if s.id in services:
            raise ConfigError(f"{where}.id: duplicate service id {s.id!r}")
        if zone_ids and s.zone not in zone_ids:
            raise ConfigError(f"{where}.zone: unknown zone {s.zone!r} (known: {', '.join(sorted(zone_ids))})")
        hours = _parse_hours(s.opening_hours) if s.opening_hours is not None else default_hours
        services[s.id] = Service(s.id, s.name, s.zone, s.prefix, s.target_wait_minutes, s.typical_service_minutes,
                                 s.daily_cap, hours)

    counters: dict[str, Counter] = {}
    for i, c in enumerate(spec.counters):
        where = f"{source}: counters[{i}]"
        if c.id in counters:
            raise ConfigError(f"{where}.id: duplicate counter id {c.id!r}")
        for sid in c.services:
            if sid not in services:
                raise ConfigError(f"{where}.services: unknown service {sid!r}")
        for sid in c.weights:
            if sid not in c.services:
                raise ConfigError(f"{where}.weights.{sid}: not a service of this counter")
        counters[c.id] = Counter(c.id, c.name, c.zone, tuple(dict.fromkeys(c.services)), dict(c.weights))
    if not counters:
        raise ConfigError(f"{source}: counters: at least one counter is needed")
    for cid in spec.policy.help_counters:
        if cid not in counters:
            raise ConfigError(f"{source}: policy.help_counters: unknown counter {cid!r}")
    zones = tuple(Zone(z.id, z.name) for z in spec.zones)
    catch_all = spec.hall.catch_all_service
    if catch_all is not None and catch_all not in services:
        raise ConfigError(f"{source}: hall.catch_all_service: unknown service {catch_all!r}")
    pickup = spec.hall.pickup_service
    if pickup is not None and pickup not in services:
        raise ConfigError(f"{source}: hall.pickup_service: unknown service {pickup!r}")
    return Hall(spec.hall.id, spec.hall.name, ZoneInfo(spec.hall.timezone), zones, services, counters,
                Policy(**spec.policy.model_dump()), catch_all,
                district=spec.hall.district, rating=spec.rating.rules(), pickup_service=pickup)


def load_sms(data_dir: Path) -> SmsTable:
    """The ``[sms]`` table of ``<data-dir>/hall.toml`` (checked like the rest by :func:`load_hall`)."""
    path = data_dir / "hall.toml"
    try:
        doc = tomllib.loads(path.read_text(encoding="utf-8"))
        spec = SmsTable.model_validate(doc.get("sms", {}))
    except (OSError, tomllib.TOMLDecodeError, ValidationError) as exc:
        raise ConfigError(f"{path}: [sms]: {exc}") from exc
    unknown = set(spec.turn_near_by_service) - {s.get("id") for s in doc.get("services", [])}
    if unknown:
        raise ConfigError(f"{path}: sms.turn_near_by_service: unknown service {sorted(unknown)[0]!r}")
    return spec


def load_updates(data_dir: Path) -> UpdatesTable:
    """The ``[updates]`` table of ``<data-dir>/hall.toml`` (none there: the defaults)."""
    path = data_dir / "hall.toml"
    try:
        doc = tomllib.loads(path.read_text(encoding="utf-8"))
        return UpdatesTable.model_validate(doc.get("updates", {}))
    except FileNotFoundError:
        return UpdatesTable()
    except (OSError, tomllib.TOMLDecodeError, ValidationError) as exc:
        raise ConfigError(f"{path}: [updates]: {exc}") from exc


def load_hall(data_dir: Path) -> Hall:
    """Read ``<data-dir>/hall.toml``, writing the sample hall first if there is none."""
    data_dir.mkdir(parents=True, exist_ok=True)
    path = data_dir / "hall.toml"
    if not path.exists():
        tmp = path.with_suffix(".toml.tmp")
        tmp.write_text(sample_hall_toml(), encoding="utf-8")
        os.replace(tmp, path)
    return parse_hall(path.read_text(encoding="utf-8"), str(path))


# ---------------------------------------------------------------- credentials


def load_credentials(data_dir: Path) -> dict[str, str]:
    """Tokens per role plus ``hall_key`` (the HMAC key for ID numbers, shared with the platform).

    Created on first start with mode 0600; missing entries are added, present ones kept."""
    data_dir.mkdir(parents=True, exist_ok=True)
    path = data_dir / "credentials.json"
    creds: dict[str, str] = {}
    if path.exists():
        try:
            creds = json.loads(path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            raise ConfigError(f"{path}: not valid JSON: {exc}") from exc
        if not isinstance(creds, dict) or not all(isinstance(v, str) for v in creds.values()):
            raise ConfigError(f"{path}: must be an object of strings")
    missing = [k for k in (*ROLES, "hall_key") if not creds.get(k)]
    if missing:
        for k in missing:
            creds[k] = secrets.token_hex(32)  # never starts with "-" (command lines take it for an option)
        tmp = path.with_suffix(".json.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(creds, fh, indent=2)
        os.replace(tmp, path)
    os.chmod(path, 0o600)
    return creds
