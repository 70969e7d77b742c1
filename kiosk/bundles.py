"""一件事 bundles and 通办 flags of the service catalogue.

A **bundle** (一件事, e.g. 新生儿出生一件事) comes in the platform's catalogue under ``"bundles"``:
its own id, name, zone, prefix (its queue service at the 一件事 window) and ``members``, the ids
of the service items it brings together. The kiosk makes it one :class:`ServiceItem` whose form is
the members' fields merged (a field key shared by two items is asked once, the first item's
definition wins) and whose materials are the members' materials without duplicates (a material is
the same when its role ``id`` is, else when its name is; it is core when any member needs it as
core, 容缺 only when every member that asks for it tolerates it). The submission is one record
carrying ``bundle_items`` (each member with the materials it asked for), so the platform splits it
into its items; the citizen gets one receipt.

**通办** flags (``"tongban"`` on an item or a bundle) name the localities whose matters this hall
accepts: ``[{"scope": "city", "localities": ["韶关市"]}, {"scope": "cross_province", ...}]``
(a locality is a name or ``{"name", "name_en"}``). The guide and the ticket print
「本事项可在本厅办理：韶关市全市通办」; the guide's search finds an item by its localities.

A catalogue without ``bundles`` or ``tongban`` (every platform before them) reads as before.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from kiosk.catalogue import FormField, Material, ServiceItem

log = logging.getLogger(__name__)


class TongbanScope(StrEnum):
    """How far a 通办 flag reaches (the catalogue's ``scope``)."""
    CITY = "city"                      # 全市通办
    PROVINCE = "province"              # 全省通办
    CROSS_PROVINCE = "cross_province"  # 跨省通办


@dataclass(frozen=True)
class Locality:
    name: str
    name_en: str = ""


@dataclass(frozen=True)
class Tongban:
    """One 通办 flag: matters of these localities are accepted in this hall."""
    scope: TongbanScope
    localities: tuple[Locality, ...]


def parse_tongban(raw: Any) -> tuple[Tongban, ...]:
    """The item's ``tongban`` list; a flag with an unknown scope or no locality is left out (and
    logged) rather than told wrongly to a citizen."""
    flags = []
    for entry in raw or ():
        try:
            scope = TongbanScope(str(entry.get("scope", "")))
        except (ValueError, AttributeError):
            log.warning("catalogue: a tongban flag with an unknown scope left out", extra={"ctx": {"flag": str(entry)}})
            continue
        places = tuple(Locality(str(p.get("name", "")), str(p.get("name_en", ""))) if isinstance(p, dict)
                       else Locality(str(p)) for p in entry.get("localities", ()))
        places = tuple(p for p in places if p.name)
        if places:
            flags.append(Tongban(scope, places))
    return tuple(flags)


def locality_words(item: ServiceItem) -> list[str]:
    """The locality names the guide's search matches an item's 通办 flags by."""
    return [place.name for flag in item.tongban for place in flag.localities]


def tongban_line(item: ServiceItem | None, language: str) -> str:
    """「本事项可在本厅办理：韶关市全市通办；湖南省郴州市跨省通办」 in ``language``, or "" when the item
    has no 通办 flag."""
    from common.i18n import translate

    if item is None or not item.tongban:
        return ""
    english = language == "en"
    parts = []
    for flag in item.tongban:
        names = [(p.name_en or p.name) if english else p.name for p in flag.localities]
        places = (" / " if english else "、").join(names)  # an English place name has its own comma
        parts.append(translate(language, f"tongban.scope.{flag.scope.value}", places=places))
    return translate(language, "tongban.line", scopes=("; " if english else "；").join(parts))


# ------------------------------------------------------------------------------- bundles


def _material_key(material: Material) -> str:
    return f"id:{material.id}" if material.id else f"name:{material.name}"


def merge_fields(items: Iterable[ServiceItem]) -> tuple[FormField, ...]:
    """The members' fields in order, each key once (required when any member requires it)."""
    merged: dict[str, FormField] = {}
    for item in items:
        for spec in item.form:
            if spec.key not in merged:
                merged[spec.key] = spec
            elif spec.required and not merged[spec.key].required:
                merged[spec.key] = replace(merged[spec.key], required=True)
    return tuple(merged.values())


def merge_materials(items: Iterable[ServiceItem]) -> tuple[Material, ...]:
    """The members' materials in order, each once: core when any member needs it as core,
    容缺 only when every member asking for it tolerates it."""
    merged: dict[str, Material] = {}
    for item in items:
        for material in item.materials:
            key = _material_key(material)
            seen = merged.get(key)
            if seen is None:
                merged[key] = material
                continue
            core = seen.core or material.core
            merged[key] = replace(seen, core=core, tolerable=not core and seen.tolerable and material.tolerable,
                                  name_en=seen.name_en or material.name_en)
    return tuple(merged.values())


def parse_bundles(raw_bundles: Any, services: list[ServiceItem],
                  make_item: Callable[..., ServiceItem]) -> list[ServiceItem]:
    """The catalogue's ``bundles`` as items of their own. A bundle naming an item the catalogue
    lacks is left out (logged): its merged form and material list would be incomplete."""
    by_id = {s.id: s for s in services}
    bundles = []
    for raw in raw_bundles or ():
        member_ids = tuple(str(m) for m in raw.get("members", ()))
        missing = [m for m in member_ids if m not in by_id]
        if not member_ids or missing or not raw.get("id") or not raw.get("name"):
            log.warning("catalogue: a bundle naming items the catalogue lacks left out",
                        extra={"ctx": {"bundle": str(raw.get("id")), "missing": missing}})
            continue
        members = [by_id[m] for m in member_ids]
        bundles.append(make_item(
            id=str(raw["id"]), name=str(raw["name"]), name_en=str(raw.get("name_en", "")),
            zone=str(raw.get("zone", "")), prefix=str(raw.get("prefix", "Y")), theme=str(raw.get("theme", "")),
            # the bundle's own kind and fee, else what its members share (a promised member's kind)
            kind=str(raw.get("kind") or next((m.kind for m in members if m.promised_days), members[0].kind)),
            promised_days=int(raw.get("promised_days", 0)) or max(m.promised_days for m in members),
            legal_days=int(raw.get("legal_days", 0)) or max(m.legal_days for m in members),
            fee=str(raw.get("fee") or (members[0].fee if len({m.fee for m in members}) == 1 else "")),
            fee_en=str(raw.get("fee_en") or (members[0].fee_en if len({m.fee for m in members}) == 1 else "")),
            online=bool(raw.get("online")), self_service=bool(raw.get("self_service")),
            conditions=tuple(raw.get("conditions", ())),
            conditions_en=tuple(str(c or "") for c in raw.get("conditions_en", ())),
            materials=merge_materials(members), form=merge_fields(members),
            window_hint=str(raw.get("window_hint", "")), window_hint_en=str(raw.get("window_hint_en", "")),
            commitment=str(raw.get("commitment", "")), commitment_en=str(raw.get("commitment_en", "")),
            target_wait_minutes=int(raw.get("target_wait_minutes", 20)),
            members=member_ids, tongban=parse_tongban(raw.get("tongban")),
        ))
    return bundles


def members_of(catalogue: Any, item: ServiceItem | None) -> list[ServiceItem]:
    """The member items of a bundle (empty for a plain item)."""
    if item is None:
        return []
    return [m for m in (catalogue.service(i) for i in item.members) if m is not None]


def submission_fields(catalogue: Any, item: ServiceItem, materials: dict[int, str]) -> dict[str, Any]:
    """What a bundle's one submission record adds: the bundle and each member item with the
    materials it asked for and their status (the platform splits the record into its items)."""
    if not item.members:
        return {}
    status = {_material_key(m): materials.get(i, "missing") for i, m in enumerate(item.materials)}
    return {"bundle_id": item.id, "bundle_items": [
        {"service_id": m.id, "service_name": m.name,
         "materials": [{"name": x.name, "status": status.get(_material_key(x), "missing")} for x in m.materials]}
        for m in members_of(catalogue, item)]}


# ------------------------------------------------------------------------------- screens and paper


def guide_sections(core: Any, item: ServiceItem, shown: Callable[[str, str], str]) -> list[dict[str, Any]]:
    """The guide detail's sections of a bundle (its member items) and of 通办 (where it is flagged)."""
    tr = core.translator.tr
    sections = []
    members = members_of(core.catalogue, item)
    if members:
        sections.append({"title": tr("guide.bundle.members"),
                         "items": [tr("guide.bundle.note"), *(shown(m.name, m.name_en) for m in members)]})
    line = tongban_line(item, core.translator.language)
    if line:
        sections.append({"title": tr("guide.tongban"), "items": [line]})
    return sections


def ticket_notices(item: ServiceItem | None, language: str) -> tuple[str, ...] | None:
    """The ticket's notice lines: the standard notice after the 通办 line, or None (the standard
    notice alone) for an item without 通办 flags."""
    from common.i18n import translate

    line = tongban_line(item, language)
    if not line:
        return None
    return (line, *translate(language, "paper.ticket.notice").split("\n"))


def receipt_lines(core: Any, item: ServiceItem, shown: Callable[[str, str], str]) -> list[str]:
    """The done screen's line naming what a bundle's one submission covered."""
    members = members_of(core.catalogue, item)
    if not members:
        return []
    sep = ", " if core.translator.language == "en" else "、"
    return [str(core.translator.tr("submit.done.bundle", n=len(members),
                                   items=sep.join(shown(m.name, m.name_en) for m in members)))]
