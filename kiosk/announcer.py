"""Call announcements for the hall display: "请 A001 号 到 3 号窗口 办理", said as many times as
configured, strictly one after another — two calls never overlap or cut each other off — and a
recall is announced again. Quiet hours silence the voice (the screen still shows the call).

The announcer owns only the queue and its order; a speech engine (espeak-ng, the hall's recorded
clips, or a silent timer when the machine has no voice) plays one phrase and reports when it is
done. Nothing here imports Qt.

Recorded clips are the field's convention for calls: a folder of WAV files the hall installs,
each named by what it says (``请.wav``, ``A.wav``, ``0.wav``, ``窗口.wav``; docs/kiosk.md lists
the set). :class:`ClipLibrary` cuts a phrase into installed clips (longest name first) and joins
their frames without gaps; a phrase with any piece missing is said by the fallback voice.
"""

from __future__ import annotations

import collections
import io
import logging
import shutil
import subprocess
import tempfile
import threading
import time
import unicodedata
import wave
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import NamedTuple, Protocol

from common.daily_window import DailyWindow
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


def parse_quiet_hours(text: str) -> DailyWindow | None:
    """``"12:00-13:30"`` → that window of the day; empty → None. Raises ValueError with the bad part."""
    try:
        return DailyWindow.parse(text)
    except ValueError as exc:
        raise ValueError(f"quiet hours {exc}") from None


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
        return self.quiet is not None and self.quiet.contains(self.now())

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


class ClipFormat(NamedTuple):
    channels: int
    sample_width: int
    frame_rate: int


#: what a clip is silently skipped for when cutting a phrase (spaces and punctuation)
_SKIPPED = set(" \t\n,.;:!?") | {chr(c) for c in (0x3001, 0x3002, 0xFF0C, 0xFF1A, 0xFF1B, 0xFF01, 0xFF1F)}


class ClipLibrary:
    """The hall's recorded clips: ``<text>.wav`` files of one format (PCM, same channels, sample
    width and rate). A clip in another format is left out with a warning: joined frames of two
    formats would play as noise or at the wrong speed."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.format: ClipFormat | None = None
        self.clips: dict[str, bytes] = {}
        self.rejected: list[str] = []
        for path in sorted(folder.glob("*.wav")):
            name = unicodedata.normalize("NFC", path.stem)
            try:
                with wave.open(str(path), "rb") as clip:
                    fmt = ClipFormat(clip.getnchannels(), clip.getsampwidth(), clip.getframerate())
                    frames = clip.readframes(clip.getnframes())
            except (OSError, EOFError, wave.Error) as exc:
                log.warning("voice clip unreadable", extra={"ctx": {"clip": path.name, "error": str(exc)}})
                self.rejected.append(path.name)
                continue
            if self.format is None:
                self.format = fmt
            if fmt != self.format:
                log.warning("voice clip in another format left out",
                            extra={"ctx": {"clip": path.name, "format": fmt._asdict(),
                                           "expected": self.format._asdict()}})
                self.rejected.append(path.name)
                continue
            self.clips[name] = frames
        self._longest = max((len(n) for n in self.clips), default=0)

    def sequence(self, text: str) -> list[str] | None:
        """The clip names that say ``text``, in order; None when a piece has no clip."""
        text = unicodedata.normalize("NFC", text)
        names: list[str] = []
        i = 0
        while i < len(text):
            if text[i] in _SKIPPED:
                i += 1
                continue
            for size in range(min(self._longest, len(text) - i), 0, -1):
                piece = text[i:i + size]
                name = piece if piece in self.clips else piece.upper() if piece.upper() in self.clips else None
                if name is not None:
                    names.append(name)
                    i += size
                    break
            else:
                return None
        return names or None

    def render(self, text: str) -> bytes | None:
        """One WAV file (bytes) of the clips saying ``text`` back to back, or None."""
        names = self.sequence(text)
        if names is None or self.format is None:
            return None
        out = io.BytesIO()
        with wave.open(out, "wb") as wav:
            wav.setnchannels(self.format.channels)
            wav.setsampwidth(self.format.sample_width)
            wav.setframerate(self.format.frame_rate)
            wav.writeframes(b"".join(self.clips[n] for n in names))
        return out.getvalue()


def find_player() -> list[str] | None:
    """A command that plays a WAV file given as its last argument (ALSA, PulseAudio, PipeWire)."""
    for command in (["aplay", "-q"], ["paplay"], ["pw-play"]):
        binary = shutil.which(command[0])
        if binary:
            return [binary, *command[1:]]
    return None


class ClipEngine:
    """Calls from recorded clips where every piece is installed, anything else by ``fallback``."""

    def __init__(self, library: ClipLibrary, fallback: SpeechEngine, player: list[str],
                 languages: tuple[str, ...] = ("zh_CN",)) -> None:
        self.library = library
        self.fallback = fallback
        self.player = player
        self.languages = languages

    def say(self, text: str, language: str, volume: float, done: Callable[[], None]) -> None:
        audio = self.library.render(text) if language in self.languages else None
        if audio is None:
            self.fallback.say(text, language, volume, done)
            return

        with tempfile.NamedTemporaryFile(suffix=".wav", delete=False) as fh:
            fh.write(audio)
        wav = Path(fh.name)
        play_in_background([*self.player, str(wav)], "voice clip player", 60, done,
                           after=lambda: wav.unlink(missing_ok=True))


def play_in_background(args: list[str], what: str, timeout: float, done: Callable[[], None],
                       after: Callable[[], None] | None = None,
                       playing: set[subprocess.Popen[bytes]] | None = None) -> None:
    """Run one speech command (espeak-ng, a WAV player) on its own thread; a failure is logged
    for staff, never raised, and ``done`` is always called (the announcer's queue moves on).
    While it plays the process is in ``playing`` (so speech mode can cut it off)."""

    def run() -> None:
        process: subprocess.Popen[bytes] | None = None
        try:
            process = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            if playing is not None:
                playing.add(process)
            code = process.wait(timeout=timeout)
            if code not in (0, -15):   # -15: cut off on purpose (SIGTERM)
                log.warning(f"{what} failed", extra={"ctx": {"code": code}})
        except (OSError, subprocess.TimeoutExpired) as exc:
            log.warning(f"{what} could not run", extra={"ctx": {"error": type(exc).__name__}})
            if process is not None:
                process.kill()
        finally:
            if playing is not None and process is not None:
                playing.discard(process)
            if after is not None:
                after()
            done()

    threading.Thread(target=run, name="speech", daemon=True).start()
