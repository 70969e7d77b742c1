"""What the kiosk may rely on from each device kind, whatever the transport: a Protocol per kind
(card reader, receipt printer, QR scanner, document camera, A4 printer, speech-mode keypad), each
reporting a :class:`~devices.state.DeviceState` and a reason code. The concrete drivers satisfy them; mypy
checks that at the bottom of this module.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

from devices.state import DeviceState

if TYPE_CHECKING:
    from devices.a4.driver import A4PrintResult
    from devices.a4.status import A4Status
    from devices.camera.device import CameraHealth, Photo
    from devices.camera.page import Frame
    from devices.printer.driver import PrintResult
    from devices.printer.presenter import PresenterKind, PresenterStatus
    from devices.printer.status import PrinterStatus
    from devices.printer.templates import ApplicationReceipt, RatingSlip, TicketSlip


class Stateful(Protocol):
    @property
    def state(self) -> DeviceState: ...

    @property
    def reason(self) -> str | None: ...


class CardReader(Stateful, Protocol):
    """Polls for ID cards on its own thread; cards arrive through the callbacks it was built with."""

    def start(self) -> None: ...

    def stop(self) -> None: ...


class Scanner(Stateful, Protocol):
    """Reads QR codes (serial line, HID keyboard wedge or camera) on its own thread."""

    def start(self) -> None: ...

    def stop(self) -> None: ...


class Keypad(Stateful, Protocol):
    """The speech-mode keypad (an evdev keyboard, grabbed); keys arrive through ``on_key``."""

    def start(self) -> None: ...

    def stop(self) -> None: ...


class ReceiptPrinter(Protocol):
    """An ESC/POS thermal printer; the manager maps its status to a DeviceState."""

    @property
    def last_status(self) -> PrinterStatus: ...

    def status(self) -> PrinterStatus: ...

    def print_ticket(self, slip: TicketSlip) -> PrintResult: ...

    def print_receipt(self, receipt: ApplicationReceipt) -> PrintResult: ...

    def print_rating_slip(self, slip: RatingSlip) -> PrintResult: ...

    def print_test_page(self) -> PrintResult: ...

    # the presenter of a kiosk mechanism (PresenterKind.NONE: these return False / Mouth.UNKNOWN)
    @property
    def presenter(self) -> PresenterKind: ...

    def present(self, retract_after_s: int = 0) -> bool: ...

    def retract(self) -> bool: ...

    def presenter_status(self) -> PresenterStatus: ...

    def close(self) -> None: ...


class A4DocumentPrinter(Protocol):
    """An A4 printer behind CUPS: PDF documents; its IPP status says paper, toner, jam, offline."""

    @property
    def last_status(self) -> A4Status: ...

    def status(self) -> A4Status: ...

    def print_pdf(self, pdf: bytes, job_name: str) -> A4PrintResult: ...

    def print_test_page(self) -> A4PrintResult: ...

    def close(self) -> None: ...


class DocumentCameraDevice(Stateful, Protocol):
    """The 高拍仪: a live preview, and a still photo of the page cropped to it."""

    def start(self) -> None: ...

    def stop(self) -> None: ...

    def latest(self) -> Frame | None: ...

    def preview_jpeg(self, max_side: int = 800) -> bytes | None: ...

    def capture(self, timeout: float = 8.0) -> Photo: ...

    def health(self) -> CameraHealth: ...


if TYPE_CHECKING:  # the drivers satisfy their protocols (checked by mypy, never run)
    from devices.a4.driver import CupsA4Printer
    from devices.a4.simulator import SimulatedA4Printer
    from devices.camera.device import DocumentCamera
    from devices.idcard.poller import CardPoller
    from devices.keypad.evdev_keypad import EvdevKeypad
    from devices.printer.driver import Printer
    from devices.scanner.camera import CameraScanner
    from devices.scanner.evdev_scanner import EvdevScanner
    from devices.scanner.serial_scanner import SerialScanner

    def _conforms(poller: CardPoller, printer: Printer, serial: SerialScanner, evdev: EvdevScanner,
                  qr_camera: CameraScanner, camera: DocumentCamera, cups: CupsA4Printer,
                  a4_sim: SimulatedA4Printer, keypad: EvdevKeypad) -> None:
        _reader: CardReader = poller
        _printer: ReceiptPrinter = printer
        _scanners: list[Scanner] = [serial, evdev, qr_camera]
        _camera: DocumentCameraDevice = camera
        _a4: list[A4DocumentPrinter] = [cups, a4_sim]
        _keypad: Keypad = keypad
