"""DeviceManager: builds the devices from the typed :class:`~devices.config.DevicesConfig`,
runs their threads, tracks their state and forwards events as plain callbacks (called from
device threads; no Qt here).

``sim`` starts a device's simulator in-process (card reader, printer and serial scanner behind a
real pty, so the driver path is the real one); the simulators are reachable as
``manager.simulators[kind]`` and each lists its faults in ``FAULTS``. ``none`` leaves a device
out. A configured device that is missing or cannot be opened is DISCONNECTED with an alert;
nothing a device does at start raises out of the manager, so the kiosk never exits for a device.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any, Protocol

from devices.a4.driver import A4Printer, A4PrintResult
from devices.a4.status import A4Status
from devices.camera.device import DocumentCamera
from devices.config import (
    A4PrinterConfig,
    CameraConfig,
    DevicesConfig,
    IdCardConfig,
    KeypadConfig,
    PrinterConfig,
    ScannerConfig,
)
from devices.idcard.card import IdCard
from devices.idcard.poller import CardPoller
from devices.keypad.keys import KeypadKey
from devices.printer.driver import Printer, PrintResult
from devices.printer.printer_profile import PrinterProfile
from devices.printer.status import PrinterStatus
from devices.protocols import Keypad, Scanner
from devices.scanner.classify import Scan
from devices.state import DeviceKind, DeviceState, StartupReason, call_safely

log = logging.getLogger(__name__)


KINDS: tuple[str, ...] = tuple(k.value for k in DeviceKind)
#: reasons of the state a device has before it was tried: leaving them is no news
_NOT_YET = tuple(StartupReason)


class Simulator(Protocol):
    """What the technician panel and ``diag simulate`` use of every simulator."""

    FAULTS: tuple[str, ...]

    def set_fault(self, name: str | None) -> None: ...

    @property
    def fault(self) -> str | None: ...

    def close(self) -> None: ...


class DeviceManager:
    def __init__(self, config: DevicesConfig | None = None, *, base_url: str | None = None,
                 on_card: Callable[[IdCard], None] | None = None,
                 on_card_removed: Callable[[], None] | None = None,
                 on_scan: Callable[[Scan], None] | None = None,
                 on_key: Callable[[KeypadKey], None] | None = None,
                 on_headphones: Callable[[bool], None] | None = None,
                 on_state: Callable[[str, DeviceState, str | None], None] | None = None,
                 on_alert: Callable[[str, str], None] | None = None,
                 card_interval: float = 0.3, printer_poll: float = 10.0) -> None:
        self.config = config if config is not None else DevicesConfig()
        self.base_url = base_url
        self.on_card, self.on_card_removed, self.on_scan = on_card, on_card_removed, on_scan
        self.on_key, self.on_headphones = on_key, on_headphones
        self.on_state, self.on_alert = on_state, on_alert
        self.card_interval, self.printer_poll = card_interval, printer_poll
        self.states: dict[str, tuple[DeviceState, str | None]] = {
            k: (DeviceState.DISCONNECTED, StartupReason.NOT_CONFIGURED) for k in KINDS}
        self.simulators: dict[str, Simulator] = {}
        self.printer: Printer | None = None
        self.camera: DocumentCamera | None = None
        self.a4_printer: A4Printer | None = None
        self._idcard: CardPoller | None = None
        self._scanner: Scanner | None = None
        self._keypad: Keypad | None = None
        self._jack: Keypad | None = None  # the headphone jack: the same life (start, stop, state)
        self._stop = threading.Event()
        self._printer_thread: threading.Thread | None = None
        self._a4_thread: threading.Thread | None = None
        self._lock = threading.Lock()
        #: after every printer job that printed: (method, args, result); the kiosk presents and
        #: watches receipts with personal data here (kiosk/receipt_presenter.py)
        self.on_printed: Callable[[str, tuple[Any, ...], PrintResult], None] | None = None

    # -- life cycle -------------------------------------------------------------------------
    def _load_libraries(self) -> None:
        """Import here, on the starting thread, the C extensions the device threads would import
        on first use. Python holds the GIL inside a first import's ``dlopen``; Qt, loading a QML
        plugin on its loader thread, holds the dynamic loader's lock while the plugin's start-up
        message may need the GIL (a Python Qt message handler, as pytest-qt installs): a device
        thread's first import then waits for the loader and the loader for the GIL, for ever
        (seen: the printer thread importing python-escpos while the kiosk's QML loaded)."""
        import importlib

        wanted = ["escpos.printer", "serial", "PIL.ImageFont", "qrcode"]
        if self.config.scanner.kind == "camera":
            wanted += ["cv2", "zxingcpp", "pyzbar.pyzbar"]
        if self.config.camera.device != "none":
            wanted += ["cv2"]
        if self.config.scanner.kind == "evdev" or self.config.keypad.device != "none":
            wanted += ["evdev"]
        for name in wanted:
            try:
                importlib.import_module(name)
            except Exception as exc:  # missing or broken: the driver that needs it says so; the kiosk runs on
                log.warning("device library not importable",
                            extra={"ctx": {"module": name, "error": f"{type(exc).__name__}: {exc}"}})

    def start(self) -> DeviceManager:
        self._load_libraries()
        starts: list[tuple[str, Callable[[], None]]] = [
            ("idcard", lambda: self._start_idcard(self.config.idcard)),
            ("printer", lambda: self._start_printer(self.config.printer)),
            ("scanner", lambda: self._start_scanner(self.config.scanner)),
            ("camera", lambda: self._start_camera(self.config.camera)),
            ("a4_printer", lambda: self._start_a4_printer(self.config.a4_printer)),
            ("keypad", lambda: self._start_keypad(self.config.keypad)),
        ]
        for kind, start in starts:
            try:
                start()
            except Exception as exc:  # any driver failure: this device is out, the kiosk runs on
                log.exception("device could not be started", extra={"ctx": {"device": kind}})
                self._state(kind, DeviceState.DISCONNECTED, f"start failed: {type(exc).__name__}: {exc}")
        return self

    @property
    def closing(self) -> bool:
        """close() was called: threads that watch a device (the kiosk's receipt watch) stop."""
        return self._stop.is_set()

    def close(self) -> None:
        """Stop every thread and close every port and simulator."""
        self._stop.set()
        for stop in (self._idcard.stop if self._idcard else None, self._scanner.stop if self._scanner else None,
                     self.camera.stop if self.camera else None, self._keypad.stop if self._keypad else None,
                     self._jack.stop if self._jack else None):
            if stop is not None:
                try:
                    stop()
                except Exception:
                    log.exception("device did not stop cleanly")
        for thread in (self._printer_thread, self._a4_thread):
            if thread:
                thread.join(timeout=5)
        if self.printer:
            self.printer.close()
        if self.a4_printer:
            self.a4_printer.close()
        for sim in self.simulators.values():
            sim.close()
        self.simulators.clear()

    def __enter__(self) -> DeviceManager:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _state(self, kind: str, state: DeviceState, reason: str | None) -> None:
        with self._lock:
            before = self.states.get(kind)
            if before == (state, reason):
                return
            self.states[kind] = (state, reason)
        call_safely(self.on_state, kind, state, reason)
        bad = state in (DeviceState.DISCONNECTED, DeviceState.ERROR)
        # Alert on entering a bad state (or the first answer of a device that never was ready);
        # a reconnect loop repeating the same state with new wording does not page the hall again.
        if bad and reason not in _NOT_YET and (before is None or before[0] != state or before[1] in _NOT_YET):
            call_safely(self.on_alert, kind, f"{kind} {state.value}: {reason or 'no reason given'}")

    def state(self, kind: str) -> tuple[DeviceState, str | None]:
        return self.states[kind]

    def faults(self, kind: str) -> tuple[str, ...]:
        """The faults the simulator of ``kind`` can play; () for a real device."""
        sim = self.simulators.get(kind)
        return tuple(sim.FAULTS) if sim is not None else ()

    def _missing(self, kind: str, reason: str) -> None:
        self._state(kind, DeviceState.DISCONNECTED, reason)

    # -- ID card ----------------------------------------------------------------------------
    def _start_idcard(self, cfg: IdCardConfig) -> None:
        if cfg.port == "none":
            return
        port = cfg.port
        if port == "sim":
            from devices.idcard.simulator import IdCardSimulator

            sim = IdCardSimulator(baud=cfg.baud)
            port = sim.listen_pty()
            self.simulators["idcard"] = sim
        self._state("idcard", DeviceState.DISCONNECTED, StartupReason.NOT_STARTED)
        self._idcard = CardPoller(
            port, cfg.baud, on_card=lambda c: call_safely(self.on_card, c),
            on_removed=lambda: call_safely(self.on_card_removed),
            on_state=lambda s, r: self._state("idcard", s, r), interval=self.card_interval)
        self._idcard.start()

    # -- printer ----------------------------------------------------------------------------
    def _start_printer(self, cfg: PrinterConfig) -> None:
        if cfg.connection == "none":
            return
        self._state("printer", DeviceState.DISCONNECTED, StartupReason.NOT_STARTED)
        profile = PrinterProfile.from_dict({"paper_mm": cfg.paper_mm, "text_mode": cfg.text_mode,
                                            "presenter": cfg.presenter, "presenter_steps": cfg.presenter_steps})
        self.printer = Printer(cfg.connection, profile,
                               on_alert=lambda m: call_safely(self.on_alert, "printer", m))
        if self.printer.simulator is not None:
            self.simulators["printer"] = self.printer.simulator
        self._printer_thread = threading.Thread(target=self._printer_loop, name="printer-status", daemon=True)
        self._printer_thread.start()

    def _printer_state(self, st: PrinterStatus) -> None:
        if not st.reachable:
            self._state("printer", DeviceState.DISCONNECTED, st.message)
        elif not st.can_print:
            self._state("printer", DeviceState.ERROR, st.reason)
        else:
            self._state("printer", DeviceState.READY, "paper_near_end" if st.paper_near_end else None)

    def _printer_loop(self) -> None:
        def ask() -> None:
            if self.printer is not None:
                self._printer_state(self.printer.status())

        self._poll("printer", ask)

    def _poll(self, kind: str, ask: Callable[[], None]) -> None:
        """Ask a printer's status every ``printer_poll`` seconds until the manager closes."""
        while not self._stop.is_set():
            try:
                ask()
            except Exception:
                log.exception("status failed", extra={"ctx": {"device": kind}})
            self._stop.wait(self.printer_poll)

    def print_job(self, method: str, *args: Any) -> PrintResult:
        """Run ``Printer.<method>(*args)`` with the state set to busy around it."""
        if self.printer is None:
            return PrintResult(False, "unreachable", PrinterStatus(reachable=False), "no printer configured")
        self._state("printer", DeviceState.BUSY, None)
        try:
            result: PrintResult = getattr(self.printer, method)(*args)
        finally:
            self._printer_state(self.printer.last_status)
        if result.ok:
            call_safely(self.on_printed, method, args, result)
        return result

    # -- A4 printer -------------------------------------------------------------------------
    def _start_a4_printer(self, cfg: A4PrinterConfig) -> None:
        if cfg.connection == "none":
            return
        self._state("a4_printer", DeviceState.DISCONNECTED, StartupReason.NOT_STARTED)
        alert = lambda m: call_safely(self.on_alert, "a4_printer", m)  # noqa: E731
        if cfg.connection == "sim":
            from devices.a4.simulator import SimulatedA4Printer

            sim_printer = SimulatedA4Printer(on_alert=alert)
            self.simulators["a4_printer"] = sim_printer.simulator
            self.a4_printer = sim_printer
        else:
            from devices.a4.driver import CupsA4Printer

            self.a4_printer = CupsA4Printer(cfg.connection, timeout=cfg.timeout_s, on_alert=alert)
        self._a4_thread = threading.Thread(target=self._a4_loop, name="a4-status", daemon=True)
        self._a4_thread.start()

    def _a4_state(self, st: A4Status) -> None:
        if not st.reachable:
            self._state("a4_printer", DeviceState.DISCONNECTED, st.message or st.condition.value)
        elif not st.can_print:
            self._state("a4_printer", DeviceState.ERROR, st.condition.value)
        else:
            self._state("a4_printer", DeviceState.READY, st.condition.value if st.warning else None)

    def _a4_loop(self) -> None:
        def ask() -> None:
            if self.a4_printer is not None:
                self._a4_state(self.a4_printer.status())

        self._poll("a4_printer", ask)

    def a4_status(self) -> A4Status:
        """The A4 printer's status now (asked of CUPS), its state updated."""
        if self.a4_printer is None:
            return A4Status.unreachable("no A4 printer configured")
        st = self.a4_printer.status()
        self._a4_state(st)
        return st

    def print_a4(self, pdf: bytes, job_name: str) -> A4PrintResult:
        """Send one PDF to the A4 printer with the state set to busy around it."""
        return self._a4_job(lambda printer: printer.print_pdf(pdf, job_name))

    def print_a4_test_page(self) -> A4PrintResult:
        return self._a4_job(lambda printer: printer.print_test_page())

    def _a4_job(self, job: Callable[[A4Printer], A4PrintResult]) -> A4PrintResult:
        if self.a4_printer is None:
            return A4PrintResult(False, "unreachable", A4Status.unreachable("no A4 printer configured"))
        self._state("a4_printer", DeviceState.BUSY, None)
        try:
            return job(self.a4_printer)
        finally:
            self._a4_state(self.a4_printer.last_status)

    # -- scanner ----------------------------------------------------------------------------
    def _start_scanner(self, cfg: ScannerConfig) -> None:
        if cfg.kind == "none":
            return
        self._state("scanner", DeviceState.DISCONNECTED, StartupReason.NOT_STARTED)

        def on_state(s: DeviceState, r: str | None) -> None:
            self._state("scanner", s, r)

        def on_scan(scan: Scan) -> None:
            call_safely(self.on_scan, scan)

        scanner: Scanner
        if cfg.kind in ("sim", "serial"):
            from devices.scanner.serial_scanner import SerialScanner

            port = cfg.port
            if cfg.kind == "sim":
                from devices.scanner.simulator import ScannerSimulator

                sim = ScannerSimulator()
                port = sim.listen_pty()
                self.simulators["scanner"] = sim
            elif not port:
                self._missing("scanner", "no port configured (devices.scanner.port)")
                return
            scanner = SerialScanner(port, cfg.baud, on_scan=on_scan, on_state=on_state, base_url=self.base_url)
        elif cfg.kind == "evdev":
            from devices.scanner.evdev_scanner import EvdevScanner

            if not cfg.port:
                self._missing("scanner", "no input device configured (devices.scanner.port)")
                return
            scanner = EvdevScanner(cfg.port, on_scan=on_scan, on_state=on_state, base_url=self.base_url)
        else:  # camera: QR codes read from a camera
            from devices.scanner.camera import CameraScanner, open_camera

            index = cfg.camera_index
            scanner = CameraScanner(lambda: open_camera(index), on_scan=on_scan, on_state=on_state,
                                    backend=cfg.backend, base_url=self.base_url)
        self._scanner = scanner
        scanner.start()

    # -- document camera --------------------------------------------------------------------
    def _start_camera(self, cfg: CameraConfig) -> None:
        if cfg.device == "none":
            return
        self._state("camera", DeviceState.DISCONNECTED, StartupReason.NOT_STARTED)

        def on_state(s: DeviceState, r: str | None) -> None:
            self._state("camera", s, r)

        if cfg.device == "sim":
            from devices.camera.simulator import DocumentCameraSimulator

            sim = DocumentCameraSimulator()
            self.simulators["camera"] = sim
            self.camera = DocumentCamera(sim.open, on_state=on_state)
        else:
            from devices.camera.uvc import uvc_factory

            self.camera = DocumentCamera(uvc_factory(cfg.device, cfg.width, cfg.height), on_state=on_state)
        self.camera.start()

    # -- speech-mode keypad -----------------------------------------------------------------
    def _start_keypad(self, cfg: KeypadConfig) -> None:
        if cfg.headphones == "pactl":
            from devices.keypad.headphones import HeadphoneJack

            self._jack = HeadphoneJack(lambda plugged: call_safely(self.on_headphones, plugged))
            self._jack.start()
        if cfg.device == "none":
            return
        from devices.keypad.evdev_keypad import EvdevKeypad

        self._state("keypad", DeviceState.DISCONNECTED, StartupReason.NOT_STARTED)
        device, grab = cfg.device, True
        if device == "sim":
            from devices.keypad.simulator import KeypadSimulator

            sim = KeypadSimulator()
            device, grab = sim.listen_pty(), False   # a pty carries the records; only a real node is grabbed
            self.simulators["keypad"] = sim

        def on_state(s: DeviceState, r: str | None) -> None:
            self._state("keypad", s, r)

        self._keypad = EvdevKeypad(device, on_key=lambda k: call_safely(self.on_key, k), on_state=on_state,
                                   grab=grab)
        self._keypad.start()
