"""The service catalogue (事项清单) as the kiosk sees it: zones, themes, service items, search.

The catalogue comes from the platform (同源发布: one source for kiosk, web and app) through the
offline cache's pulls; a bundled sample is the fallback so a kiosk that never reached the
platform still guides citizens. Search accepts characters (社保) or pinyin initials (sb), matched
against the item name, its theme and its zone.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from pypinyin import Style, lazy_pinyin

SAMPLE_CATALOGUE = Path(__file__).resolve().parent.parent / "offline_cache" / "data" / "sample_catalogue.json"


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
    max_length: int = 60
    min: float | None = None
    max: float | None = None


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
    def _index(self) -> list[tuple[ServiceItem, list[str]]]:
        theme_names = {t.id: t.name for t in self.themes}
        zone_names = {z.id: z.name for z in self.zones}
        index = []
        for item in self.services:
            texts = [item.name, theme_names.get(item.theme, ""), zone_names.get(item.zone, "")]
            index.append((item, [t for t in texts if t]))
        return index

    def search(self, query: str, limit: int = 8) -> list[ServiceItem]:
        """Items matching characters or pinyin initials, best first."""
        query = "".join(query.split()).lower()
        if not query:
            return []
        scored = []
        for order, (item, texts) in enumerate(self._index):
            best = max(_score(query, text) for text in texts)
            if best:
                scored.append((-best, order, item))
        scored.sort(key=lambda row: row[:2])
        return [item for _, _, item in scored[:limit]]


def _initials(text: str) -> str:
    return "".join(p[0] for p in lazy_pinyin(text, style=Style.FIRST_LETTER, errors="ignore") if p).lower()


def _is_subsequence(needle: str, haystack: str) -> bool:
    it = iter(haystack)
    return all(ch in it for ch in needle)


def _score(query: str, text: str) -> int:
    """4 contiguous characters, 3 contiguous initials, 2/1 the same as subsequences, 0 no match."""
    if query in text.lower():
        return 4
    initials = _initials(text)
    if query.isascii() and query.isalpha():
        if query in initials:
            return 3
        return 1 if _is_subsequence(query, initials) else 0
    return 2 if len(query) > 1 and _is_subsequence(query, text) else 0


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
            fee_en=raw.get("fee_en", ""),
        ))
    zones = [Zone(z["id"], z["name"], z.get("name_en", "")) for z in data.get("zones", [])]
    themes = [Zone(t["id"], t["name"], t.get("name_en", "")) for t in data.get("themes", [])]
    return Catalogue(version=str(data.get("version", "")), hall_name=data.get("hall_name", ""),
                     zones=zones, themes=themes, services=services, age_seconds=age_seconds)


def load_sample_catalogue() -> Catalogue:
    return parse_catalogue(json.loads(SAMPLE_CATALOGUE.read_text(encoding="utf-8")))
