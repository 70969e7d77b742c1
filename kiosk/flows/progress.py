"""办件查询: scan the receipt QR, type the receipt number, or swipe the card (applications this
kiosk took for that person) → status, deadline and missing materials from the platform; while
offline the last known answer with its age, or a plain "cannot check now"."""

from __future__ import annotations

import re
from typing import Any

from kiosk.flows.base import Flow, Screen, choice

RECEIPT_NO = re.compile(r"^[A-Z]{1,4}\d{6,20}$")


class ProgressFlow(Flow):
    name = "progress"
    wants_scan = True

    def __init__(self, core: Any) -> None:
        super().__init__(core)
        self.state = "identify"
        self.typed = ""
        self.problem = ""
        self.found: list[dict[str, Any]] = []

    @property
    def wants_card(self) -> bool:  # type: ignore[override]
        return self.state == "identify"

    def transient_states(self) -> set[str]:
        return {"result"}

    def handle(self, action: str, args: dict[str, Any]) -> None:
        if self.state == "identify" and action == "type":
            self.problem = ""
            self.goto("keypad")
        elif self.state == "keypad" and action == "key":
            self.typed = self.core.keypad_edit(self.typed, str(args.get("key", "")), limit=24)
        elif self.state == "keypad" and action == "ok":
            self._look_up([self.typed.strip().upper()])

    def on_scan(self, payload: Any) -> None:
        if self.state != "identify":
            return
        kind, text = self.core.classify(payload)
        receipt = text.rstrip("/").rsplit("/", 1)[-1] if kind in ("receipt", "url") else text
        if kind != "receipt" and not RECEIPT_NO.match(receipt.upper()):
            self.problem = self.tr("progress.not_receipt")
            return
        self._look_up([receipt.upper()])

    def on_card(self, card: Any) -> None:
        if self.state != "identify":
            return
        receipts = self.core.receipts_for(self.core.identity(card).id_number)
        if not receipts:
            self.problem = self.tr("progress.none_for_card")
            return
        self._look_up(receipts)

    def _look_up(self, receipts: list[str]) -> None:
        self.found = [self.core.application_status(no) for no in receipts[:5]]
        self.goto("result")

    def screen(self) -> Screen:
        tr = self.tr
        if self.state == "identify":
            return Screen("card", tr("progress.title"), {
                "lines": [tr("progress.how")], "accepts": ["card", "scan"], "problem": self.problem,
                "buttons": [choice("type", tr("progress.type"))]})
        if self.state == "keypad":
            # The letters receipt numbers start with (the platform issues SG…, offline_cache/platform_store.py).
            return Screen("keypad", tr("progress.type"), {"value": self.typed, "layout": "receipt",
                                                          "letters": ["S", "G", "L", "K"],
                                                          "ok_label": tr("common.search")})
        rows = []
        for status in self.found:
            if status.get("error"):
                rows.append({"label": status["receipt_no"], "value": tr(status["error"])})
                continue
            rows.append({"label": status["receipt_no"], "value": status.get("status_text") or status.get("status")})
            if status.get("deadline"):
                rows.append({"label": tr("progress.deadline"), "value": status["deadline"]})
            if status.get("missing_materials"):
                rows.append({"label": tr("progress.missing"), "value": "、".join(status["missing_materials"])})
            if status.get("age_text"):
                rows.append({"label": tr("progress.as_of"), "value": status["age_text"]})
        return Screen("review", tr("progress.result"), {"rows": rows, "buttons": [
            choice("home", tr("common.finish"))]})
