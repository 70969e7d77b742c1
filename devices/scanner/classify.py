"""What a scanned code is: our appointment code, our ticket/receipt QR, a service guide, a URL,
anything else, or junk rejected with a reason. Also the repeat filter all scanners share."""

from __future__ import annotations

import re
import threading
import time
from dataclasses import dataclass

MAX_PAYLOAD = 1024
APPOINTMENT_PREFIX = "APPT1:"
_APPT = re.compile(r"^APPT1:([0-9A-Z]{6,64})$")
_TOKEN = r"([A-Za-z0-9_-]{4,128})"


@dataclass(frozen=True)
class Scan:
    kind: str          # appointment | ticket | receipt | guide | url | other | rejected
    value: str         # the token / code / service id / URL / text; "" when rejected
    raw: bytes
    reason: str | None = None
    source: str = ""   # serial | evdev | camera | sim

    @property
    def accepted(self) -> bool:
        return self.kind != "rejected"

    def __repr__(self) -> str:  # payloads are opaque tokens, but keep logs short
        return f"Scan({self.kind}, {self.value[:40]!r}{', ' + self.reason if self.reason else ''})"


def _text(raw: bytes) -> tuple[str | None, str | None]:
    if len(raw) > MAX_PAYLOAD:
        return None, f"payload too long ({len(raw)} bytes > {MAX_PAYLOAD})"
    if not raw.strip():
        return None, "empty payload"
    for enc in ("utf-8", "gb18030"):   # serial scanners pass bytes as encoded in the symbol
        try:
            text = raw.decode(enc)
            break
        except UnicodeDecodeError:
            continue
    else:
        return None, "binary data, not text"
    bad = sum(1 for ch in text if ord(ch) < 0x20 and ch not in "\t\r\n")
    if bad:
        return None, f"binary data ({bad} control characters)"
    return text.strip(), None


def classify(payload: bytes | str, base_url: str | None = None, source: str = "") -> Scan:
    raw = payload.encode("utf-8") if isinstance(payload, str) else bytes(payload)
    text, reason = _text(raw)
    if text is None:
        return Scan("rejected", "", raw, reason, source)
    m = _APPT.match(text)
    if m:
        return Scan("appointment", m.group(1), raw, None, source)
    if text.upper().startswith(APPOINTMENT_PREFIX):
        return Scan("rejected", "", raw, "malformed appointment code", source)
    if base_url:
        base = re.escape(base_url.rstrip("/"))
        for kind, letter in (("ticket", "t"), ("receipt", "a"), ("guide", "g")):
            m = re.match(rf"^{base}/{letter}/{_TOKEN}/?$", text)
            if m:
                return Scan(kind, m.group(1), raw, None, source)
    if re.match(r"^https?://[^\s/$.?#].[^\s]*$", text, re.IGNORECASE):
        return Scan("url", text, raw, None, source)
    return Scan("other", text, raw, None, source)


class RepeatFilter:
    """Drops the same payload seen again within ``window`` seconds (a code held under a camera)."""

    def __init__(self, window: float = 2.0) -> None:
        self.window = window
        self._last: dict[bytes, float] = {}
        self._lock = threading.Lock()

    def fresh(self, raw: bytes, now: float | None = None) -> bool:
        now = time.monotonic() if now is None else now
        with self._lock:
            for k in [k for k, t in self._last.items() if now - t > self.window]:
                del self._last[k]
            seen = raw in self._last
            self._last[raw] = now
            return not seen
