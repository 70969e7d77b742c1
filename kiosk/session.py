"""The citizen session: what one person at the kiosk has given it, and its wiping.

A session holds the card that was read, form values and photos of materials — only in memory:
a photo is never written to disk unsealed (it goes to the offline cache, sealed, at submit), so a
kiosk killed mid-session leaves no readable picture behind. QML shows a held photo through the
``image://camera/photo/<token>`` provider (:func:`held_photo`). Files a session still keeps go to a
private temporary directory; :func:`wipe_leftovers` destroys what a crashed kiosk left there.
After an idle time (shorter in self-service forms, longer in elder mode) a countdown
starts; when it runs out, or when the citizen finishes, :meth:`Session.wipe` overwrites and
removes the files and forgets every field.
Timing runs on a monotonic clock given by the caller so tests control it.
"""

from __future__ import annotations

import enum
import os
import secrets
import shutil
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

#: photos of every live session by their unguessable token, for the GUI's image provider
_HELD: dict[str, bytes] = {}
_HELD_LOCK = threading.Lock()
PHOTO_URL = "image://camera/photo/"


def held_photo(token: str) -> bytes | None:
    """The JPEG a live session holds under ``token`` (None once wiped or never taken)."""
    with _HELD_LOCK:
        return _HELD.get(token)


class IdlePhase(enum.Enum):
    ACTIVE = "active"
    COUNTDOWN = "countdown"
    EXPIRED = "expired"


@dataclass
class IdlePolicy:
    idle_seconds: float = 60
    form_idle_seconds: float = 45
    elder_idle_seconds: float = 120
    countdown_seconds: float = 15

    def timeout(self, *, in_form: bool, elder: bool) -> float:
        base = self.form_idle_seconds if in_form else self.idle_seconds
        return max(base, self.elder_idle_seconds) if elder else base


@dataclass
class Session:
    """Everything of one citizen's visit. Nothing here is ever logged or written unencrypted."""

    root: Path
    id: str = field(default_factory=lambda: uuid.uuid4().hex)
    card: Any = None  # the identity read from the ID card (device layer's record)
    values: dict[str, Any] = field(default_factory=dict)
    photos: dict[str, str] = field(default_factory=dict)  # material key → token of a held photo
    elicences: Any = None  # the consent and e-licences listed for this citizen (kiosk.elicences), memory only
    _held: set[str] = field(default_factory=set)
    _dir: Path | None = None

    def hold_photo(self, data: bytes) -> str:
        """Keep a photo in memory only; returns its token (see :func:`photo_url`)."""
        token = secrets.token_urlsafe(16)
        with _HELD_LOCK:
            _HELD[token] = data
        self._held.add(token)
        return token

    def photo(self, token: str) -> bytes | None:
        return held_photo(token) if token in self._held else None

    def drop_photo(self, token: str) -> None:
        """Forget a photo the citizen did not use (a retake)."""
        self._held.discard(token)
        with _HELD_LOCK:
            _HELD.pop(token, None)

    @property
    def temp_dir(self) -> Path:
        """A private (0700) directory for this session's photos and previews."""
        if self._dir is None:
            self.root.mkdir(parents=True, exist_ok=True)
            self._dir = Path(tempfile.mkdtemp(prefix=f"session-{self.id[:8]}-", dir=self.root))
            os.chmod(self._dir, 0o700)
        return self._dir

    def keep_file(self, name: str, data: bytes) -> Path:
        path = self.temp_dir / name
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        return path

    def is_empty(self) -> bool:
        return (self.card is None and not self.values and not self.photos and not self._held
                and self._dir is None and self.elicences is None)

    def wipe(self) -> int:
        """Forget every field and destroy every file; returns how many files were removed."""
        removed = 0
        if self._dir is not None and self._dir.exists():
            for path in self._dir.rglob("*"):
                if path.is_file():
                    _overwrite(path)
                    removed += 1
            shutil.rmtree(self._dir, ignore_errors=True)
        self._dir = None
        removed += len(self._held)
        for token in list(self._held):
            self.drop_photo(token)
        self.card = None
        if self.elicences is not None:
            self.elicences.forget()
            self.elicences = None
        self.values.clear()
        self.photos.clear()
        return removed


def photo_url(token: str) -> str:
    """Where QML finds a held photo (the camera image provider), "" for no photo."""
    return f"{PHOTO_URL}{token}" if token else ""


def wipe_leftovers(root: Path) -> int:
    """At kiosk start: overwrite and remove every session folder a killed kiosk left under
    ``root`` (no session is live yet). Returns how many files were destroyed."""
    removed = 0
    if not root.is_dir():
        return 0
    for folder in root.iterdir():
        if not folder.is_dir() or folder.is_symlink():
            continue
        for path in folder.rglob("*"):
            if path.is_file() and not path.is_symlink():
                _overwrite(path)
                removed += 1
        shutil.rmtree(folder, ignore_errors=True)
    return removed


def _overwrite(path: Path) -> None:
    # Best effort on flash storage, but it keeps photos out of free blocks on plain disks.
    try:
        size = path.stat().st_size
        with open(path, "r+b") as fh:
            fh.write(b"\0" * size)
            fh.flush()
            os.fsync(fh.fileno())
    except OSError:
        pass


class IdleWatch:
    """Tracks the last touch and says whether the session is active, counting down or over."""

    def __init__(self, policy: IdlePolicy, clock: Callable[[], float] = time.monotonic) -> None:
        self.policy = policy
        self.clock = clock
        self.last_touch = clock()

    def touch(self) -> None:
        self.last_touch = self.clock()

    def phase(self, *, in_form: bool = False, elder: bool = False) -> tuple[IdlePhase, int]:
        """The phase and, while counting down, the whole seconds left."""
        idle = self.clock() - self.last_touch
        timeout = self.policy.timeout(in_form=in_form, elder=elder)
        if idle < timeout - self.policy.countdown_seconds:
            return IdlePhase.ACTIVE, 0
        if idle < timeout:
            return IdlePhase.COUNTDOWN, int(timeout - idle + 0.999)
        return IdlePhase.EXPIRED, 0
