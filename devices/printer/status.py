"""Real-time printer status from DLE EOT n (10 04 n), reference §2.4.

Each reply is one byte whose fixed bits read 0xx1xx10b (b0=0, b1=1, b4=1, b7=0).
"""

from __future__ import annotations

from dataclasses import dataclass

from common.i18n import translate

DLE_EOT = b"\x10\x04"
FIXED_MASK, FIXED_VALUE = 0x93, 0x12


def is_status_byte(b: int) -> bool:
    return b & FIXED_MASK == FIXED_VALUE


REASONS = ("unreachable", "offline", "cover_open", "paper_out", "cutter_error", "error", "bad_status")


def technician_text(key: str) -> str:
    """A catalogue text as the technician reads it on the device state: Chinese, then English."""
    return f"{translate('zh_CN', key)} {translate('en', key)}"


def status_text(key: str) -> str:
    """The technician's line for a status reason (catalogue ``printer.status.<key>``)."""
    return technician_text("printer.status." + key)


REASON_TEXT = {reason: status_text(reason) for reason in REASONS}


@dataclass(frozen=True)
class PrinterStatus:
    reachable: bool = True
    checked: bool = True            # False: the transport has no read path (file:), status unknown
    online: bool = True
    cover_open: bool = False
    paper_near_end: bool = False
    paper_out: bool = False
    cutter_error: bool = False
    unrecoverable_error: bool = False
    auto_recoverable_error: bool = False
    raw: bytes = b""

    @property
    def reason(self) -> str | None:
        """Why a job cannot print now (a key of REASON_TEXT), or None when it can."""
        if not self.reachable:
            return "unreachable"
        if self.raw and not all(is_status_byte(b) for b in self.raw):
            return "bad_status"
        if self.cover_open:
            return "cover_open"
        if self.paper_out:
            return "paper_out"
        if self.cutter_error:
            return "cutter_error"
        if self.unrecoverable_error or self.auto_recoverable_error:
            return "error"
        if not self.online:
            return "offline"
        return None

    @property
    def can_print(self) -> bool:
        return self.reason is None

    @property
    def message(self) -> str:
        reason = self.reason
        if reason is None:
            return status_text("paper_near_end" if self.paper_near_end else "ready")
        return REASON_TEXT[reason]

    def as_dict(self) -> dict[str, object]:
        return {"reachable": self.reachable, "checked": self.checked, "online": self.online,
                "cover_open": self.cover_open, "paper_near_end": self.paper_near_end,
                "paper_out": self.paper_out, "cutter_error": self.cutter_error,
                "unrecoverable_error": self.unrecoverable_error,
                "auto_recoverable_error": self.auto_recoverable_error,
                "reason": self.reason, "message": self.message, "raw": self.raw.hex()}


def parse_status(replies: bytes) -> PrinterStatus:
    """Four reply bytes to n = 1, 2, 3, 4 → status. Raises ValueError on a wrong count."""
    if len(replies) != 4:
        raise ValueError(f"need 4 status bytes, got {len(replies)}")
    n1, n2, n3, n4 = replies
    return PrinterStatus(
        online=not n1 & 0x08,
        cover_open=bool(n2 & 0x04),
        paper_out=(n4 & 0x60) == 0x60 or bool(n2 & 0x20),
        paper_near_end=(n4 & 0x0C) == 0x0C,
        cutter_error=bool(n3 & 0x08),
        unrecoverable_error=bool(n3 & 0x20),
        auto_recoverable_error=bool(n3 & 0x40),
        raw=bytes(replies),
    )


def status_bytes(*, offline: bool = False, cover_open: bool = False, paper_near_end: bool = False,
                 paper_out: bool = False, cutter_error: bool = False) -> dict[int, int]:
    """The replies a printer in this condition gives to n = 1..4 (the simulator's side)."""
    stopped = offline or cover_open or paper_out or cutter_error
    return {
        1: FIXED_VALUE | (0x08 if stopped else 0),
        2: FIXED_VALUE | (0x04 if cover_open else 0) | (0x20 if paper_out else 0)
        | (0x40 if cutter_error else 0),
        3: FIXED_VALUE | (0x08 if cutter_error else 0),
        4: FIXED_VALUE | (0x0C if paper_near_end else 0) | (0x60 if paper_out else 0),
    }
