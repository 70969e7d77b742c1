"""A kiosk job that runs a pass on a thread of its own: every ``interval_s``, sooner when woken
(the sync just acknowledged something, the hall answered again), never on the kiosk worker; a
failing pass is logged and tried again (the receipt and complaint reporters), and remembers in a
small file how far through the cache it has reported (its watermark)."""

from __future__ import annotations

import json
import logging
import os
import threading
from pathlib import Path
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


class WatermarkPass(PeriodicPass):
    """A periodic pass over the cache's records that remembers the last ``seq`` it reported in
    ``mark_file`` (written atomically), so a restart does not report again."""

    def __init__(self, interval_s: float, mark_file: Path) -> None:
        super().__init__(interval_s)
        self.mark_file = Path(mark_file)

    def mark(self) -> int:
        try:
            return int(json.loads(self.mark_file.read_text("utf-8"))["reported_through_seq"])
        except FileNotFoundError:
            return 0
        except (OSError, ValueError, KeyError, TypeError):
            log.warning("%s watermark unreadable: reporting again from the start", self.name)
            return 0

    def _save(self, seq: int) -> None:
        tmp = self.mark_file.with_suffix(".tmp")
        tmp.write_text(json.dumps({"reported_through_seq": seq}), "utf-8")
        os.replace(tmp, self.mark_file)
