"""Offline speech for call announcements and elder mode: espeak-ng (Mandarin ``cmn`` and
English voices, no network) when installed, otherwise a silent engine that keeps the timing.

One phrase at a time: the announcer never starts a phrase before the previous one is done.
"""

from __future__ import annotations

import logging
import shutil
import subprocess
import threading
from collections.abc import Callable

from kiosk.announcer import SilentEngine

log = logging.getLogger(__name__)
VOICES = {"zh_CN": "cmn", "en": "en"}


class EspeakEngine:
    def __init__(self, binary: str = "espeak-ng", speed: int = 140) -> None:
        self.binary = binary
        self.speed = speed

    def say(self, text: str, language: str, volume: float, done: Callable[[], None]) -> None:
        args = [self.binary, "-v", VOICES.get(language, "cmn"), "-s", str(self.speed),
                "-a", str(int(max(0.0, min(1.0, volume)) * 200)), text]

        def run() -> None:
            try:
                result = subprocess.run(args, capture_output=True, timeout=30, check=False)
                if result.returncode != 0:
                    log.warning("espeak-ng failed", extra={"ctx": {"code": result.returncode}})
            except (OSError, subprocess.TimeoutExpired) as exc:
                log.warning("espeak-ng could not speak", extra={"ctx": {"error": type(exc).__name__}})
            finally:
                done()

        threading.Thread(target=run, name="speech", daemon=True).start()


def best_engine() -> EspeakEngine | SilentEngine:
    """espeak-ng if installed (Debian package espeak-ng), else silent with a log line saying so."""
    binary = shutil.which("espeak-ng")
    if binary:
        return EspeakEngine(binary)
    log.warning("no speech engine: install the Debian package espeak-ng for spoken calls")
    return SilentEngine()
