"""办件查询: scan the receipt QR, type the receipt number, or swipe the card (applications this
kiosk took for that person) → status, deadline and missing materials from the platform; while
offline the last known answer with its age, or a plain "cannot check now".

The receipt QR's token is verified (its HMAC tag, kiosk/receipts.py) and shows its case at once.
A typed number carries no tag: receipt numbers are sequential, so it shows a case only after the
ID card of that case's applicant is read (anyone else learns nothing). Local numbers of this
kiosk (``KIOSK01-…``, typed with the keypad's ``-``) follow the platform's number once synced.
A complaint's number (``TS-…``, kiosk/complaints.py) or its slip's QR shows its state and the
hall's reply: the reply is written for whoever holds the slip (staff are told so).
A case rated at the hall (its ticket finished with the receipt's number as 办件编号) shows its
ratings, and the latest one still without its 追评 takes it here (kiosk/ratings.py).
"""

from __future__ import annotations

import re
from typing import Any

from kiosk import delivery, ratings, receipts
from kiosk.flows.base import Flow, Screen, choice

RECEIPT_NO = re.compile(r"^[A-Z]{1,4}\d{6,20}$")
COMPLAINT_PREFIX = "TS-"  # kiosk/complaints.py


class ProgressFlow(Flow):
    name = "progress"
    wants_scan = True

    def __init__(self, core: Any) -> None:
        super().__init__(core)
        self.state = "identify"
        self.typed = ""
        self.problem = ""
        self.found: list[dict[str, Any]] = []
        self.complaint: dict[str, Any] | None = None  # a complaint's state and the hall's reply
        # 统一窗口出件 (kiosk/delivery.py): the pickup ticket taken for a ready case, or why not
        self.pickup: dict[str, Any] | None = None
        self.pickup_error: tuple[str, list[str]] | None = None
        # the case's ratings and the 追评 typed here (kiosk/ratings.py)
        self.case_ratings: list[dict[str, Any]] = []
        self.followup_text = ""
        self.followup_error: tuple[str, list[str]] | None = None

    @property
    def in_form(self) -> bool:  # type: ignore[override]
        return self.state == "case_followup"

    @property
    def wants_card(self) -> bool:  # type: ignore[override]
        return self.state in ("identify", "confirm")

    def transient_states(self) -> set[str]:
        return {"result", *delivery.PICKUP_STATES, *ratings.FOLLOWUP_STATES}

    def handle(self, action: str, args: dict[str, Any]) -> None:
        if ratings.progress_handle(self, action, args):  # the case's 追评
            return
        if self.state == "identify" and action == "type":
            self.problem = ""
            self.goto("keypad")
        elif self.state == "keypad" and action == "key":
            self.typed = self.core.keypad_edit(self.typed, str(args.get("key", "")), limit=40, extra="-")
        elif self.state == "keypad" and action == "ok":
            self._typed()
        elif self.state == "result" and action == "pickup" and self.pickup is None:
            delivery.take_pickup_ticket(self)  # 领取出件号

    def _typed(self) -> None:
        typed = self.typed.strip().upper()
        if typed.startswith(COMPLAINT_PREFIX):  # a complaint's number (吐槽找茬): no card, its state and reply
            self._complaint(typed)
            return
        number = receipts.from_token(self.core, typed)
        if number is not None:  # the whole token with its tag: as good as the QR
            self._look_up([number])
            return
        self.problem = ""
        self.goto("confirm")

    def on_scan(self, payload: Any) -> None:
        if self.state != "identify":
            return
        kind, text = self.core.classify(payload)
        complaint = self._complaint_in_scan(kind, text)
        if complaint is not None:
            self._complaint(complaint)
            return
        token = receipts.token_in_scan(kind, text)
        number = receipts.from_token(self.core, token) if token else None
        if number is None:
            self.problem = self.tr("progress.not_receipt")
            return
        self._look_up([number])

    def on_card(self, card: Any) -> None:
        id_number = self.core.identity(card).id_number
        if self.state == "confirm":
            typed = self.typed.strip().upper()
            if not receipts.belongs_to(self.core, typed, id_number):
                self.problem = self.tr("progress.not_yours")
                return
            self._look_up([typed])
            return
        if self.state != "identify":
            return
        found = self.core.receipts_for(id_number)
        if not found:
            self.problem = self.tr("progress.none_for_card")
            return
        self._look_up(found)

    def _complaint_in_scan(self, kind: str, text: str) -> str | None:
        """The complaint number of a complaint slip's QR (``…/c/<token>``), if genuine."""
        from queueing.public_tokens import complaint_from_token

        if kind != "url" or "/c/" not in text or not self.core.hall_key:
            return None
        return complaint_from_token(self.core.hall_key, text.rstrip("/").rsplit("/c/", 1)[-1])

    def _complaint(self, number: str) -> None:
        self.complaint = self.core.complaint_status(number)
        self.found = []
        self.goto("result")

    def _look_up(self, numbers: list[str]) -> None:
        self.complaint = None
        self.found = [self.core.application_status(no) for no in numbers[:5]]
        ratings.progress_look_up(self)
        self.goto("result")

    def _letters(self) -> list[str]:
        # The letters receipt numbers start with (the platform issues SG…, offline_cache/platform_store.py),
        # the letters of this kiosk's local numbers, old and new (kiosk/applications.py), and their "-".
        from kiosk.applications import kiosk_code, legacy_kiosk_code

        prefix = kiosk_code(self.core.kiosk_id) + legacy_kiosk_code(self.core.kiosk_id)
        letters = sorted(set("SGT") | {c for c in prefix if c.isascii() and c.isalpha()})  # T: TS- complaints
        return [*letters, "-"]

    def screen(self) -> Screen:
        tr = self.tr
        if self.state in delivery.PICKUP_STATES:
            return delivery.pickup_screen(self)
        if self.state in ratings.FOLLOWUP_STATES:
            return ratings.followup_screen(self)
        if self.state == "identify":
            return Screen("card", tr("progress.title"), {
                "lines": [tr("progress.how")], "accepts": ["card", "scan"], "problem": self.problem,
                "buttons": [choice("type", tr("progress.type"))]})
        if self.state == "keypad":
            return Screen("keypad", tr("progress.type"), {"value": self.typed, "layout": "receipt",
                                                          "letters": self._letters(),
                                                          "ok_label": tr("common.search")})
        if self.state == "confirm":
            return Screen("card", tr("progress.title"), {
                "lines": [self.typed, tr("progress.confirm_card")], "accepts": ["card"],
                "problem": self.problem}, speech=tr("progress.confirm_card"))
        rows = []
        if self.complaint is not None:
            c = self.complaint
            if c.get("error"):
                rows.append({"label": c["number"], "value": tr(c["error"])})
            else:
                rows += [{"label": tr("complaint.number"), "value": c["number"]},
                         {"label": tr("complaint.topic"), "value": tr(f"complaint.topic.{c['topic']}")},
                         {"label": tr("complaint.state"), "value": tr(f"complaint.state.{c['state']}")},
                         {"label": tr("complaint.reply"), "value": c.get("reply") or tr("complaint.no_reply")}]
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
            rows += delivery.progress_rows(tr, status)
        rows += ratings.progress_rows(self)
        return Screen("review", tr("progress.result"), {"rows": rows, "buttons": [
            *delivery.progress_buttons(tr, self.found), *ratings.progress_buttons(self),
            choice("home", tr("common.finish"))]})
