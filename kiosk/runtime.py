"""Runs the kiosk core on one worker thread: taps, card reads, scans and the idle tick are queued
and handled in order, so the UI thread never waits for the hall service, a printer or the cache.

The UI posts with :meth:`KioskRuntime.post` and receives every new view through the callback it
subscribed (called on the worker thread; the Qt bridge re-emits it on the GUI thread).
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable
from typing import Any

from kiosk.app import KioskCore

log = logging.getLogger(__name__)
_STOP = object()


class KioskRuntime:
    def __init__(self, core: KioskCore, *, tick_seconds: float = 1.0) -> None:
        self.core = core
        self.tick_seconds = tick_seconds
        self._inbox: queue.Queue[Any] = queue.Queue()
        self._thread = threading.Thread(target=self._run, name="kiosk-core", daemon=True)
        self._stopped = threading.Event()
        core.to_worker = self.post  # slow work off the worker hands its result back here

    def start(self) -> KioskRuntime:
        self._thread.start()
        self.post(lambda core: core._publish())
        return self

    @property
    def running(self) -> bool:
        return self._thread.is_alive()

    def post(self, job: Callable[[KioskCore], None]) -> None:
        self._inbox.put(job)

    def act(self, action: str, **args: Any) -> None:
        self.post(lambda core: core.act(action, **args))

    def card_read(self, card: Any) -> None:
        self.post(lambda core: core.card_read(card))

    def scanned(self, payload: Any) -> None:
        self.post(lambda core: core.scanned(payload))

    def call(self, fn: Callable[[KioskCore], Any], timeout: float = 10.0) -> Any:
        """Run ``fn`` on the worker and wait for its result (tests, technician tools)."""
        done = threading.Event()
        box: dict[str, Any] = {}

        def job(core: KioskCore) -> None:
            try:
                box["value"] = fn(core)
            except BaseException as exc:  # handed back to the caller
                box["error"] = exc
            finally:
                done.set()

        self.post(job)
        if not done.wait(timeout):
            raise TimeoutError("the kiosk core did not answer in time")
        if "error" in box:
            raise box["error"]
        return box.get("value")

    def stop(self, timeout: float = 5.0) -> None:
        self._inbox.put(_STOP)
        self._thread.join(timeout)

    def _run(self) -> None:
        while True:
            try:
                job = self._inbox.get(timeout=self.tick_seconds)
            except queue.Empty:
                job = KioskCore.tick
            if job is _STOP:
                return
            try:
                job(self.core)
            except Exception:
                # A bug in one step must not kill the kiosk: log it and show home.
                log.exception("kiosk core step failed; returning to the home screen")
                try:
                    self.core.go_home()
                    self.core._publish()
                except Exception:
                    log.exception("could not return to the home screen")
