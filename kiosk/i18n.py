"""Translation layer: every string a citizen or staff member reads goes through :func:`Translator.tr`.

Strings live in ``kiosk/strings/<language>.json`` (Chinese first, English complete); a test keeps
the two files' keys and placeholders identical. A missing key falls back to Chinese, then to the
key itself, and is logged once for the translators.
"""

from __future__ import annotations

import json
import logging
from functools import cache
from pathlib import Path

LANGUAGES = ("zh_CN", "en")
STRINGS_DIR = Path(__file__).resolve().parent / "strings"
log = logging.getLogger(__name__)


@cache
def strings(language: str) -> dict[str, str]:
    """The string table of one language (read once per process)."""
    return json.loads((STRINGS_DIR / f"{language}.json").read_text(encoding="utf-8"))


class Translator:
    """Looks strings up in the current language; ``language`` can change at any time."""

    def __init__(self, language: str = "zh_CN") -> None:
        self.language = language
        self._reported: set[str] = set()

    @property
    def language(self) -> str:
        return self._language

    @language.setter
    def language(self, value: str) -> None:
        if value not in LANGUAGES:
            raise ValueError(f"unknown language {value!r}; known: {', '.join(LANGUAGES)}")
        self._language = value

    def tr(self, key: str, **params: object) -> str:
        text = strings(self._language).get(key)
        if text is None:
            if key not in self._reported:
                self._reported.add(key)
                log.warning("missing translation", extra={"ctx": {"key": key, "language": self._language}})
            text = strings("zh_CN").get(key, key)
        return text.format(**params) if params else text

    def pick(self, zh: str, en: str) -> str:
        """Choose between a catalogue's Chinese and English text (English falls back to Chinese)."""
        return en if self._language == "en" and en else zh
