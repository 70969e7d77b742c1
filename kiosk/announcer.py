"""Call announcements for the hall display: "请 A001 号 到 3 号窗口 办理", said as many times as
configured, strictly one after another — two calls never overlap or cut each other off — and a
recall is announced again. Quiet hours silence the voice (the screen still shows the call).

The announcer owns only the queue and its order; a speech engine (Qt TextToSpeech, espeak-ng,
or a silent timer when the machine has no voice) plays one phrase and reports when it is done.
Nothing here imports Qt.
"""

from __future__ import annotations

import collections
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from datetime import time as dtime
from typing import Protocol

from common.i18n import translate

log = logging.getLogger(__name__)


class SpeechEngine(Protocol):
    def say(self, text: str, language: str, volume: float, done: Callable[[], None]) -> None:
        """Start saying ``text``; call ``done`` (from any thread) when finished or failed."""
        ...


@dataclass
class Announcement:
    text: str
    language: str
    number: str
    counter: str
    queued_at: float = field(default_factory=time.monotonic)
    started_at: float | None = None
    finished_at: float | None = None


def call_phrases(number: str, counter_name: str, *, english: bool) -> list[tuple[str, str]]:
    """The phrases of one call: Chinese, then English when the hall wants it."""
    spoken = " ".join(number) if number[:1].isalpha() else number
    languages = ("zh_CN", "en") if english else ("zh_CN",)
    return [(translate(lang, "announce.call", number=spoken, counter=counter_name), lang) for lang in languages]


def parse_quiet_hours(text: str) -> tuple[dtime, dtime] | None:
    """``"12:00-13:30"`` → (12:00, 13:30); empty → None. Raises ValueError with the bad part."""
    if not text.strip():
        return None
    try:
        start, end = (dtime.fromisoformat(part.strip()) for part in text.split("-"))
    except ValueError:
        raise ValueError(f"quiet hours {text!r}: expected HH:MM-HH:MM") from None
    return start, end


class Announcer:
    def __init__(self, engine: SpeechEngine, *, repeat: int = 2, english: bool = False, volume: float = 0.8,
                 quiet_hours: str = "", now: Callable[[], datetime] = datetime.now, history: int = 200) -> None:
        self.engine = engine
        self.repeat = max(1, repeat)
        self.english = english
        self.volume = volume
        self.quiet = parse_quiet_hours(quiet_hours)
        self.now = now
        self.pending: collections.deque[Announcement] = collections.deque()
        self.history: collections.deque[Announcement] = collections.deque(maxlen=history)
        self.current: Announcement | None = None
        self.listeners: list[Callable[[Announcement], None]] = []
        self._lock = threading.Lock()

    def in_quiet_hours(self) -> bool:
        if self.quiet is None:
            return False
        start, end = self.quiet
        t = self.now().time()
        return start <= t < end if start <= end else (t >= start or t < end)

    def announce(self, number: str, counter_name: str) -> int:
        """Queue a call (or a recall) and return how many phrases were queued."""
        if self.in_quiet_hours():
            log.info("call not spoken: quiet hours", extra={"ctx": {"number": number}})
            return 0
        items = [Announcement(text, lang, number, counter_name)
                 for _ in range(self.repeat)
                 for text, lang in call_phrases(number, counter_name, english=self.english)]
        with self._lock:
            self.pending.extend(items)
        self._advance()
        return len(items)

    def _advance(self) -> None:
        with self._lock:
            if self.current is not None or not self.pending:
                return
            item = self.pending.popleft()
            item.started_at = time.monotonic()
            self.current = item
        for listener in list(self.listeners):
            listener(item)
        try:
            self.engine.say(item.text, item.language, self.volume, lambda: self._finished(item))
        except Exception:
            log.exception("speech engine failed; the call stays on screen")
            self._finished(item)

    def _finished(self, item: Announcement) -> None:
        with self._lock:
            if self.current is not item:
                return
            item.finished_at = time.monotonic()
            self.history.append(item)
            self.current = None
        self._advance()

    def idle(self) -> bool:
        with self._lock:
            return self.current is None and not self.pending


class SilentEngine:
    """No voice on this machine: keeps the announcer's timing as if the phrase was spoken."""

    def __init__(self, seconds_per_char: float = 0.12, minimum: float = 0.5) -> None:
        self.seconds_per_char = seconds_per_char
        self.minimum = minimum

    def say(self, text: str, language: str, volume: float, done: Callable[[], None]) -> None:
        delay = max(self.minimum, len(text) * self.seconds_per_char)
        timer = threading.Timer(delay, done)
        timer.daemon = True
        timer.start()
