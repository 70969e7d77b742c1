"""Announcements never overlap, repeat as configured, recalls are said again, quiet hours hold."""

import itertools
import threading
from collections.abc import Callable
from datetime import datetime

from kiosk.announcer import Announcer, call_phrases, parse_quiet_hours


class ManualEngine:
    """A speech engine whose phrases end only when the test says so (a real device would take seconds)."""

    def __init__(self) -> None:
        self.speaking: list[tuple[str, Callable[[], None]]] = []
        self.lock = threading.Lock()

    def say(self, text: str, language: str, volume: float, done: Callable[[], None]) -> None:
        with self.lock:
            assert not self.speaking, "a phrase started while another was still being said"
            self.speaking.append((text, done))

    def finish(self) -> str:
        with self.lock:
            text, done = self.speaking.pop()
        done()
        return text


def test_phrase_names_ticket_and_window() -> None:
    assert call_phrases("A001", "3号窗口", english=False) == [("请 A 0 0 1 号 到 3号窗口 办理", "zh_CN")]
    english = call_phrases("B012", "Window 5", english=True)
    assert english[1] == ("Number B 0 1 2, please go to Window 5", "en")


def test_two_calls_are_queued_not_overlapped_and_repeated() -> None:
    engine = ManualEngine()
    announcer = Announcer(engine, repeat=2)
    announcer.announce("A001", "3号窗口")
    announcer.announce("B002", "9号窗口")
    said = []
    while not announcer.idle():
        said.append(engine.finish())
    assert said == ["请 A 0 0 1 号 到 3号窗口 办理"] * 2 + ["请 B 0 0 2 号 到 9号窗口 办理"] * 2
    spans = [(a.started_at, a.finished_at) for a in announcer.history]
    assert all(prev[1] <= nxt[0] for prev, nxt in itertools.pairwise(spans))


def test_recall_is_announced_again_after_the_current_phrase() -> None:
    engine = ManualEngine()
    announcer = Announcer(engine, repeat=1, english=True)
    announcer.announce("A001", "3号窗口")
    assert len(announcer.pending) == 1  # the English phrase waits for the Chinese one
    announcer.announce("A001", "3号窗口")  # a recall arrives while speaking
    said = []
    while not announcer.idle():
        said.append(engine.finish())
    assert [s.split()[0] for s in said] == ["请", "Number", "请", "Number"]


def test_quiet_hours_keep_the_voice_off() -> None:
    assert parse_quiet_hours("") is None
    engine = ManualEngine()
    noon = Announcer(engine, quiet_hours="12:00-13:30", now=lambda: datetime(2026, 11, 23, 12, 30))
    assert noon.announce("A001", "3号窗口") == 0 and engine.speaking == []
    night = Announcer(engine, quiet_hours="22:00-07:00", now=lambda: datetime(2026, 11, 23, 6, 59))
    assert night.in_quiet_hours()
    day = Announcer(engine, quiet_hours="22:00-07:00", now=lambda: datetime(2026, 11, 23, 9, 0))
    assert day.announce("A001", "3号窗口") == 2


def test_a_failing_engine_does_not_block_the_queue() -> None:
    class Broken:
        def say(self, *args: object) -> None:
            raise OSError("no audio device")

    announcer = Announcer(Broken(), repeat=3)
    announcer.announce("A001", "3号窗口")
    assert announcer.idle() and len(announcer.history) == 3
