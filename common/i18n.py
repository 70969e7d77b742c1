"""The translation layer of every role and of paper: one gettext catalogue per language.

Catalogues are ``common/locale/<language>/LC_MESSAGES/hall.po`` (Chinese, the source language, and
English), with the template ``common/locale/hall.pot`` for a new language. Message ids are keys
(``hall.service_daily_cap.title``, ``phone.ticket.title`` for the phone pages); texts keep
``str.format`` placeholders (``{minutes}``, flagged ``python-brace-format`` so translators' tools
check them). The kiosk, the staff windows (ui/), the devices' messages, the phone pages
(queueing/) and the paper templates all look strings up through :class:`Translator`.

The ``.po`` files are read at run time with Babel's ``read_po`` (once per language per process,
a few milliseconds): the file a translator edits is the file the product reads, so there is no
compiled ``.mo`` to forget to rebuild and no binary in the repository.

A key missing in a language falls back to Chinese, then to the key itself, and is logged once
per process and language for the translators.
"""

from __future__ import annotations

import logging
import string
import threading
from functools import cache
from pathlib import Path

from babel.messages.pofile import read_po

LANGUAGES = ("zh_CN", "en")
SOURCE_LANGUAGE = "zh_CN"
DOMAIN = "hall"
LOCALE_DIR = Path(__file__).resolve().parent / "locale"
# Other spellings of our languages (the phone pages' ``?lang=zh``, a browser's ``zh-CN``).
ALIASES = {"zh": "zh_CN", "zh-CN": "zh_CN", "zh-Hans": "zh_CN", "en-US": "en", "en_US": "en", "en-GB": "en"}

log = logging.getLogger(__name__)
_reported: set[tuple[str, str]] = set()
_reported_lock = threading.Lock()


def catalogue_path(language: str) -> Path:
    return LOCALE_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.po"


def canonical_language(language: str) -> str:
    """``zh`` → ``zh_CN``; raises ``ValueError`` for a language we have no catalogue for."""
    lang = ALIASES.get(language, language)
    if lang not in LANGUAGES:
        raise ValueError(f"unknown language {language!r}; known: {', '.join(LANGUAGES)}")
    return lang


@cache
def catalogue(language: str) -> dict[str, str]:
    """Key → text of one language; untranslated (empty or fuzzy) entries are left out."""
    lang = canonical_language(language)
    with catalogue_path(lang).open("rb") as fh:
        cat = read_po(fh, locale=lang, domain=DOMAIN)
    return {str(m.id): str(m.string) for m in cat if m.id and isinstance(m.id, str)
            and isinstance(m.string, str) and m.string and not m.fuzzy}


def placeholders(text: str) -> set[str]:
    """The ``{name}`` fields of a text (what every translation of it must keep)."""
    return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None and name != ""}


def _report_missing(key: str, language: str) -> None:
    with _reported_lock:
        if (key, language) in _reported:
            return
        _reported.add((key, language))
    log.warning("missing translation", extra={"ctx": {"key": key, "language": language}})


def translate(language: str, key: str, **params: object) -> str:
    """The text of ``key`` in ``language`` with ``params`` filled in (Chinese when missing)."""
    lang = canonical_language(language)
    text = catalogue(lang).get(key)
    if text is None:
        _report_missing(key, lang)
        text = catalogue(SOURCE_LANGUAGE).get(key, key)
    return text.format(**params) if params else text


def for_staff(key: str, **params: object) -> str:
    """Words a kiosk sends the hall's staff (an alert on the dashboard and the counter console): the
    staff's language, the catalogue's source, whatever language the citizen at the screen chose."""
    return translate(SOURCE_LANGUAGE, key, **params)


class Translator:
    """Looks strings up in the current language; ``language`` can change at any time."""

    def __init__(self, language: str = SOURCE_LANGUAGE) -> None:
        self.language = language

    @property
    def language(self) -> str:
        return self._language

    @language.setter
    def language(self, value: str) -> None:
        self._language = canonical_language(value)

    def tr(self, key: str, **params: object) -> str:
        return translate(self._language, key, **params)

    def has(self, key: str) -> bool:
        """Whether the current language (or Chinese, its fallback) knows ``key``."""
        return key in catalogue(self._language) or key in catalogue(SOURCE_LANGUAGE)

    def pick(self, zh: str, en: str) -> str:
        """Choose between data's Chinese and English text (English falls back to Chinese)."""
        return en if self._language == "en" and en else zh


def tr(language: str, key: str, **params: object) -> str:
    """Shorthand of :func:`translate` for code that holds a language, not a Translator."""
    return translate(language, key, **params)
