"""办事指南: browse by zone or theme, search by characters or pinyin initials (社保 or sb), and
each item's guide with conditions, materials (core ones marked), time limit, fee, where to go,
whether it can be done here or online, and its 码上办 QR for the phone. Where the kiosk has an A4
printer (``[devices.a4_printer]``), the guide offers 打印材料清单: the 一次告知 checklist on A4
(:func:`kiosk.documents.materials_checklist_pdf`)."""

from __future__ import annotations

import logging
from typing import Any

from kiosk import elicences
from kiosk.bundles import guide_sections
from kiosk.catalogue import ServiceItem, shown_in
from kiosk.flows.base import Flow, Screen, choice

log = logging.getLogger(__name__)


class GuideFlow(Flow):
    name = "guide"

    def __init__(self, core: Any, *, service_id: str | None = None) -> None:
        super().__init__(core)
        self.state = "start"
        self.group: tuple[str, str] | None = None  # ("zone"|"theme", id)
        self.query = ""
        self.service_id = service_id
        if service_id:
            self.state = "detail"

    def handle(self, action: str, args: dict[str, Any]) -> None:
        if self.state == "start" and action == "choose" and args["id"] == "elicence_copy":
            self.core.start_flow("elicence_copy")  # 打印电子证照复印件 (kiosk/elicences.py)
        elif self.state == "start" and action == "choose":
            self.goto({"zones": "zones", "themes": "themes", "search": "search"}.get(args["id"], "start"))
        elif self.state in ("zones", "themes") and action == "choose":
            self.group = (self.state[:-1], args["id"])
            self.goto("list")
        elif self.state in ("list", "search") and action == "choose":
            self.service_id = args["id"]
            self.goto("detail")
        elif self.state == "search" and action == "query":
            self.query = str(args.get("text", ""))[:20]
        elif self.state == "detail" and action in ("ticket", "submit"):
            self.core.start_flow(action, service_id=self.service_id)
        elif self.state == "detail" and action == "print_checklist" and self._a4() is not None:
            self.goto("printed" if self._print_checklist() else "print_failed")

    def transient_states(self) -> set[str]:
        return {"printed", "print_failed"}

    def _a4(self) -> Any:
        devices = self.core.devices
        return getattr(devices, "a4_printer", None) if devices is not None else None

    def _print_checklist(self) -> bool:
        from kiosk.documents import JOB_CHECKLIST, Imprint, materials_checklist_pdf

        item = self.core.catalogue.service(self.service_id or "")
        if item is None:
            return False
        try:
            pdf = materials_checklist_pdf(item, self.core.translator.language,
                                          Imprint(self.core.hall_name, self.core.kiosk_id))
            result = self.core.devices.print_a4(pdf, JOB_CHECKLIST)
        except Exception:
            log.exception("materials checklist not printed", extra={"ctx": {"service": item.id}})
            return False
        if not result.ok:
            log.warning("materials checklist not printed",
                        extra={"ctx": {"service": item.id, "reason": result.reason}})
        return bool(result.ok)

    def screen(self) -> Screen:
        tr, cat, pick = self.tr, self.core.catalogue, self.core.translator.pick
        if self.state == "start":
            return Screen("menu", tr("guide.title"), {"choices": [
                choice("zones", tr("guide.by_zone")), choice("themes", tr("guide.by_theme")),
                choice("search", tr("guide.search"), tr("guide.search.sub")),
                *filter(None, [elicences.copy_choice(self.core)])]})
        if self.state == "zones":
            return Screen("menu", tr("guide.by_zone"), {"choices": [choice(z.id, pick(z.name, z.name_en))
                                                                     for z in cat.zones]})
        if self.state == "themes":
            return Screen("menu", tr("guide.by_theme"), {"choices": [choice(t.id, pick(t.name, t.name_en))
                                                                      for t in cat.themes]})
        if self.state == "list":
            kind, gid = self.group or ("zone", "")
            items = cat.in_zone(gid) if kind == "zone" else cat.in_theme(gid)
            return Screen("menu", tr("guide.list.title"), {"choices": [
                choice(s.id, self.core.item_name(s), self.core.time_limit(s)) for s in items]})
        if self.state == "search":
            results = cat.search(self.query)
            lines = [tr("guide.search.none")] if self.query and not results else []
            return Screen("search", tr("guide.search"), {
                "query": self.query, "placeholder": tr("guide.search.placeholder"), "lines": lines,
                "choices": [choice(s.id, self.core.item_name(s), s.window_hint) for s in results]})
        if self.state in ("printed", "print_failed"):
            done = self.state == "printed"
            return self.message(tr("guide.print_checklist.done" if done else "guide.print_checklist.failed"), [],
                                kind="ok" if done else "warning",
                                buttons=[choice("back", tr("common.back"))])
        return self._detail()

    def _shown(self, chinese: str, english: str) -> str:
        """Catalogue text in the kiosk's language; Chinese with its note where English is missing."""
        return shown_in(chinese, english, self.core.translator.language, self.tr("catalogue.chinese_only"))

    def _conditions(self, item: ServiceItem) -> list[str]:
        english = list(item.conditions_en) + [""] * len(item.conditions)  # paired by position
        return [self._shown(zh, english[i]) for i, zh in enumerate(item.conditions)]

    def _detail(self) -> Screen:
        tr = self.tr
        item = self.core.catalogue.service(self.service_id or "")
        if item is None:
            return self.message(tr("guide.missing"), [])
        limit = self.core.time_limit(item)
        sections = [
            {"title": tr("guide.conditions"), "items": self._conditions(item) or [tr("guide.none")]},
            {"title": tr("guide.materials"), "items": [
                self._shown(m.name, m.name_en) + (" " + tr("guide.core") if m.core else "")
                + (" " + tr("guide.tolerable") if m.tolerable else "")
                for m in item.materials] or [tr("guide.none")]},
            {"title": tr("guide.time_limit"), "items": [limit + tr("guide.legal", days=item.legal_days)]},
            {"title": tr("guide.fee"), "items": [self._shown(item.fee, item.fee_en) if item.fee else tr("guide.free")]},
            {"title": tr("guide.where"), "items": [self._shown(item.window_hint, item.window_hint_en)]},
            {"title": tr("guide.how"), "items": [
                tr("guide.here_yes") if item.self_service else tr("guide.here_no"),
                tr("guide.online_yes") if item.online else tr("guide.online_no")]},
        ]
        sections[1:1] = guide_sections(self.core, item, self._shown)  # 一件事 members, 通办
        buttons = [choice("ticket", tr("guide.take_ticket"))]
        if item.self_service:
            buttons.insert(0, choice("submit", tr("guide.do_here"), accent="green"))
        if self._a4() is not None:
            buttons.append(choice("print_checklist", tr("guide.print_checklist")))
        return Screen("guide", self._shown(item.name, item.name_en), {"sections": sections, "buttons": buttons,
                                           "qr": self.core.public_url(f"/g/{item.id}"),
                                           "qr_label": tr("guide.qr")})
