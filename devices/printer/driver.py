"""Receipt printer driver: connection strings, status around every job, the print API.

Connections: ``usb:VID:PID`` (python-escpos Usb), ``tcp:HOST:PORT`` (python-escpos Network),
``file:PATH`` (python-escpos File; no read path, so status is unknown), ``serial:<pyserial URL>
[?baudrate=N]`` (pyserial directly, because python-escpos' Serial opens device paths only, not
``socket://`` or pty URLs) and ``sim`` (an in-process simulator behind a real pty).

A job checks status first (DLE EOT 1-4) and is refused with a reason when the printer cannot
print, so the kiosk can show the ticket on screen instead; status is checked again afterwards
(paper can run out mid-ticket) and paper near end raises an alert.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import errno
import logging
import os
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs

from common.i18n import SOURCE_LANGUAGE
from devices.printer.encoder import encode
from devices.printer.layout import Element
from devices.printer.presenter import (
    Mouth,
    PresenterKind,
    PresenterStatus,
    eject_cmd,
    parse_presenter,
    present_cmd,
    retract_cmd,
    status_query,
)
from devices.printer.printer_profile import PrinterProfile
from devices.printer.status import (
    DLE_EOT,
    REASON_TEXT,
    PrinterStatus,
    is_status_byte,
    parse_status,
    status_text,
    technician_text,
)
from devices.printer.templates import (
    ApplicationReceipt,
    RatingSlip,
    TicketSlip,
    rating_layout,
    receipt_layout,
    test_page_layout,
    ticket_layout,
)

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PrintResult:
    ok: bool
    reason: str | None          # a key of status.REASON_TEXT, or "write_failed"
    status: PrinterStatus
    message: str = ""
    bytes_sent: int = 0


class _Link:
    can_read = True

    def write(self, data: bytes) -> None:
        raise NotImplementedError

    def read1(self, timeout: float) -> bytes:
        raise NotImplementedError

    def drain(self) -> None:
        pass

    def close(self) -> None:
        pass


class _SerialLink(_Link):
    def __init__(self, url: str, baud: int, timeout: float) -> None:
        import serial

        self._ser = serial.serial_for_url(url, baudrate=baud, timeout=timeout, write_timeout=10)

    def write(self, data: bytes) -> None:
        self._ser.write(data)
        self._ser.flush()

    def read1(self, timeout: float) -> bytes:
        self._ser.timeout = timeout
        return bytes(self._ser.read(1))

    def drain(self) -> None:
        self._ser.reset_input_buffer()

    def close(self) -> None:
        self._ser.close()


class _EscposLink(_Link):
    """A python-escpos printer object used as a byte pipe (``_raw`` / ``_read``)."""

    def __init__(self, device: Any, can_read: bool) -> None:
        self._dev = device
        self.can_read = can_read
        device.open()

    def write(self, data: bytes) -> None:
        self._dev._raw(data)

    def read1(self, timeout: float) -> bytes:
        sock = getattr(self._dev, "device", None)
        if isinstance(sock, socket.socket):
            sock.settimeout(timeout)
            try:
                return sock.recv(1)
            except TimeoutError:
                return b""
        return bytes(self._dev._read()[:1])

    def drain(self) -> None:
        sock = getattr(self._dev, "device", None)
        if isinstance(sock, socket.socket):
            sock.setblocking(False)
            with contextlib.suppress(OSError):
                while sock.recv(256):
                    pass
            sock.setblocking(True)

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self._dev.close()


def open_link(connection: str, profile: PrinterProfile, timeout: float) -> _Link:
    kind, _, rest = connection.partition(":")
    if kind == "serial":
        url, _, query = rest.partition("?")
        baud = int(parse_qs(query).get("baudrate", [profile.baudrate])[0])
        return _SerialLink(url, baud, timeout)
    if kind == "tcp":
        host, _, port = rest.rpartition(":")
        from escpos.printer import Network

        return _EscposLink(Network(host, int(port), timeout=timeout), True)
    if kind == "file":
        from escpos.printer import File

        if rest.startswith("/dev/") and not os.path.exists(rest):
            # A device node that is not there (printer unplugged, udev rule missing): opening it for
            # writing would create a plain file in /dev and "print" into it for ever.
            raise FileNotFoundError(errno.ENOENT, "no such printer device", rest)
        return _EscposLink(File(rest), False)
    if kind == "usb":
        vid, _, pid = rest.partition(":")
        from escpos.printer import Usb

        return _EscposLink(Usb(int(vid, 16), int(pid, 16), timeout=int(timeout * 1000),
                               in_ep=profile.usb_in_ep, out_ep=profile.usb_out_ep), True)
    raise ValueError(f"unknown printer connection {connection!r}: "
                     "use usb:VID:PID, serial:URL, tcp:HOST:PORT, file:PATH or sim")


class Printer:
    """Thread-safe: jobs and status queries are serialised by one lock."""

    def __init__(self, connection: str, profile: PrinterProfile | dict[str, Any] | None = None, *, timeout: float = 1.5,
                 on_alert: Callable[[str], None] | None = None, label: str = "") -> None:
        self.profile = profile if isinstance(profile, PrinterProfile) else PrinterProfile.from_dict(profile)
        self.connection, self.timeout, self.on_alert, self.label = connection, timeout, on_alert, label
        self.simulator = None
        if connection != "sim" and connection.partition(":")[0] not in ("usb", "serial", "tcp", "file"):
            raise ValueError(f"unknown printer connection {connection!r}: "
                             "use usb:VID:PID, serial:URL, tcp:HOST:PORT, file:PATH or sim")
        if connection == "sim":
            from devices.printer.simulator import PrinterSimulator

            self.simulator = PrinterSimulator(self.profile.paper_mm, presenter=self.profile.presenter)
            self.connection = "serial:" + self.simulator.listen_pty()
        self._link: _Link | None = None
        self._lock = threading.RLock()
        self.last_status = PrinterStatus(reachable=False)

    # -- connection -------------------------------------------------------------------------
    def _ensure_open(self) -> _Link:
        if self._link is None:
            self._link = open_link(self.connection, self.profile, self.timeout)
        return self._link

    def _drop(self) -> None:
        link, self._link = self._link, None
        if link is not None:
            link.close()

    def close(self) -> None:
        with self._lock:
            self._drop()
            if self.simulator is not None:
                self.simulator.close()

    # -- status -----------------------------------------------------------------------------
    def status(self) -> PrinterStatus:
        with self._lock:
            try:
                link = self._ensure_open()
                if not link.can_read:
                    st = PrinterStatus(checked=False)
                else:
                    link.drain()
                    replies = bytearray()
                    for n in (1, 2, 3, 4):
                        link.write(DLE_EOT + bytes([n]))  # one query at a time: wait for each reply
                        b = link.read1(self.timeout)
                        if not b:
                            break
                        replies += b
                    if len(replies) < 4:
                        st = PrinterStatus(reachable=False, online=False)
                    elif not all(is_status_byte(x) for x in replies):
                        st = PrinterStatus(online=False, raw=bytes(replies))
                    else:
                        st = parse_status(bytes(replies))
            except Exception as exc:  # pyusb, pyserial and sockets raise many types; all mean "gone"
                log.warning("printer status query failed", extra={"ctx": {"error": str(exc)}})
                self._drop()
                st = PrinterStatus(reachable=False, online=False)
            if st.paper_near_end and not self.last_status.paper_near_end:
                self._alert(technician_text("printer.alert.paper_near_end"))
            self.last_status = st
            return st

    def _alert(self, message: str) -> None:
        log.warning("printer alert", extra={"ctx": {"alert": message}})
        if self.on_alert:
            try:
                self.on_alert(message)
            except Exception:
                log.exception("printer alert callback failed")

    # -- jobs -------------------------------------------------------------------------------
    def print_elements(self, elements: list[Element], job: str = "job") -> PrintResult:
        with self._lock:
            before = self.status()
            if not before.can_print:
                log.info("print refused", extra={"ctx": {"job": job, "reason": before.reason}})
                return PrintResult(False, before.reason, before, before.message)
            data = encode(elements, self.profile)
            try:
                self._ensure_open().write(data)
            except Exception as exc:
                self._drop()
                st = PrinterStatus(reachable=False, online=False)
                return PrintResult(False, "write_failed", st, f"{status_text('write_failed')}: {exc}")
            after = self.status()
            if after.checked and not after.can_print:
                # Ran out of paper or the cover opened while printing: the slip may be incomplete.
                return PrintResult(False, after.reason, after, after.message, len(data))
            log.info("printed", extra={"ctx": {"job": job, "bytes": len(data)}})
            return PrintResult(True, None, after, after.message, len(data))

    def print_ticket(self, slip: TicketSlip) -> PrintResult:
        return self.print_elements(ticket_layout(slip), "ticket")

    def print_receipt(self, receipt: ApplicationReceipt) -> PrintResult:
        return self.print_elements(receipt_layout(receipt), "receipt")

    def print_rating_slip(self, slip: RatingSlip) -> PrintResult:
        return self.print_elements(rating_layout(slip), "rating_slip")

    def print_test_page(self, language: str = SOURCE_LANGUAGE) -> PrintResult:
        """The technician's test page, its labels in ``language`` (the glyph probes stay Chinese)."""
        layout = test_page_layout(self.profile, dt.datetime.now(), self.connection, language)
        return self.print_elements(layout, "test_page")

    # -- presenter (kiosk mechanisms) -------------------------------------------------------
    @property
    def presenter(self) -> PresenterKind:
        return PresenterKind(self.profile.presenter)

    def _presenter_command(self, data: bytes, what: str) -> bool:
        with self._lock:
            try:
                self._ensure_open().write(data)
            except Exception as exc:
                log.warning("presenter command failed", extra={"ctx": {"command": what, "error": str(exc)}})
                self._drop()
                return False
            log.info("presenter", extra={"ctx": {"command": what}})
            return True

    def present(self, retract_after_s: int = 0) -> bool:
        """Present the paper just cut at the mouth (False: no presenter, or the write failed)."""
        if self.presenter is PresenterKind.NONE:
            return False
        return self._presenter_command(present_cmd(self.presenter, self.profile.presenter_steps, retract_after_s),
                                       "present")

    def retract(self) -> bool:
        """Pull the paper waiting at the mouth back into the printer (its bin)."""
        if self.presenter is PresenterKind.NONE:
            return False
        return self._presenter_command(retract_cmd(self.presenter), "retract")

    def eject(self) -> bool:
        """Push the paper at the mouth out (clears the paper path)."""
        if self.presenter is PresenterKind.NONE:
            return False
        return self._presenter_command(eject_cmd(self.presenter), "eject")

    def presenter_status(self) -> PresenterStatus:
        """Whether paper waits at the mouth (``Mouth.UNKNOWN`` without a presenter or an answer)."""
        if self.presenter is PresenterKind.NONE:
            return PresenterStatus(Mouth.UNKNOWN)
        query, length = status_query(self.presenter)
        with self._lock:
            try:
                link = self._ensure_open()
                if not link.can_read:
                    return PresenterStatus(Mouth.UNKNOWN)
                link.drain()
                link.write(query)
                reply = bytearray()
                while len(reply) < length:
                    b = link.read1(self.timeout)
                    if not b:
                        break
                    reply += b
            except Exception as exc:
                log.warning("presenter status failed", extra={"ctx": {"error": str(exc)}})
                self._drop()
                return PresenterStatus(Mouth.UNKNOWN)
        return parse_presenter(self.presenter, bytes(reply))

    def wait_idle(self, seconds: float = 0.2) -> None:
        """Give a simulator behind a pty time to finish interpreting (tests, CLI preview)."""
        time.sleep(seconds)


__all__ = ["REASON_TEXT", "PrintResult", "Printer", "PrinterStatus"]
