"""What an A4 printer says about itself: IPP ``printer-state`` and ``printer-state-reasons``
(RFC 8011 §5.4.11–12, PWG 5100.9 keywords) mapped to one :class:`A4Condition` the kiosk and the
technician understand (paper, toner, jam, door, offline). Keywords carry a severity suffix
(``-error``, ``-warning``, ``-report``, ignored here: CUPS reports ``offline-report`` for a printer
it cannot reach); a low supply (toner low) still prints, an empty one does not.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass


class A4Condition(enum.StrEnum):
    READY = "ready"
    PAPER_LOW = "paper_low"
    PAPER_OUT = "paper_out"
    TONER_LOW = "toner_low"
    TONER_OUT = "toner_out"
    JAM = "jam"
    DOOR_OPEN = "door_open"
    OFFLINE = "offline"          # the queue is stopped or the printer does not answer CUPS
    UNREACHABLE = "unreachable"  # CUPS itself does not answer


#: printer-state-reasons keyword (without severity suffix) → condition, most serious first
_REASONS: tuple[tuple[str, A4Condition], ...] = (
    ("media-jam", A4Condition.JAM),
    ("door-open", A4Condition.DOOR_OPEN),
    ("cover-open", A4Condition.DOOR_OPEN),
    ("media-empty", A4Condition.PAPER_OUT),
    ("media-needed", A4Condition.PAPER_OUT),
    ("toner-empty", A4Condition.TONER_OUT),
    ("marker-supply-empty", A4Condition.TONER_OUT),
    ("offline", A4Condition.OFFLINE),
    ("shutdown", A4Condition.OFFLINE),
    ("connecting-to-device", A4Condition.OFFLINE),
    ("paused", A4Condition.OFFLINE),
    ("media-low", A4Condition.PAPER_LOW),
    ("toner-low", A4Condition.TONER_LOW),
    ("marker-supply-low", A4Condition.TONER_LOW),
)
_WARNINGS = frozenset({A4Condition.PAPER_LOW, A4Condition.TONER_LOW})
#: IPP printer-state values
IDLE, PROCESSING, STOPPED = 3, 4, 5


def _keyword(reason: str) -> str:
    for suffix in ("-error", "-warning", "-report"):
        if reason.endswith(suffix):
            return reason[: -len(suffix)]
    return reason


@dataclass(frozen=True)
class A4Status:
    reachable: bool
    condition: A4Condition
    reasons: tuple[str, ...] = ()
    accepting: bool = True
    message: str = ""

    @property
    def can_print(self) -> bool:
        return self.reachable and self.accepting and self.condition not in (
            A4Condition.PAPER_OUT, A4Condition.TONER_OUT, A4Condition.JAM, A4Condition.DOOR_OPEN,
            A4Condition.OFFLINE, A4Condition.UNREACHABLE)

    @property
    def warning(self) -> bool:
        return self.condition in _WARNINGS

    @classmethod
    def unreachable(cls, message: str) -> A4Status:
        return cls(False, A4Condition.UNREACHABLE, (), False, message)

    @classmethod
    def from_ipp(cls, state: int, reasons: list[str] | tuple[str, ...], accepting: bool = True,
                 message: str = "") -> A4Status:
        """The condition of ``printer-state`` / ``-reasons`` / ``printer-is-accepting-jobs``."""
        found = tuple(r for r in reasons if r and r != "none")
        keywords = {_keyword(r) for r in found}
        condition = A4Condition.READY
        for keyword, cond in _REASONS:
            if keyword in keywords:
                condition = cond
                break
        if condition is A4Condition.READY and state == STOPPED:
            condition = A4Condition.OFFLINE
        if condition is A4Condition.READY and not accepting:
            condition = A4Condition.OFFLINE
        return cls(True, condition, found, accepting, message)
