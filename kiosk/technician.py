"""What a technician can see and do, without Qt: device states and tests, simulator faults in
demo mode, the serial ports present, sync health and dead letters, the catalogue's version and
age, the configuration (validated before it is saved), and a diagnostics bundle without secrets
or personal data. Every action goes into the hash-chained audit log.
"""

from __future__ import annotations

import enum
import io
import json
import logging
import threading
import time
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from devices.state import DeviceState, StartupReason
from kiosk.audit import AuditLog
from kiosk.config import (
    TECHNICIAN_DROP_IN,
    Config,
    ConfigError,
    drop_in_dir,
    load_layers,
    parse_config,
    render,
    save_drop_in,
)

log = logging.getLogger(__name__)


class TestOutcome(enum.StrEnum):
    """What a device test came to; the panel words it (``technician.test.<outcome>``) from
    :attr:`TestResult.params`, which hold numbers, data and the devices' own typed codes."""

    CARD_READ = "card_read"              # card (masked JSON)
    NO_CARD = "no_card"                  # seconds, state, reason
    NO_PRINTER = "no_printer"
    PRINTED = "printed"                  # reason (a printer status code or None), message
    NOT_PRINTED = "not_printed"          # reason, message
    NO_A4_PRINTER = "no_a4_printer"
    A4_SENT = "a4_sent"                  # reason (an A4Condition), message
    A4_NOT_PRINTED = "a4_not_printed"    # reason, message
    NOTHING_SCANNED = "nothing_scanned"  # seconds
    SCANNED = "scanned"                  # kind (the scan's kind, "rejected" too), value
    NO_CAMERA = "no_camera"
    PHOTO = "photo"                      # width, height, kib, page_found, frames
    NO_PHOTO = "no_photo"                # problem (CameraProblem), state, reason, frames

    __test__ = False  # not a pytest class


@dataclass
class TestResult:
    ok: bool
    outcome: TestOutcome
    params: dict[str, Any] = field(default_factory=dict)

    __test__ = False


class ConfigNotWritable(OSError):
    """The configuration was valid but could not be written; ``path`` and ``reason`` say why."""

    def __init__(self, path: Path, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = path
        self.reason = reason


class Technician:
    def __init__(self, *, config: Config, config_path: str | Path | None, audit: AuditLog, devices: Any = None,
                 cache: Any = None, sync: Any = None, catalogue: Any = None, actor: str = "technician") -> None:
        self.config = config
        #: the base file (read-only on a deployed kiosk); saves go to :attr:`drop_in_path`
        self.base_path = Path(config_path) if config_path else None
        self.audit = audit
        self.devices = devices
        self.cache = cache
        self.sync = sync
        self.catalogue = catalogue
        self.actor = actor
        self._cards: list[Any] = []
        self._scans: list[Any] = []
        self._got = threading.Condition()

    def _audit(self, action: str, **details: Any) -> None:
        self.audit.record(self.actor, action, **details)

    # -- devices ------------------------------------------------------------------------------
    def device_rows(self) -> list[dict[str, str]]:
        from devices.manager import KINDS

        rows = []
        cfg = self.config.devices
        ports = {"idcard": cfg.idcard.port, "printer": cfg.printer.connection,
                 "scanner": f"{cfg.scanner.kind} {cfg.scanner.port}".strip(), "camera": cfg.camera.device,
                 "a4_printer": cfg.a4_printer.connection, "keypad": cfg.keypad.device}
        for kind in KINDS:
            state, reason = self.devices.state(kind) if self.devices is not None else (
                DeviceState.DISCONNECTED, StartupReason.NOT_STARTED)
            rows.append({"kind": kind, "state": str(getattr(state, "value", state)), "reason": reason or "",
                         "port": ports[kind], "sim": "yes" if self.devices is not None
                         and kind in getattr(self.devices, "simulators", {}) else ""})
        return rows

    def faults(self, kind: str) -> tuple[str, ...]:
        """The faults the simulator of ``kind`` can play, as the simulator lists them; () if real."""
        return tuple(self.devices.faults(kind)) if self.devices is not None else ()

    @staticmethod
    def serial_ports() -> list[dict[str, str]]:
        from serial.tools import list_ports

        return [{"device": p.device, "description": p.description or "",
                 "usb": f"{p.vid:04x}:{p.pid:04x}" if p.vid is not None else ""}
                for p in sorted(list_ports.comports(), key=lambda p: p.device)]

    def note_card(self, card: Any) -> None:
        with self._got:
            self._cards.append(card)
            self._got.notify_all()

    def note_scan(self, scan: Any) -> None:
        with self._got:
            self._scans.append(scan)
            self._got.notify_all()

    def _wait(self, box: list[Any], timeout: float) -> Any:
        with self._got:
            box.clear()
            self._got.wait_for(lambda: bool(box), timeout)
            return box[0] if box else None

    def test_idcard(self, timeout: float = 15.0) -> TestResult:
        """Wait for a card to be placed and show what was read (masked)."""
        self._audit("device.test", device="idcard")
        card = self._wait(self._cards, timeout)
        if card is None:
            state, reason = self.devices.state("idcard") if self.devices is not None else (
                DeviceState.DISCONNECTED, StartupReason.NOT_STARTED)
            return TestResult(False, TestOutcome.NO_CARD, {"seconds": round(timeout), "state": state,
                                                            "reason": reason})
        shown = card.to_dict(masked=True) if hasattr(card, "to_dict") else {"card": "read"}
        problems = card.problems() if hasattr(card, "problems") else []
        return TestResult(True, TestOutcome.CARD_READ,
                          {"card": json.dumps({**shown, "problems": problems}, ensure_ascii=False, indent=1)})

    def test_printer(self) -> TestResult:
        self._audit("device.test", device="printer")
        if self.devices is None:
            return TestResult(False, TestOutcome.NO_PRINTER)
        result = self.devices.print_job("print_test_page")
        return TestResult(bool(result.ok), TestOutcome.PRINTED if result.ok else TestOutcome.NOT_PRINTED,
                          {"reason": result.reason, "message": result.message})

    def test_a4_printer(self) -> TestResult:
        """An A4 test page through CUPS; the answer says the printer's condition (paper, toner, jam)."""
        self._audit("device.test", device="a4_printer")
        if self.devices is None or getattr(self.devices, "a4_printer", None) is None:
            return TestResult(False, TestOutcome.NO_A4_PRINTER)
        result = self.devices.print_a4_test_page()
        return TestResult(bool(result.ok), TestOutcome.A4_SENT if result.ok else TestOutcome.A4_NOT_PRINTED,
                          {"reason": result.reason or result.status.condition, "message": result.message})

    def test_scanner(self, timeout: float = 15.0) -> TestResult:
        self._audit("device.test", device="scanner")
        scan = self._wait(self._scans, timeout)
        if scan is None:
            return TestResult(False, TestOutcome.NOTHING_SCANNED, {"seconds": round(timeout)})
        return TestResult(scan.kind != "rejected", TestOutcome.SCANNED,
                          {"kind": scan.kind, "value": scan.value or scan.reason or ""})

    def test_camera(self) -> TestResult:
        """Take a still photo of whatever lies under the document camera and say what came out."""
        from devices.camera import CaptureError

        self._audit("device.test", device="camera")
        camera = getattr(self.devices, "camera", None) if self.devices is not None else None
        if camera is None:
            return TestResult(False, TestOutcome.NO_CAMERA)
        health = camera.health()
        try:
            photo = camera.capture()
        except CaptureError as exc:
            return TestResult(False, TestOutcome.NO_PHOTO, {"problem": exc.problem, "state": health.state,
                                                             "reason": health.reason, "frames": health.frames})
        return TestResult(True, TestOutcome.PHOTO, {"width": photo.width, "height": photo.height,
                                                     "kib": len(photo.jpeg) // 1024,
                                                     "page_found": bool(photo.page_found),
                                                     "frames": health.frames})

    def set_fault(self, kind: str, fault: str | None) -> None:
        """Demo mode only: make a simulator misbehave (or behave again)."""
        sims = getattr(self.devices, "simulators", {}) if self.devices is not None else {}
        if kind not in sims:
            raise ValueError(f"{kind} is a real device: faults exist only on simulators")
        sims[kind].set_fault(fault)   # the simulator checks the name against its own FAULTS
        self._audit("device.fault", device=kind, fault=fault or "none")

    # -- sync ---------------------------------------------------------------------------------
    def sync_health(self) -> dict[str, Any]:
        if self.sync is None:
            counts = self.cache.counts() if self.cache is not None else {}
            return {"pending": counts.get("pending", 0), "dead_letters": counts.get("dead", 0),
                    "last_success": None, "last_error": None, "platform_configured": False}
        return {**self.sync.health().as_dict(), "platform_configured": True}

    def dead_letters(self) -> list[dict[str, Any]]:
        if self.cache is None:
            return []
        return [{"id": r.id, "kind": r.kind, "created_at": r.created_at, "attempts": r.attempts,
                 "reason": (r.dead_reason or {}).get("message") or (r.dead_reason or {}).get("code") or r.last_error}
                for r in self.cache.dead_letters()]

    def retry(self, record_id: str) -> bool:
        self._audit("sync.retry", record=record_id)
        ok = bool(self.cache.retry(record_id))
        if ok and self.sync is not None:
            self.sync.sync_now()
        return ok

    def discard(self, record_id: str, reason: str) -> bool:
        if not reason.strip():
            raise ValueError("a reason is needed to discard a record")
        self._audit("sync.discard", record=record_id, reason=reason.strip())
        return bool(self.cache.discard(record_id, reason.strip()))

    def sync_now(self) -> None:
        self._audit("sync.now")
        if self.sync is not None:
            self.sync.sync_now()

    def catalogue_info(self) -> dict[str, Any]:
        """``age_minutes`` is None for the bundled sample; ``loaded`` False when there is none."""
        cat = self.catalogue
        if cat is None:
            return {"version": "", "loaded": False, "age_minutes": None}
        age = None if cat.age_seconds is None else int(cat.age_seconds // 60)
        return {"version": cat.version, "loaded": True, "age_minutes": age, "services": len(cat.services)}

    # -- configuration --------------------------------------------------------------------------
    @property
    def drop_in_path(self) -> Path:
        """Where the panel saves: ``<data_dir>/kiosk.d/technician.toml``, writable under the unit's
        ``ProtectSystem=strict`` (``/etc/hall-kiosk`` is not), read over the base file at start."""
        return drop_in_dir(self.config.data_dir) / TECHNICIAN_DROP_IN

    def _base(self) -> tuple[Config, str]:
        """The base file alone (its values and text), with this kiosk's data_dir."""
        base = load_layers(self.base_path, data_dir=self.config.data_dir)[0]
        text = ""
        if self.base_path is not None:
            try:
                text = self.base_path.read_text(encoding="utf-8")
            except OSError:
                text = ""  # load_layers just read it; a vanished file only loses the comments shown
        return base, text

    def config_text(self) -> str:
        """Every value in effect, written over the base file's text so its comments show."""
        try:
            _base, text = self._base()
        except ConfigError:
            text = ""
        return render(self.config, text)

    def save_config(self, text: str) -> Config:
        """Validate TOML text and save what differs from the base file into the drop-in.

        Raises :class:`ConfigError` naming the bad key, :class:`ConfigNotWritable` when the drop-in
        cannot be written; either way nothing changed and the audit log says so."""
        import tomllib

        try:
            try:
                new = parse_config(tomllib.loads(text))
            except tomllib.TOMLDecodeError as exc:
                raise ConfigError(f"not valid TOML ({exc})") from None
            base, _text = self._base()
        except ConfigError as exc:
            self._audit("config.refused", error=str(exc))
            raise
        old, fresh = _flatten(self.config.to_dict()), _flatten(new.to_dict())
        changed = sorted(k for k in fresh if fresh[k] != old.get(k))
        path = self.drop_in_path
        try:
            save_drop_in(base, new, path)
        except ConfigError as exc:
            self._audit("config.refused", error=str(exc))
            raise
        except OSError as exc:
            reason = exc.strerror or str(exc)
            log.error("configuration not saved", extra={"ctx": {"path": str(path), "reason": reason}})
            self._audit("config.save_failed", path=str(path), reason=reason)
            raise ConfigNotWritable(path, reason) from exc
        self.config = new
        self._audit("config.saved", keys=changed, path=str(path))
        return new

    # -- diagnostics ----------------------------------------------------------------------------
    def diagnostics_bundle(self, recent_logs: list[str] | None = None) -> bytes:
        """A zip for the support desk: config without secrets, device states, sync health, dead
        letters (no payloads), catalogue info, the audit head and recent (scrubbed) log lines."""
        from kiosk.logs import scrub

        self._audit("diagnostics.exported")
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
            def put(name: str, obj: Any) -> None:
                zf.writestr(name, json.dumps(obj, ensure_ascii=False, indent=1, default=str))

            put("config.json", self.config.to_dict(secrets=False))
            put("devices.json", self.device_rows())
            put("sync.json", self.sync_health())
            put("dead_letters.json", self.dead_letters())
            put("catalogue.json", self.catalogue_info())
            put("audit_head.json", self.audit.head())
            put("created.json", {"at": time.strftime("%Y-%m-%dT%H:%M:%S%z")})
            zf.writestr("recent.log", "\n".join(scrub(line) for line in (recent_logs or [])))
        return buffer.getvalue()


def _flatten(data: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for key, value in data.items():
        if isinstance(value, dict):
            flat.update(_flatten(value, f"{prefix}{key}."))
        else:
            flat[f"{prefix}{key}"] = value
    return flat
