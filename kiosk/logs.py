"""Structured logging for every role, with personal data scrubbed before anything is written.

Modules log through ``logging.getLogger(__name__)`` and pass context as ``extra={"ctx": {...}}``.
The redaction filter masks anything that looks like an ID number of any card type or a phone number,
as a last line of defence: code must not log personal data in the first place.
"""

from __future__ import annotations

import collections
import json
import logging
import re
import sys
import time

from common.identity import scrub_id_numbers

_PHONE = re.compile(r"(?<!\d)(1[3-9]\d)\d{4}(\d{4})(?!\d)")


def scrub(text: str) -> str:
    """Mask ID numbers (every card type, :func:`common.identity.scrub_id_numbers`) and mobile
    phone numbers in free text."""
    text = scrub_id_numbers(text)
    return _PHONE.sub(lambda m: m.group(1) + "****" + m.group(2), text)


class RedactingFilter(logging.Filter):
    """Rewrites the formatted message so no ID or phone number leaves the process."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = scrub(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message and the record's ``ctx``."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "ts": time.strftime("%Y-%m-%dT%H:%M:%S", time.localtime(record.created))
            + f".{int(record.msecs):03d}",
            "level": record.levelname,
            "logger": record.name,
            "msg": record.getMessage(),
        }
        ctx = getattr(record, "ctx", None)
        if isinstance(ctx, dict):
            entry.update({k: v for k, v in ctx.items() if k not in entry})
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        return scrub(json.dumps(entry, ensure_ascii=False, default=str))


class TextFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        ctx = getattr(record, "ctx", None)
        if isinstance(ctx, dict) and ctx:
            line += " " + " ".join(f"{k}={v}" for k, v in ctx.items())
        return scrub(line)


class RecentLines(logging.Handler):
    """The last lines logged (already scrubbed), for the technician's diagnostics bundle."""

    def __init__(self, capacity: int = 2000) -> None:
        super().__init__()
        self.lines: collections.deque[str] = collections.deque(maxlen=capacity)

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self.lines.append(self.format(record))
        except Exception:
            self.handleError(record)


RECENT = RecentLines()


def recent_lines() -> list[str]:
    return list(RECENT.lines)


def setup_logging(level: str = "INFO", fmt: str = "text") -> None:
    """Configure the root logger once for the process (stderr; the journal collects it)."""
    root = logging.getLogger()
    for handler in list(root.handlers):
        root.removeHandler(handler)
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(RedactingFilter())
    if fmt == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(TextFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root.addHandler(handler)
    RECENT.setFormatter(TextFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    RECENT.addFilter(RedactingFilter())
    root.addHandler(RECENT)
    root.setLevel(getattr(logging, level.upper(), logging.INFO))
    for noisy in ("urllib3", "uvicorn.access", "PIL", "escpos"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
