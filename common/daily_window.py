"""A window of the day (``start``–``end``, crossing midnight when ``end`` < ``start``): the
announcer's quiet hours, the kiosk's night window for fleet updates."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time


@dataclass(frozen=True)
class DailyWindow:
    start: time
    end: time

    def contains(self, now: datetime) -> bool:
        t = now.time()
        if self.start <= self.end:
            return self.start <= t < self.end
        return t >= self.start or t < self.end

    @classmethod
    def parse(cls, text: str) -> DailyWindow | None:
        """``"12:00-13:30"`` → the window; empty → None. Raises ValueError naming the bad part."""
        if not text.strip():
            return None
        try:
            start, end = (time.fromisoformat(part.strip()) for part in text.split("-"))
        except ValueError:
            raise ValueError(f"{text!r}: expected HH:MM-HH:MM") from None
        return cls(start, end)
