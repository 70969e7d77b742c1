"""The words for what a device reports: its kind, its state and its reason, in any language.

The devices hand over typed codes (:class:`DeviceKind`, :class:`DeviceState`,
:class:`StartupReason`, the printer's status codes, :class:`A4Condition`, :class:`CameraProblem`);
this module names the catalogue key of each, so the technician panel (ui/technician_words.py), the
kiosk's staff alerts (kiosk/device_trouble.py) and the city view read one vocabulary (the city
view's 未连接 / 故障, the printer's status lines). A reason that is not a code (a driver's detail such
as an OS error on a port) is data and is given back as it came."""

from __future__ import annotations

from collections.abc import Callable

from devices.a4.status import A4Condition
from devices.camera.device import CameraProblem
from devices.printer.status import REASONS as PRINTER_REASONS
from devices.state import DeviceKind, DeviceState, StartupReason

Tr = Callable[..., str]

STATE_KEYS = {
    DeviceState.DISCONNECTED: "staff.city.reason.disconnected",
    DeviceState.READY: "printer.status.ready",
    DeviceState.BUSY: "device.state.busy",
    DeviceState.ERROR: "staff.city.reason.error",
}
STARTUP_KEYS = {
    StartupReason.NOT_CONFIGURED: "technician.reason.not_configured",
    StartupReason.NOT_STARTED: "technician.reason.not_started",
}
A4_KEYS = {
    A4Condition.READY: "printer.status.ready",
    A4Condition.PAPER_LOW: "printer.status.paper_near_end",
    A4Condition.PAPER_OUT: "printer.status.paper_out",
    A4Condition.TONER_LOW: "a4.status.toner_low",
    A4Condition.TONER_OUT: "a4.status.toner_out",
    A4Condition.JAM: "a4.status.jam",
    A4Condition.DOOR_OPEN: "printer.status.cover_open",
    A4Condition.OFFLINE: "printer.status.offline",
    A4Condition.UNREACHABLE: "printer.status.unreachable",
}
CAMERA_KEYS = {
    CameraProblem.DISCONNECTED: "staff.city.reason.disconnected",
    CameraProblem.NO_FRAME: "camera.problem.no_frame",
    CameraProblem.BLACK: "camera.problem.black_frame",
    CameraProblem.NOT_STILL: "camera.problem.not_still",
    CameraProblem.BLURRED: "camera.problem.blurred",
}
# The printer's codes beyond its status reasons (devices/printer/driver.py PrintResult.reason).
PRINTER_CODES = frozenset({*PRINTER_REASONS, "paper_near_end", "write_failed"})
KINDS = frozenset(k.value for k in DeviceKind)


def kind_text(tr: Tr, kind: str) -> str:
    return tr(f"staff.city.device.{kind}") if kind in KINDS else kind


def state_text(tr: Tr, state: DeviceState | str) -> str:
    try:
        return tr(STATE_KEYS[DeviceState(state)])
    except ValueError:
        return str(state)


def reason_text(tr: Tr, kind: str, reason: str | None) -> str:
    """A device's reason in words: a start-up reason or a status code of its kind; else as given."""
    if not reason:
        return ""
    if reason in STARTUP_KEYS:
        return tr(STARTUP_KEYS[StartupReason(reason)])
    if kind == DeviceKind.PRINTER and reason in PRINTER_CODES:
        return tr(f"printer.status.{reason}")
    if kind == DeviceKind.A4_PRINTER and reason in A4_KEYS:
        return tr(A4_KEYS[A4Condition(reason)])
    if kind == DeviceKind.CAMERA and reason in CAMERA_KEYS:
        return tr(CAMERA_KEYS[CameraProblem(reason)])
    return reason
