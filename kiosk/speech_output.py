"""Speech mode's voice in the headphones only, never the hall's loudspeaker.

With jack sensing (``[devices.keypad] headphones = "pactl"``) the speech-mode voice is wrapped in a
:class:`HeadphoneEngine`: before each phrase it asks the sound server (``pactl list sinks``, as
:mod:`devices.keypad.headphones` does) which sink has a headphone port available, makes that port
the sink's active one if jack sensing did not (``pactl set-sink-port``), and plays the phrase on
that sink alone (espeak-ng with ``PULSE_SINK``, :meth:`kiosk.speech.EspeakEngine.say_to`). With
no headphones in, the phrase is not played at all: a phrase queued just as the headphones came
out is never said aloud. Pulling them out cuts the phrase being said (the core ends speech mode,
:meth:`kiosk.speech_mode.Speaker.stop`).
"""

from __future__ import annotations

import logging
import re
import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from kiosk.announcer import SpeechEngine

log = logging.getLogger(__name__)

_SINK = re.compile(r"^\s*Name:\s*(\S+)\s*$")
_PORT = re.compile(r"^\s*([\w.-]*headphones?[\w.-]*):.*\(([^)]*)\)\s*$", re.IGNORECASE)
_ACTIVE = re.compile(r"^\s*Active Port:\s*(\S+)\s*$")


@dataclass(frozen=True)
class HeadphoneSink:
    sink: str           # the sink's name (``PULSE_SINK``); its index when the listing has no name
    port: str           # the headphone port on it
    active: bool        # whether that port is the sink's active port already


def headphone_sink(sinks: str) -> HeadphoneSink | None:
    """The sink with an available headphone port in ``pactl list sinks`` output, or None."""
    found: HeadphoneSink | None = None
    sink, port, active = "", "", ""
    index = -1

    def close() -> HeadphoneSink | None:
        if port:
            return HeadphoneSink(sink or str(max(index, 0)), port, active == port)
        return None

    for line in sinks.splitlines():
        if line.startswith("Sink #"):
            found = found or close()
            index, sink, port, active = index + 1, "", "", ""
            continue
        if match := _SINK.match(line):
            sink = match.group(1)
        elif match := _ACTIVE.match(line):
            active = match.group(1)
        elif ((match := _PORT.match(line)) and not port
              and match.group(2).split(",")[-1].strip().lower() == "available"):
            port = match.group(1)
    return found or close()


class HeadphoneEngine:
    """A speech engine that speaks in the headphones or not at all."""

    def __init__(self, engine: SpeechEngine, *, binary: str = "pactl") -> None:
        # speech mode's phrases are no calls: a clip engine's own voice speaks them
        self.engine: SpeechEngine = getattr(engine, "fallback", engine)
        self.binary = binary

    def headphones(self) -> HeadphoneSink | None:
        pactl = shutil.which(self.binary)
        if pactl is None:
            return None
        try:
            listed = subprocess.run([pactl, "list", "sinks"], capture_output=True, text=True, timeout=5, check=False)
        except (OSError, subprocess.SubprocessError):
            return None
        return headphone_sink(listed.stdout)

    def ready(self) -> bool:
        """Headphones are in: speech mode may speak."""
        return self.headphones() is not None

    def say(self, text: str, language: str, volume: float, done: Callable[[], None]) -> None:
        target = self.headphones()
        if target is None:  # pulled out (or never in): nothing is said aloud
            log.info("speech-mode phrase not played: no headphones")
            done()
            return
        if not target.active:
            pactl = shutil.which(self.binary) or self.binary
            subprocess.run([pactl, "set-sink-port", target.sink, target.port], capture_output=True,
                           timeout=5, check=False)
        say_to = getattr(self.engine, "say_to", None)
        if say_to is None:  # a silent engine (no espeak-ng): nothing to route
            self.engine.say(text, language, volume, done)
            return
        say_to(target.sink, text, language, volume, done)

    def stop(self) -> None:
        stop: Callable[[], None] | None = getattr(self.engine, "stop", None)
        if stop is not None:
            stop()
