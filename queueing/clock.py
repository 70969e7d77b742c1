"""The hall service's guarded clock: wall time that the monotonic clock vouches for.

Owns the rule that a step of the wall clock (bad NTP, a flat RTC battery, a hand-set date) is
not time passing. Each reading is compared with the last trusted one carried forward by the
monotonic clock; when the two disagree by more than ``tolerance`` seconds the step is logged,
reported once (``take_jump``, which the engine turns into a hall alert) and ignored: time goes on
from the monotonic clock, so the service day rolls over only when the hall's local date advances
and the monotonic clock agrees, and waiting tickets are never cancelled by a jump. Small
differences (NTP slewing, drift) are accepted and become the new reference. A restart takes the
wall clock as it is: the engine's persisted day and per-day numbering keep numbers unique."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

log = logging.getLogger(__name__)

JUMP_TOLERANCE_SECONDS = 180.0  # "a few minutes": more than NTP ever slews, less than any real step


def steady() -> float:
    """Seconds of a clock that never steps and, unlike CLOCK_MONOTONIC, keeps counting while the
    machine is suspended (CLOCK_BOOTTIME): a kiosk that sleeps overnight still sees the night."""
    boottime = getattr(time, "CLOCK_BOOTTIME", None)
    return time.clock_gettime(boottime) if boottime is not None else time.monotonic()


@dataclass(frozen=True)
class ClockJump:
    """A step of the wall clock the guard refused: ``wall`` read, ``trusted`` used instead."""

    wall: float
    trusted: float

    @property
    def seconds(self) -> float:
        return self.wall - self.trusted


class GuardedClock:
    """``clock()`` → trusted seconds since the epoch (see the module docstring)."""

    def __init__(
        self,
        wall: Callable[[], float],
        monotonic: Callable[[], float],
        tolerance: float = JUMP_TOLERANCE_SECONDS,
    ) -> None:
        self.wall, self.monotonic, self.tolerance = wall, monotonic, tolerance
        self._lock = threading.Lock()
        self._ref: tuple[float, float] | None = None  # (trusted wall, monotonic) at the last reading
        self._jumped = False  # the wall clock is off now (alert once per step, not per reading)
        self._pending: list[ClockJump] = []

    def __call__(self) -> float:
        with self._lock:
            w, m = self.wall(), self.monotonic()
            if self._ref is None:
                self._ref = (w, m)
                return w
            expected = self._ref[0] + (m - self._ref[1])
            if abs(w - expected) <= self.tolerance:
                self._ref = (w, m)
                if self._jumped:
                    log.warning("wall clock agrees with the monotonic clock again", extra={"ctx": {"wall": w}})
                self._jumped = False
                return w
            self._ref = (expected, m)
            if not self._jumped:
                self._jumped = True
                jump = ClockJump(w, expected)
                self._pending.append(jump)
                log.error(
                    "wall clock stepped %+.0f s; the monotonic clock disagrees, the step is ignored",
                    jump.seconds,
                    extra={"ctx": {"wall": w, "trusted": expected}},
                )
            return expected

    @property
    def pending(self) -> bool:
        return bool(self._pending)

    def take_jumps(self) -> list[ClockJump]:
        """The steps seen since the last call (each reported once)."""
        with self._lock:
            out, self._pending = self._pending, []
            return out

    def put_back(self, jumps: list[ClockJump]) -> None:
        """Steps taken by a transaction that then rolled back (a refused operation): reported
        again by the next ``take_jumps``, ahead of any seen since."""
        if jumps:
            with self._lock:
                self._pending[:0] = jumps
