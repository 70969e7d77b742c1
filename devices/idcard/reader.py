"""ID-card reader driver over any pyserial URL (``/dev/ttyUSB0``, ``COM3``, ``socket://h:p``, ``loop://``).

One request, one response: the input buffer is flushed before each request, the reply is found by
resynchronising on the preamble (junk and half frames are skipped), and every read is bounded by
a deadline so a silent reader raises :class:`ReaderTimeout` instead of hanging the caller.
"""

from __future__ import annotations

import logging
import time

import serial

from devices.idcard import frames as fr
from devices.idcard.card import PHOTO_LEN, TEXT_LEN, CardDataError, IdCard, parse_text_block

log = logging.getLogger(__name__)

try:  # a pty or tty that vanishes raises termios.error from tcflush, not OSError
    import termios

    IO_ERRORS: tuple[type[Exception], ...] = (serial.SerialException, OSError, termios.error)
except ImportError:  # Windows
    IO_ERRORS = (serial.SerialException, OSError)
#: opening a port also fails with ValueError for a malformed URL
OPEN_ERRORS: tuple[type[Exception], ...] = (*IO_ERRORS, ValueError)

DEFAULT_BAUD = 115200
BAUD_RATES = (115200, 57600, 38400, 19200, 9600)


class IdCardError(Exception):
    """Base of every reader error; ``str()`` is a message a technician can act on."""


class ReaderTimeout(IdCardError):
    pass


class ProtocolError(IdCardError):
    pass


class NoCardError(IdCardError):
    pass


class SamError(IdCardError):
    """The SAM answered with a failure status: ``key`` is its catalogue key (``idcard.sam.*``)
    for a screen in another language; ``str()`` carries the Chinese and English texts."""

    def __init__(self, sw3: int, doing: str) -> None:
        self.sw3 = sw3
        self.key = fr.sam_status_key(sw3)
        super().__init__(f"{doing}: SAM status 0x{sw3:02X} {fr.sw3_text(sw3)}")


class ReaderDisconnected(IdCardError):
    pass


class IdCardReader:
    """Synchronous reader. Not thread-safe: one owner (the poller thread, or a CLI command)."""

    def __init__(self, port: str, baud: int = DEFAULT_BAUD, timeout: float = 2.0) -> None:
        self.port, self.baud, self.timeout = port, baud, timeout
        self._ser: serial.SerialBase | None = None

    # -- connection -------------------------------------------------------------------------
    def open(self) -> None:
        if self._ser is not None:
            return
        try:
            self._ser = serial.serial_for_url(self.port, baudrate=self.baud, timeout=0.05,
                                              write_timeout=self.timeout)
        except OPEN_ERRORS as exc:
            raise ReaderDisconnected(f"cannot open ID-card reader port {self.port}: {exc}") from exc

    def close(self) -> None:
        ser, self._ser = self._ser, None
        if ser is not None:
            try:
                ser.close()
            except IO_ERRORS:
                pass

    @property
    def is_open(self) -> bool:
        return self._ser is not None

    def __enter__(self) -> IdCardReader:
        self.open()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- one transaction --------------------------------------------------------------------
    def transact(self, command: tuple[int, int], data: bytes = b"",
                 timeout: float | None = None) -> fr.Response:
        self.open()
        assert self._ser is not None
        ser = self._ser
        deadline = time.monotonic() + (timeout or self.timeout)
        splitter = fr.FrameSplitter()
        try:
            ser.reset_input_buffer()
            ser.write(fr.build_request(*command, data))
            ser.flush()
            while True:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise ReaderTimeout(f"no complete reply to command {command[0]:02X} {command[1]:02X} "
                                        f"within {timeout or self.timeout:.1f} s on {self.port}")
                chunk = ser.read(max(1, ser.in_waiting or 1))
                if not chunk:
                    continue
                got = splitter.feed(chunk)
                for frame in got:
                    try:
                        return fr.parse_response(frame)
                    except fr.FrameError as exc:
                        raise ProtocolError(f"corrupt reply from reader: {exc}") from exc
        except IO_ERRORS as exc:
            self.close()
            raise ReaderDisconnected(f"ID-card reader on {self.port} went away: {exc}") from exc

    def _expect(self, command: tuple[int, int], doing: str, data: bytes = b"") -> fr.Response:
        resp = self.transact(command, data)
        if not resp.ok:
            raise SamError(resp.sw3, doing)
        return resp

    # -- commands (reference §1.4) ----------------------------------------------------------
    def reset(self) -> None:
        self._expect(fr.RESET, "reset SAM")

    def sam_status(self) -> int:
        """SW3 of the self-test (0x90 healthy); does not raise on a failed self-test."""
        return self.transact(fr.SAM_STATUS).sw3

    def sam_id(self) -> str:
        return fr.sam_id_text(self._expect(fr.SAM_ID, "read SAM ID").data)

    def find_card(self) -> bool:
        resp = self.transact(fr.FIND_CARD)
        if resp.sw3 == fr.SW_NO_CARD:
            return False
        if not resp.ok:
            raise SamError(resp.sw3, "find card")
        return True

    def select_card(self) -> bool:
        resp = self.transact(fr.SELECT_CARD)
        if resp.sw3 == fr.SW_SELECT_FAILED:
            return False
        if not resp.ok:
            raise SamError(resp.sw3, "select card")
        return True

    def read_base(self, fingerprint: bool = False) -> tuple[bytes, bytes, bytes | None]:
        """(text 256, photo 1024, fingerprint or None) from 30 01 or 30 10."""
        cmd = fr.READ_WITH_FINGER if fingerprint else fr.READ_BASE
        resp = self.transact(cmd)
        if fingerprint and resp.sw3 == fr.SW_NO_ITEM:
            return (*self.read_base(False)[:2], None)
        if not resp.ok:
            raise SamError(resp.sw3, "read card")
        words = 3 if fingerprint else 2
        return split_read_payload(resp.data, words)

    def read_new_address(self) -> str | None:
        resp = self.transact(fr.READ_NEW_ADDRESS)
        if resp.sw3 == fr.SW_NO_ITEM or not resp.data.strip(b" \x00"):
            return None
        if not resp.ok:
            raise SamError(resp.sw3, "read appended address")
        return resp.data.decode("utf-16-le", errors="replace").rstrip(" \x00") or None

    def read_card(self, *, fingerprint: bool = False, appended_address: bool = False,
                  find: bool = True) -> IdCard:
        """Find, select and read one card. Raises NoCardError when nothing lies on the reader."""
        if find and not self.find_card():
            raise NoCardError("no card on the reader "
                              "(or the card was already read: lift it and place it again)")
        if not self.select_card():
            raise NoCardError("the card could not be selected; place it flat on the reader")
        text, photo, finger = self.read_base(fingerprint)
        try:
            card = parse_text_block(text, photo)
        except CardDataError as exc:
            raise ProtocolError(f"card data unreadable: {exc}") from exc
        card.fingerprint = finger
        if appended_address:
            card.appended_address = self.read_new_address()
        return card


def split_read_payload(data: bytes, words: int = 2) -> tuple[bytes, bytes, bytes | None]:
    """Split a read reply's DATA: ``words`` big-endian lengths, then text, photo (, fingerprint)."""
    if len(data) < 2 * words:
        raise ProtocolError(f"read reply too short ({len(data)} bytes)")
    lengths = [int.from_bytes(data[2 * i:2 * i + 2], "big") for i in range(words)]
    if lengths[0] != TEXT_LEN or lengths[1] > PHOTO_LEN:
        raise ProtocolError(f"unexpected block lengths {lengths}")
    if 2 * words + sum(lengths) > len(data):
        raise ProtocolError(f"read reply holds {len(data)} bytes, lengths say {2 * words + sum(lengths)}")
    pos = 2 * words
    text = data[pos:pos + lengths[0]]
    pos += lengths[0]
    photo = data[pos:pos + lengths[1]]
    pos += lengths[1]
    finger = data[pos:pos + lengths[2]] if words == 3 and lengths[2] else None
    return text, photo, finger
