"""What every device reports: a small state enum, the reconnect backoff, and safe callbacks."""

from __future__ import annotations

import enum
import logging
import random
from collections.abc import Callable
from typing import Any

log = logging.getLogger(__name__)


class DeviceState(enum.StrEnum):
    DISCONNECTED = "disconnected"
    READY = "ready"
    BUSY = "busy"
    ERROR = "error"


class Backoff:
    """Exponential reconnect delay with jitter, so a flapping USB port is not hammered."""

    def __init__(self, first: float = 0.25, cap: float = 5.0) -> None:
        self.first, self.cap = first, cap
        self._next = first

    def next(self) -> float:
        delay = self._next
        self._next = min(self.cap, self._next * 2)
        return delay * random.uniform(0.8, 1.2)

    def reset(self) -> None:
        self._next = self.first


def call_safely(callback: Callable[..., Any] | None, *args: Any) -> None:
    """Run an event callback; a failing listener is logged and never kills a device thread."""
    if callback is None:
        return
    try:
        callback(*args)
    except Exception:
        log.exception("device event callback %s failed", getattr(callback, "__name__", callback))
