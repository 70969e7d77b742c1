"""DeviceManager: builds the three devices from a plain config dict, runs their threads, tracks
their state and forwards events as plain callbacks (called from device threads; no Qt here).

    {"idcard":  {"port": "sim" | URL, "baud": 115200},
     "printer": {"connection": "sim" | "usb:VID:PID" | "serial:URL" | "tcp:H:P" | "file:PATH",
                 "profile": {...}, "poll_seconds": 10},
     "scanner": {"kind": "sim" | "serial" | "evdev" | "camera", "port": URL, "baud": 9600,
                 "device": "/dev/input/by-id/…", "camera": 0, "backend": "zxing"},
     "base_url": "https://hall.example.gov.cn"}

``sim`` starts the simulator in-process behind a real pty, so the driver path is the real one;
the simulators are reachable as ``manager.simulators["idcard"|"printer"|"scanner"]``.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from devices.idcard.card import IdCard
from devices.idcard.poller import CardPoller
from devices.printer.driver import Printer, PrintResult
from devices.printer.printer_profile import PrinterProfile
from devices.printer.status import PrinterStatus
from devices.scanner.classify import Scan
from devices.state import DeviceState, call_safely

log = logging.getLogger(__name__)
KINDS = ("idcard", "printer", "scanner")


class DeviceManager:
    def __init__(self, config: dict[str, Any] | None = None, *,
                 on_card: Callable[[IdCard], None] | None = None,
                 on_card_removed: Callable[[], None] | None = None,
                 on_scan: Callable[[Scan], None] | None = None,
                 on_state: Callable[[str, DeviceState, str | None], None] | None = None,
                 on_alert: Callable[[str, str], None] | None = None) -> None:
        self.config = dict(config or {})
        self.on_card, self.on_card_removed, self.on_scan = on_card, on_card_removed, on_scan
        self.on_state, self.on_alert = on_state, on_alert
        self.states: dict[str, tuple[DeviceState, str | None]] = {
            k: (DeviceState.DISCONNECTED, "not configured") for k in KINDS}
        self.simulators: dict[str, Any] = {}
        self.printer: Printer | None = None
        self._idcard: CardPoller | None = None
        self._scanner: Any = None
        self._stop = threading.Event()
        self._printer_thread: threading.Thread | None = None
        self._lock = threading.Lock()

    # -- life cycle -------------------------------------------------------------------------
    def start(self) -> DeviceManager:
        base_url = self.config.get("base_url")
        if "idcard" in self.config:
            self._start_idcard(self.config["idcard"] or {})
        if "printer" in self.config:
            self._start_printer(self.config["printer"] or {})
        if "scanner" in self.config:
            self._start_scanner(self.config["scanner"] or {}, base_url)
        return self

    def close(self) -> None:
        """Stop every thread and close every port and simulator."""
        self._stop.set()
        if self._idcard:
            self._idcard.stop()
        if self._scanner:
            self._scanner.stop()
        if self._printer_thread:
            self._printer_thread.join(timeout=5)
        if self.printer:
            self.printer.close()
        for sim in self.simulators.values():
            sim.close()
        self.simulators.clear()

    def __enter__(self) -> DeviceManager:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _state(self, kind: str, state: DeviceState, reason: str | None) -> None:
        with self._lock:
            if self.states.get(kind) == (state, reason):
                return
            self.states[kind] = (state, reason)
        call_safely(self.on_state, kind, state, reason)

    def state(self, kind: str) -> tuple[DeviceState, str | None]:
        return self.states[kind]

    # -- ID card ----------------------------------------------------------------------------
    def _start_idcard(self, cfg: dict[str, Any]) -> None:
        port = cfg.get("port", "sim")
        baud = int(cfg.get("baud", 115200))
        if port == "sim":
            from devices.idcard.simulator import IdCardSimulator

            sim = IdCardSimulator(baud=baud)
            port = sim.listen_pty()
            self.simulators["idcard"] = sim
        self._idcard = CardPoller(
            port, baud, on_card=lambda c: call_safely(self.on_card, c),
            on_removed=lambda: call_safely(self.on_card_removed),
            on_state=lambda s, r: self._state("idcard", s, r),
            interval=float(cfg.get("interval", 0.3)))
        self._idcard.start()

    # -- printer ----------------------------------------------------------------------------
    def _start_printer(self, cfg: dict[str, Any]) -> None:
        profile = PrinterProfile.from_dict(cfg.get("profile"))
        self.printer = Printer(cfg.get("connection", "sim"), profile,
                               on_alert=lambda m: call_safely(self.on_alert, "printer", m))
        if self.printer.simulator is not None:
            self.simulators["printer"] = self.printer.simulator
        poll = float(cfg.get("poll_seconds", 10))
        self._printer_thread = threading.Thread(target=self._printer_loop, args=(poll,),
                                                name="printer-status", daemon=True)
        self._printer_thread.start()

    def _printer_state(self, st: PrinterStatus) -> None:
        if not st.reachable:
            self._state("printer", DeviceState.DISCONNECTED, st.message)
        elif not st.can_print:
            self._state("printer", DeviceState.ERROR, st.reason)
        else:
            self._state("printer", DeviceState.READY, "paper_near_end" if st.paper_near_end else None)

    def _printer_loop(self, poll: float) -> None:
        while not self._stop.is_set():
            if self.printer is not None:
                self._printer_state(self.printer.status())
            self._stop.wait(poll)

    def print_job(self, method: str, *args: Any) -> PrintResult:
        """Run ``Printer.<method>(*args)`` with the state set to busy around it."""
        if self.printer is None:
            return PrintResult(False, "unreachable", PrinterStatus(reachable=False), "no printer configured")
        self._state("printer", DeviceState.BUSY, None)
        try:
            result = getattr(self.printer, method)(*args)
        finally:
            self._printer_state(self.printer.last_status)
        return result

    # -- scanner ----------------------------------------------------------------------------
    def _start_scanner(self, cfg: dict[str, Any], base_url: str | None) -> None:
        kind = cfg.get("kind", "sim")
        on_state = lambda s, r: self._state("scanner", s, r)  # noqa: E731
        on_scan = lambda scan: call_safely(self.on_scan, scan)  # noqa: E731
        if kind in ("sim", "serial"):
            from devices.scanner.serial_scanner import SerialScanner

            port = cfg.get("port", "")
            if kind == "sim":
                from devices.scanner.simulator import ScannerSimulator

                sim = ScannerSimulator()
                port = sim.listen_pty()
                self.simulators["scanner"] = sim
            self._scanner = SerialScanner(port, int(cfg.get("baud", 9600)), on_scan=on_scan,
                                          on_state=on_state, base_url=base_url)
        elif kind == "evdev":
            from devices.scanner.evdev_scanner import EvdevScanner

            self._scanner = EvdevScanner(cfg["device"], on_scan=on_scan, on_state=on_state, base_url=base_url)
        elif kind == "camera":
            from devices.scanner.camera import CameraScanner, open_camera

            if cfg.get("camera") == "sim":
                from devices.scanner.simulator import ScannerSimulator

                sim = ScannerSimulator()
                self.simulators["scanner"] = sim
                factory = sim.frame_source
            else:
                index = cfg.get("camera", 0)
                factory = lambda: open_camera(index)  # noqa: E731
            self._scanner = CameraScanner(factory, on_scan=on_scan, on_state=on_state,
                                          backend=cfg.get("backend", "zxing"), base_url=base_url)
        else:
            raise ValueError(f"unknown scanner kind {kind!r}: sim, serial, evdev or camera")
        self._scanner.start()
