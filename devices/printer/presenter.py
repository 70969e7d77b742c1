"""Kiosk printer presenters: the printed paper held at the mouth, presented, retracted or ejected.

Two command families are known (sources in docs/devices.md, "Receipt presenter"):

- ``gs_e``: ``GS e n [m]`` (1D 65 n): n=2 retract into the printer, n=3 present with m steps, n=5
  eject, n=6 send the ejector status byte (bit 3 = a ticket is at the output, bit 6 = error,
  bit 7 = jam). Pyramid Reliance/Phoenix, Infinite Peripherals/Custom KPM210/216, and the
  ``EjectorPOS`` printers of TerminalClient (Custom VKP-80, Citizen PPU-700).
- ``custom``: Custom VKP80III / TG2480-H style: present with ``FS P n1 n2 n3 n4`` (1C 50: n1 steps
  of 5 mm, n2 = 1 blink the mouth LED, n3 = 'R' retract / 'E' eject when the printer's own timer of
  n4 seconds runs out), retract with ``GS e 2``, and whether paper waits at the mouth from the full
  status ``DLE EOT 20`` (10 04 14 → ``10 0F`` + paper, user, recoverable, unrecoverable status
  bytes; paper bit 5 = ticket present in output, recoverable bit 6 = paper jam).

The kiosk keeps the timer (only receipts with personal data are retracted; queue tickets are
left); the ``custom`` family also arms the printer's own timer a little later, so a receipt is
still retracted when the kiosk itself has stopped.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

GS, FS, DLE = b"\x1d", b"\x1c", b"\x10"
GS_E = GS + b"e"
RETRACT = GS_E + b"\x02"
EJECT = GS_E + b"\x05"
EJECTOR_STATUS = GS_E + b"\x06"
FULL_STATUS = DLE + b"\x04\x14"         # Custom: DLE EOT 20
FULL_STATUS_HEAD = b"\x10\x0f"

# GS e 6 status byte
AT_OUTPUT, EJECTOR_ERROR, EJECTOR_JAM = 0x08, 0x40, 0x80
# Custom full status
TICKET_IN_OUTPUT, PAPER_JAM = 0x20, 0x40     # paper status bit 5; recoverable error bit 6
FALLBACK_MARGIN_S = 5                      # the printer's own timer runs this long after the kiosk's


class PresenterKind(StrEnum):
    NONE = "none"
    GS_E = "gs_e"
    CUSTOM = "custom"


class Mouth(StrEnum):
    """Where the last printed paper is, as the presenter's sensor tells it."""

    EMPTY = "empty"        # nothing at the mouth: taken, retracted or ejected
    WAITING = "waiting"    # paper waits at the mouth for the citizen
    JAMMED = "jammed"      # the presenter reports a jam (e.g. a retract that did not complete)
    UNKNOWN = "unknown"    # no presenter, no answer or an answer of the wrong shape


@dataclass(frozen=True)
class PresenterStatus:
    mouth: Mouth
    raw: bytes = b""


def present_cmd(kind: PresenterKind, steps: int, retract_after_s: int = 0) -> bytes:
    """Present the cut paper at the mouth. ``retract_after_s`` arms the printer's own retract timer
    where the family has one (``custom``), ``FALLBACK_MARGIN_S`` later than the kiosk's."""
    steps = max(0, min(255, steps))
    if kind is PresenterKind.GS_E:
        return GS_E + b"\x03" + bytes([steps])
    if kind is PresenterKind.CUSTOM:
        timer = min(255, retract_after_s + FALLBACK_MARGIN_S) if retract_after_s > 0 else 0
        action = b"R" if timer else b"E"
        return FS + b"P" + bytes([steps, 1]) + action + bytes([timer])
    raise ValueError("this printer has no presenter")


def retract_cmd(kind: PresenterKind) -> bytes:
    if kind is PresenterKind.NONE:
        raise ValueError("this printer has no presenter")
    return RETRACT


def eject_cmd(kind: PresenterKind) -> bytes:
    if kind is PresenterKind.NONE:
        raise ValueError("this printer has no presenter")
    return EJECT


def status_query(kind: PresenterKind) -> tuple[bytes, int]:
    """The query and the length of its reply."""
    if kind is PresenterKind.GS_E:
        return EJECTOR_STATUS, 1
    if kind is PresenterKind.CUSTOM:
        return FULL_STATUS, 6
    raise ValueError("this printer has no presenter")


def parse_presenter(kind: PresenterKind, reply: bytes) -> PresenterStatus:
    if kind is PresenterKind.GS_E and len(reply) == 1:
        b = reply[0]
        if b & (EJECTOR_JAM | EJECTOR_ERROR):
            return PresenterStatus(Mouth.JAMMED, reply)
        return PresenterStatus(Mouth.WAITING if b & AT_OUTPUT else Mouth.EMPTY, reply)
    if kind is PresenterKind.CUSTOM and len(reply) == 6 and reply[:2] == FULL_STATUS_HEAD:
        paper, recoverable = reply[2], reply[4]
        if recoverable & PAPER_JAM:
            return PresenterStatus(Mouth.JAMMED, reply)
        return PresenterStatus(Mouth.WAITING if paper & TICKET_IN_OUTPUT else Mouth.EMPTY, reply)
    return PresenterStatus(Mouth.UNKNOWN, reply)


def presenter_reply(kind: PresenterKind, *, waiting: bool, jammed: bool, paper_out: bool = False,
                    paper_near_end: bool = False) -> bytes:
    """What a printer of this family answers to :func:`status_query` (the simulator's side)."""
    if kind is PresenterKind.GS_E:
        return bytes([(AT_OUTPUT if waiting else 0) | (EJECTOR_JAM if jammed else 0)
                      | (0x01 if paper_near_end else 0)])
    if kind is PresenterKind.CUSTOM:
        paper = (TICKET_IN_OUTPUT if waiting else 0) | (0x01 if paper_out else 0) | (0x04 if paper_near_end else 0)
        return FULL_STATUS_HEAD + bytes([paper, 0, PAPER_JAM if jammed else 0, 0])
    return b""
