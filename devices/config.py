"""The typed ``[devices]`` schema: one section per device kind, owned here and embedded by the
kiosk configuration (``kiosk/config.py``). The device manager takes these objects as they are;
nothing copies them into dicts. ``"sim"`` picks a device's simulator, ``"none"`` leaves it out.

Errors name the key and what is allowed (pydantic ``ValidationError``; the kiosk configuration
turns them into ``devices.printer.paper_mm: expected one of 58, 80, got 70``).
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator


class DeviceSection(BaseModel):
    """Base of every device section: unknown keys are errors (a typo must not fall back silently)."""

    # strict: TOML already has types; "true" for a baud rate is a mistake, not a 1
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class IdCardConfig(DeviceSection):
    #: "sim", "none" or a pyserial URL (/dev/ttyUSB0, COM3, socket://host:port)
    port: str = "sim"
    baud: int = Field(default=115200, gt=0)


class PrinterConfig(DeviceSection):
    #: sim, none, usb:VID:PID, serial:<url>[?baudrate=N], tcp:HOST:PORT, file:PATH
    connection: str = "sim"
    paper_mm: Literal[58, 80] = 80
    #: native: the printer has a Chinese font (GB18030 inside FS & … FS .); raster: text drawn as an image
    text_mode: Literal["native", "raster"] = "native"
    #: the kiosk mechanism's presenter (paper held at the mouth, retractable): none (a plain
    #: printer), gs_e (GS e n: Pyramid, KPM216, Custom VKP-80) or custom (FS P + DLE EOT 20:
    #: Custom VKP80III / TG2480-H); docs/devices.md "Receipt presenter"
    presenter: Literal["none", "gs_e", "custom"] = "none"
    #: how far a presented paper comes out, in the model's own steps (0-255)
    presenter_steps: int = Field(default=12, ge=0, le=255)


ScannerKind = Literal["sim", "serial", "evdev", "camera", "none"]


class ScannerConfig(DeviceSection):
    kind: ScannerKind = "sim"
    #: serial: a pyserial URL; evdev: the input device (/dev/kiosk-scanner, /dev/input/by-id/…)
    port: str = ""
    baud: int = Field(default=9600, gt=0)
    camera_index: int = Field(default=0, ge=0)
    backend: Literal["zxing", "pyzbar"] = "zxing"


class CameraConfig(DeviceSection):
    """The document camera (高拍仪): a UVC camera read through OpenCV."""

    #: "sim", "none", or a V4L2 device (/dev/kiosk-camera, /dev/video0) or an index ("0")
    device: str = "sim"
    width: int = Field(default=1920, gt=0)
    height: int = Field(default=1080, gt=0)


class A4PrinterConfig(DeviceSection):
    """The A4 printer behind CUPS (documents: materials checklist, application form, case receipt)."""

    #: "none" (no A4 printer, the default), "sim", or the CUPS queue: ipp://HOST:PORT/printers/NAME
    connection: str = "none"
    #: seconds to wait for CUPS on each request
    timeout_s: int = Field(default=10, gt=0, le=120)

    @field_validator("connection")
    @classmethod
    def _queue_uri(cls, value: str) -> str:
        from devices.a4.driver import valid_uri

        if value in ("none", "sim") or valid_uri(value):
            return value
        raise ValueError("expected none, sim or ipp://HOST:PORT/printers/NAME")


class KeypadConfig(DeviceSection):
    """The tactile keypad of speech mode (a USB numeric keypad read as an evdev keyboard)."""

    #: "sim", "none", or the input device: a path (/dev/kiosk-keypad, /dev/input/by-id/…) or a
    #: substring of its name
    device: str = "sim"
    #: "pactl": plugging headphones in starts speech mode (PulseAudio/PipeWire jack sensing);
    #: "none": only a key press starts it
    headphones: Literal["pactl", "none"] = "none"


class DevicesConfig(DeviceSection):
    idcard: IdCardConfig = IdCardConfig()
    printer: PrinterConfig = PrinterConfig()
    scanner: ScannerConfig = ScannerConfig()
    camera: CameraConfig = CameraConfig()
    a4_printer: A4PrinterConfig = A4PrinterConfig()
    keypad: KeypadConfig = KeypadConfig()

    @model_validator(mode="before")
    @classmethod
    def _no_simulated_camera_beside_real_devices(cls, data: Any) -> Any:
        """A kiosk with a real card reader or printer is deployed: a camera left at "sim" (or not
        configured) would hand the platform a drawn page as the citizen's material, so there it
        means no camera (the materials step then says to bring them to a window)."""
        if not isinstance(data, dict):
            return data

        def value(section: str, key: str) -> Any:
            part = data.get(section)
            return part.get(key, "sim") if isinstance(part, dict) else getattr(part, key, "sim")

        deployed = (value("idcard", "port") not in ("sim", "none")
                    or value("printer", "connection") not in ("sim", "none"))
        # the same for the speech-mode keypad: a simulated one there would only be a false "ready"
        for section in ("camera", "keypad"):
            if deployed and value(section, "device") == "sim":
                part = data.get(section)
                fields = part.model_dump() if isinstance(part, BaseModel) else dict(part or {})
                data = {**data, section: {**fields, "device": "none"}}
        return data

    def has_real_devices(self) -> bool:
        """Any device that is not a simulator: a deployed kiosk, where the demo PIN must not open."""
        # A kiosk without a card reader or printer is no demo either (as before the typed schema);
        # scanner and camera are optional on a demo machine.
        return (self.idcard.port != "sim" or self.printer.connection != "sim"
                or self.scanner.kind not in ("sim", "none") or self.camera.device not in ("sim", "none")
                or self.a4_printer.connection not in ("sim", "none")
                or self.keypad.device not in ("sim", "none"))


def describe_error(exc: ValidationError, where: str = "devices") -> str:
    """The first problem of a ``ValidationError`` as ``<key>: <what was expected>, got <value>``."""
    err = exc.errors()[0]
    key = ".".join([where, *(str(part) for part in err["loc"])] if where else [str(p) for p in err["loc"]])
    got = err.get("input")
    kind = err["type"]
    if kind == "literal_error":
        allowed = str(err.get("ctx", {}).get("expected", "")).replace(" or ", ", ")
        return f"{key}: expected one of {allowed}, got {got!r}"
    if kind in ("int_type", "int_parsing"):
        return f"{key}: expected a whole number, got {got!r}"
    if kind in ("string_type",):
        return f"{key}: expected text, got {got!r}"
    if kind == "extra_forbidden":
        return f"{key}: unknown key"
    if kind in ("model_type", "model_attributes_type", "dict_type"):
        return f"{key}: expected a table, got {type(got).__name__}"
    return f"{key}: {err['msg'].lower()}, got {got!r}"


def parse_devices(raw: Any, where: str = "devices") -> DevicesConfig:
    """Validate the ``[devices]`` table; ``ValueError`` names the key (see :func:`describe_error`)."""
    try:
        return DevicesConfig.model_validate(raw)
    except ValidationError as exc:
        raise ValueError(describe_error(exc, where)) from None
