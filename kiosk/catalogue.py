"""The service catalogue (事项清单) as the kiosk sees it: zones, themes, service items, search.

The catalogue comes from the platform (同源发布: one source for kiosk, web and app) through the
offline cache's pulls; a bundled sample is the fallback so a kiosk that never reached the
platform still guides citizens. Search accepts characters (社保), full pinyin (shebao), initials
(sb) or a mix of them (社保ka: what a citizen has after picking a candidate and typing on), matched
against the item name, its theme, its zone and the synonyms those use (kiosk/search_synonyms.toml
plus the platform's own "synonyms" table).
"""

from __future__ import annotations

import enum
import json
import tomllib
from dataclasses import dataclass, field
from functools import cache, cached_property
from pathlib import Path
from typing import Any

from pypinyin import lazy_pinyin

from kiosk.bundles import locality_words, parse_bundles, parse_tongban

SAMPLE_CATALOGUE = Path(__file__).resolve().parent.parent / "offline_cache" / "data" / "sample_catalogue.json"
SYNONYMS = Path(__file__).resolve().parent / "search_synonyms.toml"


@cache
def bundled_synonyms() -> dict[str, tuple[str, ...]]:
    """The kiosk's own search synonyms (word a citizen types -> words items use instead)."""
    table = tomllib.loads(SYNONYMS.read_text(encoding="utf-8")).get("synonyms", {})
    return {str(k): tuple(str(w) for w in v) for k, v in table.items()}


@dataclass(frozen=True)
class Material:
    name: str
    core: bool = False
    tolerable: bool = False  # 容缺: may be owed and handed in later
    name_en: str = ""
    # what the material is, for the kiosk to recognise it whatever its name ("id_card": the
    # applicant's ID card, which the card reader supplies); "" for a material without a role
    id: str = ""


@dataclass(frozen=True)
class FormField:
    key: str
    label: str
    label_en: str
    type: str = "text"
    required: bool = False
    personal: bool = False
    options: tuple[str, ...] = ()
    options_en: tuple[str, ...] = ()  # by position; "" or missing: not translated
    max_length: int = 60
    min: float | None = None
    max: float | None = None


class Delivery(enum.StrEnum):
    """How the result of a case reaches the citizen (a service's ``delivery`` list in the
    catalogue; the application record's ``delivery.method``; kiosk/delivery.py)."""

    PICKUP = "pickup"   # 自取: at the hall's 出件 window
    POST = "post"       # 邮寄: to the address given


@dataclass(frozen=True)
class ServiceItem:
    id: str
    name: str
    zone: str
    prefix: str
    name_en: str = ""
    theme: str = ""
    kind: str = "即办件"
    promised_days: int = 0
    legal_days: int = 0
    fee: str = "免费"
    online: bool = False
    self_service: bool = False
    real_name: bool = True
    conditions: tuple[str, ...] = ()
    materials: tuple[Material, ...] = ()
    form: tuple[FormField, ...] = ()
    window_hint: str = ""
    commitment: str = ""
    target_wait_minutes: int = 20
    # English of the content, optional in the platform's catalogue (docs/offline-cache.md);
    # conditions_en pairs with conditions by position, "" where a line has no translation
    conditions_en: tuple[str, ...] = ()
    window_hint_en: str = ""
    commitment_en: str = ""
    fee_en: str = ""
    #: how the result can reach the citizen (统一窗口出件): ``pickup`` / ``post``; empty: nothing to hand out
    delivery: tuple[str, ...] = ()
    # 一件事: the ids of the items a bundle brings together (kiosk/bundles.py); () for a plain item
    members: tuple[str, ...] = ()
    tongban: tuple[Any, ...] = ()  # 通办 flags (kiosk.bundles.Tongban)

    @property
    def tolerable_materials(self) -> list[Material]:
        return [m for m in self.materials if m.tolerable]


@dataclass(frozen=True)
class Zone:
    id: str
    name: str
    name_en: str = ""


@dataclass
class Catalogue:
    version: str
    hall_name: str
    zones: list[Zone]
    themes: list[Zone]
    services: list[ServiceItem]
    age_seconds: float | None = None  # how old the copy is; None = bundled sample
    synonyms: dict[str, tuple[str, ...]] = field(default_factory=bundled_synonyms)
    _by_id: dict[str, ServiceItem] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        self._by_id = {s.id: s for s in self.services}

    def service(self, service_id: str) -> ServiceItem | None:
        return self._by_id.get(service_id)

    def zone(self, zone_id: str) -> Zone | None:
        return next((z for z in self.zones if z.id == zone_id), None)

    def in_zone(self, zone_id: str) -> list[ServiceItem]:
        return [s for s in self.services if s.zone == zone_id]

    def in_theme(self, theme_id: str) -> list[ServiceItem]:
        return [s for s in self.services if s.theme == theme_id]

    def self_service_items(self) -> list[ServiceItem]:
        return [s for s in self.services if s.self_service]

    @cached_property
    def _index(self) -> list[tuple[ServiceItem, list[_Text]]]:
        theme_names = {t.id: t.name for t in self.themes}
        zone_names = {z.id: z.name for z in self.zones}
        index = []
        for item in self.services:
            texts = [item.name, theme_names.get(item.theme, ""), zone_names.get(item.zone, ""),
                     *locality_words(item)]
            texts = [t for t in texts if t]
            # the citizen's word for what the item calls otherwise (社保 for 社会保险) and the long
            # forms of a short word the item uses (社会保险 for the 社保 theme); such words rank
            # below what the item itself says
            words: dict[str, None] = {}
            for word, alts in self.synonyms.items():
                if any(alt in t for alt in alts for t in texts):
                    words[word] = None
                if any(word in t for t in texts):
                    words.update(dict.fromkeys(alts))
            index.append((item, [_Text(t) for t in texts]
                          + [_Text(w, derived=True) for w in words if not any(w in t for t in texts)]))
        return index

    def search(self, query: str, limit: int = 8) -> list[ServiceItem]:
        """Items matching characters, pinyin (full, initials or mixed) or a synonym, best first."""
        query = "".join(query.split()).lower()
        if not query:
            return []
        # characters followed by letters still being typed: match it all as pinyin too
        spelled = "".join(lazy_pinyin(query)) if not query.isascii() and any(c.isascii() for c in query) else ""
        scored = []
        for order, (item, texts) in enumerate(self._index):
            best = max(max(_score(query, text), _pinyin_score(spelled, text) if spelled else 0) for text in texts)
            if best:
                scored.append((-best, order, item))
        scored.sort(key=lambda row: row[:2])
        return [item for _, _, item in scored[:limit]]


@dataclass(frozen=True)
class _Text:
    """One searchable text with its pinyin syllables (社会保障 -> she hui bao zhang)."""
    text: str
    derived: bool = False  # a synonym, not the item's own words

    @cached_property
    def syllables(self) -> tuple[str, ...]:
        return tuple(p.lower() for p in lazy_pinyin(self.text, errors="ignore") if p.isalpha())


def _is_subsequence(needle: str, haystack: str) -> bool:
    it = iter(haystack)
    return all(ch in it for ch in needle)


def _spells(query: str, syllables: tuple[str, ...], *, gaps: bool) -> bool:
    """Whether ``query`` is the syllables' beginnings one after another, each at least its first
    letter: full pinyin (shebao), initials (sb) and mixes (shebz) all are; with ``gaps`` some
    syllables may be left out (shbz for she hui bao zhang)."""

    @cache
    def rest(i: int, j: int) -> bool:
        if i == len(query):
            return True
        if j == len(syllables):
            return False
        syllable = syllables[j]
        for k in range(min(len(syllable), len(query) - i), 0, -1):
            if query[i:i + k] == syllable[:k] and rest(i + k, j + 1):
                return True
        return gaps and rest(i, j + 1)

    starts = range(len(syllables)) if not gaps else range(1)
    return any(rest(0, j) for j in starts)


def _pinyin_score(query: str, text: _Text) -> int:
    """3 syllables spelt one after another, 1 with some left out, 0 no match."""
    if _spells(query, text.syllables, gaps=False):
        return 3
    return 1 if _spells(query, text.syllables, gaps=True) else 0


def _score(query: str, text: _Text) -> int:
    """4 contiguous characters, 3 contiguous pinyin, 2/1 the same with gaps, 0 no match."""
    if query in text.text.lower():
        return 3 if text.derived else 4
    if query.isascii() and query.isalpha():
        return _pinyin_score(query, text)
    return 2 if len(query) > 1 and _is_subsequence(query, text.text) else 0


def in_language(chinese: str, english: str, language: str) -> tuple[str, bool]:
    """The text to show in ``language`` and whether it is the Chinese standing in for a missing
    translation (the screen then adds its "Chinese only" note instead of a silent mix)."""
    if language == "zh_CN" or not chinese:
        return chinese, False
    return (english, False) if english else (chinese, True)


def shown_in(chinese: str, english: str, language: str, note: str) -> str:
    """The text a screen shows in ``language``: the English, or the Chinese followed by ``note``
    (the "Chinese only" of the UI catalogue) where the translation is missing."""
    text, untranslated = in_language(chinese, english, language)
    return f"{text} {note}" if untranslated else text


def parse_catalogue(data: dict[str, Any], age_seconds: float | None = None) -> Catalogue:
    """Build a :class:`Catalogue` from the platform's JSON shape (unknown keys are ignored)."""
    services = []
    for raw in data.get("services", []):
        materials = tuple(Material(m["name"], bool(m.get("core")), bool(m.get("tolerable")),
                                   str(m.get("name_en", "")), str(m.get("id", "")))
                          for m in raw.get("materials", []))
        form = tuple(
            FormField(key=f["key"], label=f.get("label", f["key"]), label_en=f.get("label_en", f.get("label", "")),
                      type=f.get("type", "text"), required=bool(f.get("required")),
                      personal=bool(f.get("personal")), options=tuple(f.get("options", ())),
                      options_en=tuple(str(o or "") for o in f.get("options_en", ())),
                      max_length=int(f.get("max_length", 60)), min=f.get("min"), max=f.get("max"))
            for f in raw.get("form", [])
        )
        services.append(ServiceItem(
            id=raw["id"], name=raw["name"], zone=raw.get("zone", ""), prefix=raw.get("prefix", "A"),
            name_en=raw.get("name_en", ""),
            theme=raw.get("theme", ""), kind=raw.get("kind", "即办件"),
            promised_days=int(raw.get("promised_days", 0)), legal_days=int(raw.get("legal_days", 0)),
            fee=raw.get("fee", ""), online=bool(raw.get("online")), self_service=bool(raw.get("self_service")),
            real_name=bool(raw.get("real_name", True)), conditions=tuple(raw.get("conditions", ())),
            materials=materials, form=form, window_hint=raw.get("window_hint", ""),
            commitment=raw.get("commitment", ""), target_wait_minutes=int(raw.get("target_wait_minutes", 20)),
            conditions_en=tuple(str(c or "") for c in raw.get("conditions_en", ())),
            window_hint_en=raw.get("window_hint_en", ""), commitment_en=raw.get("commitment_en", ""),
            fee_en=raw.get("fee_en", ""), tongban=parse_tongban(raw.get("tongban")),
            delivery=tuple(str(d) for d in raw.get("delivery", ()) if d in set(Delivery)),
        ))
    services += parse_bundles(data.get("bundles"), services, ServiceItem)
    zones = [Zone(z["id"], z["name"], z.get("name_en", "")) for z in data.get("zones", [])]
    themes = [Zone(t["id"], t["name"], t.get("name_en", "")) for t in data.get("themes", [])]
    # the platform's synonyms add to the kiosk's own (same shape as kiosk/search_synonyms.toml)
    synonyms = dict(bundled_synonyms())
    for word, alts in (data.get("synonyms") or {}).items():
        synonyms[str(word)] = tuple(dict.fromkeys((*synonyms.get(str(word), ()), *(str(a) for a in alts))))
    return Catalogue(version=str(data.get("version", "")), hall_name=data.get("hall_name", ""),
                     zones=zones, themes=themes, services=services, age_seconds=age_seconds,
                     synonyms=synonyms)


def load_sample_catalogue() -> Catalogue:
    return parse_catalogue(json.loads(SAMPLE_CATALOGUE.read_text(encoding="utf-8")))
