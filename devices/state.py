"""What every device reports: a small state enum, the reconnect backoff, safe callbacks, and the
thread life (start, stop, state changes) of the devices that read on their own thread."""

from __future__ import annotations

import enum
import logging
import random
import threading
from collections.abc import Callable
from typing import Any

log = logging.getLogger(__name__)


class DeviceKind(enum.StrEnum):
    """The device kinds of a kiosk, as config sections, health rows and heartbeats name them."""

    IDCARD = "idcard"
    PRINTER = "printer"
    SCANNER = "scanner"
    CAMERA = "camera"
    A4_PRINTER = "a4_printer"
    KEYPAD = "keypad"


class DeviceState(enum.StrEnum):
    DISCONNECTED = "disconnected"
    READY = "ready"
    BUSY = "busy"
    ERROR = "error"


class StartupReason(enum.StrEnum):
    """The reasons of a device that is not up yet (no trouble, no alert); any other reason is the
    device's own (a status code of its kind, or a driver's detail)."""

    NOT_CONFIGURED = "not configured"
    NOT_STARTED = "not started"


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


class DeviceThread:
    """The life of a device that works on its own thread: ``start`` runs ``_run`` until ``stop``,
    ``state``/``reason`` say how it is, and ``_set`` reports a change once to ``on_state``.

    Subclasses implement ``_run`` as a loop on ``self._stop`` (reconnecting with a ``Backoff``)."""

    thread_name = "device"
    #: how its state changes are logged ("idcard reader ready"); the thread's name unless set
    log_name = ""

    def __init__(self, on_state: Callable[[DeviceState, str | None], None] | None = None) -> None:
        self.on_state = on_state
        self.state: DeviceState = DeviceState.DISCONNECTED
        self.reason: str | None = StartupReason.NOT_STARTED
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._stop.clear()   # a stopped device may be started again
        self._thread = threading.Thread(target=self._run, name=self.thread_name, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread:
            self._thread.join(timeout=5)

    def _set(self, state: DeviceState, reason: str | None = None) -> None:
        if (state, reason) != (self.state, self.reason):
            self.state, self.reason = state, reason
            log.info("%s %s", self.log_name or self.thread_name, state.value, extra={"ctx": {"reason": reason or ""}})
            call_safely(self.on_state, state, reason)

    def _run(self) -> None:
        raise NotImplementedError
