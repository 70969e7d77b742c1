"""The technician panel's words for what the devices and the device tests report.

The devices and :mod:`kiosk.technician` hand over typed codes (:class:`DeviceState`,
:class:`StartupReason`, the printer's status codes, :class:`A4Condition`, :class:`CameraProblem`,
:class:`TestOutcome`); this module looks each one up in the catalogue in the panel's language. The
words are the ones the other roles use for the same thing (the city view's 未连接 / 故障, the
printer's status lines), so a technician and a supervisor read one vocabulary. A reason that is not
a code (a driver's detail such as an OS error on a port) is data and is shown as it came.
"""

from __future__ import annotations

from typing import Any

from common.i18n import SOURCE_LANGUAGE, catalogue
from devices.a4.status import A4Condition
from devices.camera.device import CameraProblem
from devices.state import DeviceKind
from kiosk.device_words import (
    A4_KEYS,
    CAMERA_KEYS,
    PRINTER_CODES,
    Tr,
    reason_text,
    state_text,
)
from kiosk.technician import TestOutcome, TestResult

#: what a scan test may have read (kiosk.technician)
SCAN_KINDS = ("appointment", "ticket", "receipt", "guide", "url", "other", "rejected")

_CAMERA_FAULTS = {"no_frame": CameraProblem.NO_FRAME, "black_frame": CameraProblem.BLACK,
                  "moving": CameraProblem.NOT_STILL, "blurred": CameraProblem.BLURRED}


def fault_key(kind: str, fault: str) -> str | None:
    """The catalogue key of a simulator's fault (its own ``FAULTS`` name); None if it has none yet."""
    if kind == DeviceKind.PRINTER and fault in PRINTER_CODES:
        return f"printer.status.{fault}"
    if kind == DeviceKind.A4_PRINTER and fault in A4_KEYS:
        return A4_KEYS[A4Condition(fault)]
    if kind == DeviceKind.CAMERA and fault in _CAMERA_FAULTS:
        return CAMERA_KEYS[_CAMERA_FAULTS[fault]]
    key = f"technician.fault.name.{fault}"
    return key if key in catalogue(SOURCE_LANGUAGE) else None


def fault_text(tr: Tr, kind: str, fault: str) -> str:
    """A fault in the words of what it makes the device do (a new fault shows its name until worded)."""
    key = fault_key(kind, fault)
    return tr(key) if key else fault


def port_text(tr: Tr, port: str) -> str:
    """``sim`` and ``none`` are configuration words; a device path or URL is shown as it is."""
    if port == "sim" or port.endswith(" sim"):
        return tr("technician.devices.simulated")
    if port in ("", "none") or port.endswith(" none"):
        return tr("technician.reason.not_configured")
    return port


_DEVICE_OF = {TestOutcome.NO_CARD: DeviceKind.IDCARD, TestOutcome.PRINTED: DeviceKind.PRINTER,
              TestOutcome.NOT_PRINTED: DeviceKind.PRINTER, TestOutcome.A4_SENT: DeviceKind.A4_PRINTER,
              TestOutcome.A4_NOT_PRINTED: DeviceKind.A4_PRINTER, TestOutcome.NO_PHOTO: DeviceKind.CAMERA}


def result_text(tr: Tr, result: TestResult) -> str:
    """``technician.test.<outcome>`` filled with the result's data, its codes in words."""
    p: dict[str, Any] = dict(result.params)
    kind = _DEVICE_OF.get(result.outcome, "")
    if "state" in p:
        p["state"] = state_text(tr, p["state"])
    if "reason" in p:
        none = "printer.status.ready" if kind == DeviceKind.PRINTER else "technician.ports.none"
        p["reason"] = reason_text(tr, kind, p["reason"]) or tr(none)
    if result.outcome == TestOutcome.NO_PHOTO:
        p["problem"] = tr(CAMERA_KEYS[CameraProblem(p["problem"])])
    if result.outcome == TestOutcome.SCANNED:
        p["kind"] = tr(f"scan.kind.{p['kind']}") if p["kind"] in SCAN_KINDS else p["kind"]
    if result.outcome == TestOutcome.PHOTO:
        p["page"] = tr("technician.test.page_found" if p.pop("page_found") else "technician.test.page_not_found")
    return tr(f"technician.test.{result.outcome.value}", **p)
