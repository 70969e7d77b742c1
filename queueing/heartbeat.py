"""The machine's side of fleet health: a thread that tells the hall every ``interval_s`` (a
minute) that this machine lives, with what ``probe()`` says of it (its devices' states, its
offline-cache backlog) plus what every machine has (version, uptime, disk free).

Used by the kiosk and rating pad (kiosk/assembly.py), the display, the counter console and the
dashboard (ui/cli.py). A hall that does not answer is tried again at the next beat; a hall from
before fleet health (404) is not asked again. Never raises into its caller."""

from __future__ import annotations

import importlib.metadata
import logging
import os
import shutil
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from queueing.client import HallClient, HallServiceError, HallUnavailable

log = logging.getLogger(__name__)
INTERVAL_S = 60.0
_STARTED = time.monotonic()


def release_version() -> str:
    """The release this machine runs: ``$HALL_KIOSK_RELEASE`` (set by the installer of a release
    bundle), else the installed distribution's version."""
    given = os.environ.get("HALL_KIOSK_RELEASE", "").strip()
    if given:
        return given[:40]
    try:
        return importlib.metadata.version("hall-kiosk")
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


def disk_free(path: str | Path) -> int | None:
    try:
        return shutil.disk_usage(path).free
    except OSError:
        return None


class Heartbeat:
    def __init__(self, client: HallClient, kind: str, name: str, data_dir: str | Path = ".",
                 probe: Callable[[], dict[str, Any]] | None = None, interval_s: float = INTERVAL_S) -> None:
        self.client, self.kind, self.name, self.data_dir = client, kind, name, data_dir
        self.probe, self.interval_s = probe, interval_s
        self.sent = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"heartbeat-{kind}", daemon=True)

    def state(self) -> dict[str, Any]:
        out: dict[str, Any] = {"name": self.name, "kind": self.kind, "version": release_version(),
                               "uptime_s": round(time.monotonic() - _STARTED, 1),
                               "disk_free_bytes": disk_free(self.data_dir)}
        if self.probe is not None:
            try:
                out.update(self.probe())
            except Exception:  # a probe that fails still lets the machine say it lives
                log.exception("heartbeat probe failed")
        return {k: v for k, v in out.items() if v is not None}

    def beat(self) -> bool:
        try:
            self.client.heartbeat(self.state())
            self.sent += 1
            return True
        except HallUnavailable:
            log.info("heartbeat: the hall service does not answer; next beat in %.0f s", self.interval_s)
        except HallServiceError as exc:
            if exc.status == 404:
                log.warning("heartbeat: this hall service has no fleet health; heartbeats stop")
                self._stop.set()
            else:
                log.warning("heartbeat refused: %s", exc)
        return False

    def _run(self) -> None:
        while not self._stop.is_set():
            self.beat()
            self._stop.wait(self.interval_s)

    def start(self) -> Heartbeat:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(5)
