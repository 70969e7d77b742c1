"""SAM frame format (GA 467 as implemented by public drivers; reference §1.2-1.4).

Request:  AA AA AA 96 69 | LEN(2, BE) | CMD | PARA | DATA | CHK
Response: AA AA AA 96 69 | LEN(2, BE) | SW1 | SW2 | SW3 | DATA | CHK
LEN counts everything after itself including CHK; CHK is the XOR of LEN..last data byte.

Parsers raise only :class:`FrameError` (a ``ValueError``) on malformed input.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum
from functools import reduce

from common.i18n import translate

PREAMBLE = b"\xaa\xaa\xaa\x96\x69"
HEADER_LEN = 7  # preamble + LEN
# The largest real reply is read-with-fingerprint (LEN 0x090A); anything much larger is garbage
# and makes the reader resynchronise instead of waiting for bytes that never come.
MAX_LEN = 0x1000

# (CMD, PARA) pairs, reference §1.4.
RESET = (0x10, 0xFF)
SAM_STATUS = (0x11, 0xFF)
SAM_ID = (0x12, 0xFF)
FIND_CARD = (0x20, 0x01)
SELECT_CARD = (0x20, 0x02)
READ_BASE = (0x30, 0x01)
READ_NEW_ADDRESS = (0x30, 0x03)
READ_WITH_FINGER = (0x30, 0x10)
SET_MAX_RF_BYTE = (0x61, 0xFF)

SW_SUCCESS = 0x90
SW_FIND_OK = 0x9F
SW_NO_ITEM = 0x91
SW_NO_CARD = 0x80
SW_SELECT_FAILED = 0x81


class SamStatus(IntEnum):
    """SW3, the SAM's operation status (reference §1.3; 0x01-0x09 are host-side codes and never
    appear on the wire). A status's text is the catalogue key ``idcard.sam.<name>``, which the
    kiosk and the technician translate (see :func:`sam_status_key`)."""

    SUCCESS = 0x90
    FIND_OK = 0x9F
    NO_ITEM = 0x91
    CHECKSUM_ERROR = 0x10
    LENGTH_ERROR = 0x11
    BAD_COMMAND = 0x21
    UNAUTHORISED = 0x23
    UNKNOWN_ERROR = 0x24
    CARD_AUTH_SAM_FAILED = 0x31
    SAM_AUTH_CARD_FAILED = 0x32
    VERIFY_FAILED = 0x33
    FINGERPRINT_FAILED = 0x37
    INFO_LENGTH_ERROR = 0x3F
    UNKNOWN_CARD_TYPE = 0x40
    READ_FAILED = 0x41
    RANDOM_FAILED = 0x47
    SELF_TEST_FAILED = 0x60
    NOT_AUTHORISED = 0x66
    NO_CARD = 0x80
    SELECT_FAILED = 0x81


class FrameError(ValueError):
    """A byte string is not a well-formed SAM frame (the only exception the parsers raise)."""


def sam_status_key(sw3: int) -> str:
    """The catalogue key of a status byte; ``idcard.sam.unknown_status`` (with ``code``) for
    a byte outside the table."""
    try:
        return "idcard.sam." + SamStatus(sw3).name.lower()
    except ValueError:
        return "idcard.sam.unknown_status"


def sw3_text(sw3: int, language: str | None = None) -> str:
    """A status byte as text: in ``language``, or for the technician's device state and the
    log (``None``) Chinese then English, like the vendors' tables."""
    key, code = sam_status_key(sw3), f"0x{sw3:02X}"
    if language is not None:
        return translate(language, key, code=code)
    return f"{translate('zh_CN', key, code=code)} {translate('en', key, code=code)}"


def checksum(body: bytes | bytearray) -> int:
    return reduce(lambda a, b: a ^ b, body, 0)


def _frame(payload: bytes) -> bytes:
    length = len(payload) + 1
    if length > 0xFFFF:
        raise ValueError("frame payload too long")
    body = length.to_bytes(2, "big") + payload
    return PREAMBLE + body + bytes([checksum(body)])


def build_request(cmd: int, para: int, data: bytes = b"") -> bytes:
    return _frame(bytes([cmd, para]) + data)


def build_response(sw3: int, data: bytes = b"", sw1: int = 0, sw2: int = 0) -> bytes:
    return _frame(bytes([sw1, sw2, sw3]) + data)


@dataclass(frozen=True)
class Response:
    sw1: int
    sw2: int
    sw3: int
    data: bytes

    @property
    def ok(self) -> bool:
        # libzhouyb IsSuccessSW: both 0x90 and 0x9F are success.
        return self.sw3 in (SW_SUCCESS, SW_FIND_OK)


def _unframe(frame: bytes, min_payload: int) -> bytes:
    if len(frame) < HEADER_LEN + min_payload + 1:
        raise FrameError(f"frame too short ({len(frame)} bytes)")
    if frame[:5] != PREAMBLE:
        raise FrameError("missing preamble AA AA AA 96 69")
    length = int.from_bytes(frame[5:7], "big")
    if length != len(frame) - HEADER_LEN:
        raise FrameError(f"length field {length} does not match {len(frame) - HEADER_LEN} bytes")
    body = frame[5:-1]
    if checksum(body) != frame[-1]:
        raise FrameError(f"bad checksum 0x{frame[-1]:02X}, expected 0x{checksum(body):02X}")
    return frame[7:-1]


def parse_request(frame: bytes) -> tuple[int, int, bytes]:
    payload = _unframe(bytes(frame), 2)
    return payload[0], payload[1], payload[2:]


def parse_response(frame: bytes) -> Response:
    payload = _unframe(bytes(frame), 3)
    return Response(payload[0], payload[1], payload[2], payload[3:])


class FrameSplitter:
    """Cuts a byte stream into candidate frames, resynchronising on the preamble.

    Junk before a preamble is dropped. A half frame followed by a whole one (a reader reset in
    mid-reply, line noise that looks like a preamble) must not swallow the whole one, so every
    preamble in the buffer is a candidate and the first complete one with a good checksum wins.
    A complete frame with a bad checksum is passed on (the parser reports it) only when no
    earlier candidate is still waiting for bytes.
    """

    def __init__(self) -> None:
        self._buf = bytearray()
        self.dropped = 0

    def _positions(self) -> list[int]:
        found, i = [], self._buf.find(PREAMBLE)
        while i >= 0:
            found.append(i)
            i = self._buf.find(PREAMBLE, i + 1)
        return found

    def _take(self, start: int, end: int) -> bytes:
        self.dropped += start
        frame = bytes(self._buf[start:end])
        del self._buf[:end]
        return frame

    def feed(self, data: bytes) -> list[bytes]:
        self._buf += data
        frames: list[bytes] = []
        while True:
            positions = self._positions()
            if not positions:
                keep = next((k for k in range(min(4, len(self._buf)), 0, -1)
                             if PREAMBLE.startswith(bytes(self._buf[-k:]))), 0)
                self.dropped += len(self._buf) - keep
                del self._buf[: len(self._buf) - keep]
                return frames
            chosen = bad = None
            waiting = False
            for p in positions:
                if len(self._buf) - p < HEADER_LEN:
                    waiting = True
                    break
                length = int.from_bytes(self._buf[p + 5:p + 7], "big")
                if not 3 <= length <= MAX_LEN:
                    continue
                end = p + HEADER_LEN + length
                if end > len(self._buf):
                    waiting = True
                    continue
                if checksum(self._buf[p + 5:end - 1]) == self._buf[end - 1]:
                    chosen = (p, end)
                    break
                if bad is None and not waiting:
                    bad = (p, end)
            if chosen is None and bad is not None:
                chosen = bad
            if chosen is None:
                # Nothing complete yet: forget junk before the first plausible candidate.
                first = positions[0]
                if first:
                    self.dropped += first
                    del self._buf[:first]
                return frames
            frames.append(self._take(*chosen))

    def pending(self) -> int:
        return len(self._buf)


def sam_id_text(raw: bytes) -> str:
    """16-byte SAM ID → "05-01-xxxxxxxx-xxxxxxxxxx-xxxxxxxxxx" (libid2 SamID_Caculate)."""
    if len(raw) < 16:
        raise FrameError(f"SAM ID needs 16 bytes, got {len(raw)}")
    def le(a: int, b: int) -> int:
        return int.from_bytes(raw[a:b], "little")

    return (f"{le(0, 2):02d}-{le(2, 4):02d}-{le(4, 8):08d}-{le(8, 12):010d}-{le(12, 16):010d}")
