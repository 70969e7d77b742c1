"""A kiosk job that runs a pass on a thread of its own: every ``interval_s``, sooner when woken
(the sync just acknowledged something, the hall answered again), never on the kiosk worker; a
failing pass is logged and tried again (the receipt and complaint reporters)."""

from __future__ import annotations

import logging
import threading
from typing import Any, Self

log = logging.getLogger(__name__)


class PeriodicPass:
    #: the thread's name, and what the log says when a pass fails
    name = "periodic-pass"

    def __init__(self, interval_s: float) -> None:
        self.interval_s = interval_s
        self._wake, self._stopping = threading.Event(), threading.Event()
        self._thread: threading.Thread | None = None

    def report_once(self) -> Any:  # the pass (subclasses)
        raise NotImplementedError

    def next_wait(self) -> float:
        """Seconds until the next pass unless woken (a subclass waits less while a backlog waits)."""
        return self.interval_s

    def wake(self) -> None:
        self._wake.set()

    def start(self) -> Self:
        self._thread = threading.Thread(target=self._run, name=self.name, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(5.0)

    def _run(self) -> None:
        while not self._stopping.is_set():
            try:
                self.report_once()
            except Exception:  # a closed cache at shutdown, a bug: logged, tried again later
                log.exception("%s pass failed", self.name)
            self._wake.wait(self.next_wait())
            self._wake.clear()
