"""Speech mode's voice: what the kiosk says in the citizen's headphones, one phrase after another,
cut off by any key (ADA 2010 §707.5 / EN 301 549: speech can be interrupted and repeated), said
at the volume the citizen sets with ``+`` and ``-``.

The :class:`Speaker` wraps the kiosk's speech engine (espeak-ng, :mod:`kiosk.speech`) and keeps
what it said (:attr:`Speaker.spoken`): the record a technician reads and the acceptance suite
listens to, as it reads the printer's bytes. No Qt here; the keypad navigation that decides
what to say is the UI's (``ui/speech_nav.py``), the mode itself the core's (``speech_mode``).
"""

from __future__ import annotations

import collections
import logging
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from kiosk.announcer import SpeechEngine

log = logging.getLogger(__name__)

VOLUME_STEP = 0.1
MIN_VOLUME, MAX_VOLUME = 0.2, 1.0


class Speaker:
    def __init__(self, engine: SpeechEngine, *, volume: float = 0.7, history: int = 500) -> None:
        self.engine = engine
        self.volume = volume
        self.spoken: collections.deque[str] = collections.deque(maxlen=history)
        self._pending: collections.deque[tuple[str, str]] = collections.deque()
        self._busy = False
        self._turn = 0                 # a phrase's done from before an interruption is stale
        self._lock = threading.Lock()

    def say(self, phrases: list[str], language: str, *, interrupt: bool = True) -> None:
        """Say ``phrases`` in order; ``interrupt`` first cuts off and drops what was being said."""
        phrases = [p.strip() for p in phrases if p and p.strip()]
        if not phrases:
            return
        if interrupt:
            self.stop()
        with self._lock:
            self._pending.extend((p, language) for p in phrases)
        self._next()

    def stop(self) -> None:
        with self._lock:
            self._pending.clear()
            self._turn += 1
            self._busy = False
        stop: Callable[[], None] | None = getattr(self.engine, "stop", None)
        if stop is not None:
            stop()

    def forget(self) -> None:
        """The visit ended: nothing said to this citizen is kept (the phrases may be personal)."""
        with self._lock:
            self.spoken.clear()

    def ready(self) -> bool:
        """Whether the voice can be heard privately now (headphones in, with jack sensing)."""
        ready: Callable[[], bool] | None = getattr(self.engine, "ready", None)
        return True if ready is None else bool(ready())

    def louder(self, step: float = VOLUME_STEP) -> float:
        self.volume = round(min(MAX_VOLUME, max(MIN_VOLUME, self.volume + step)), 2)
        return self.volume

    def idle(self) -> bool:
        with self._lock:
            return not self._busy and not self._pending

    def _next(self) -> None:
        with self._lock:
            if self._busy or not self._pending:
                return
            text, language = self._pending.popleft()
            self._busy = True
            turn = self._turn
            self.spoken.append(text)
        log.debug("speech mode says", extra={"ctx": {"chars": len(text)}})  # never the words: they may be personal

        def done() -> None:
            with self._lock:
                if turn != self._turn:
                    return
                self._busy = False
            self._next()

        try:
            self.engine.say(text, language, self.volume, done)
        except Exception:
            log.warning("speech-mode voice failed")
            done()
