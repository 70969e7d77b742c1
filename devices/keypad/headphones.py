"""The headphone jack as PulseAudio (or PipeWire's pipewire-pulse) sees it: plugging headphones in
starts speech mode, pulling them out ends it.

``pactl subscribe`` prints one line per server event (``Event 'change' on sink #0``); on each
sink or card change the sinks are listed again (``pactl list sinks``) and the jack is "in" when
a headphone port is available — its line under ``Ports:`` reads like ``analog-output-headphones:
Headphones (priority: 9000, available)``, ``not available`` when nothing is plugged in. Jack
sensing then makes the headphones the active port, so speech goes to them and not the speakers.
"""

from __future__ import annotations

import logging
import re
import shutil
import subprocess
from collections.abc import Callable

from devices.state import Backoff, DeviceState, DeviceThread, call_safely

log = logging.getLogger(__name__)

_PORT = re.compile(r"^\s*([\w.-]*headphones?[\w.-]*):.*\(([^)]*)\)\s*$", re.IGNORECASE)


def headphones_in(sinks: str) -> bool:
    """Whether ``pactl list sinks`` shows a headphone port that is available (something plugged in)."""
    for line in sinks.splitlines():
        match = _PORT.match(line)
        if match:
            availability = match.group(2).split(",")[-1].strip().lower()
            if availability == "available":
                return True
    return False


class HeadphoneJack(DeviceThread):
    thread_name = "headphone-jack"
    log_name = "headphones"

    def __init__(self, on_change: Callable[[bool], None], *, binary: str = "pactl",
                 on_state: Callable[[DeviceState, str | None], None] | None = None) -> None:
        super().__init__(on_state)
        self.on_change, self.binary = on_change, binary
        self.plugged: bool | None = None
        self._watch: subprocess.Popen[str] | None = None

    def _check(self, pactl: str) -> None:
        listed = subprocess.run([pactl, "list", "sinks"], capture_output=True, text=True, timeout=10, check=False)
        plugged = headphones_in(listed.stdout)
        if plugged != self.plugged:
            first = self.plugged is None
            self.plugged = plugged
            log.info("headphones", extra={"ctx": {"in": plugged}})
            if plugged or not first:
                call_safely(self.on_change, plugged)

    def stop(self) -> None:
        self._stop.set()
        if self._watch is not None:
            self._watch.terminate()
        super().stop()

    def _run(self) -> None:
        backoff = Backoff(first=1.0, cap=30.0)
        while not self._stop.is_set():
            pactl = shutil.which(self.binary)
            if pactl is None:
                self._set(DeviceState.DISCONNECTED, f"{self.binary} not installed (Debian package pulseaudio-utils)")
                self._stop.wait(backoff.next())
                continue
            try:
                self._watch = subprocess.Popen([pactl, "subscribe"], stdout=subprocess.PIPE, text=True)
                self._check(pactl)
                self._set(DeviceState.READY)
                backoff.reset()
                assert self._watch.stdout is not None
                for line in self._watch.stdout:
                    if self._stop.is_set():
                        break
                    if " on sink " in line or " on card " in line:
                        self._check(pactl)
                self._set(DeviceState.DISCONNECTED, "the sound server went away")
            except (OSError, subprocess.SubprocessError) as exc:
                self._set(DeviceState.DISCONNECTED, f"sound server: {type(exc).__name__}")
            finally:
                if self._watch is not None:
                    self._watch.terminate()
                    self._watch.wait(timeout=5)
                    self._watch = None
            self._stop.wait(backoff.next())
