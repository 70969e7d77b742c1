"""自助申报: identify by card → a form from the catalogue's field list, validated as you type →
materials photographed with the document camera (live preview to frame the page, a still photo
taken once the page stops moving, cropped to the page, use or retake; with no working camera the
step says so and the material can be owed or brought to a window) → the 告知承诺 commitment → review
→ for an item whose result is handed out, 自取 or 邮寄 (kiosk/delivery.py) → submitted into the
offline cache → receipt printed and shown (the platform's receipt number, or a local number and
"will be sent when the connection returns")."""

from __future__ import annotations

import logging
from typing import Any

from kiosk import a4_submission, elicences, sms_optin
from kiosk.bundles import receipt_lines
from kiosk.catalogue import shown_in
from kiosk.delivery import SUBMIT_STATES as DELIVERY_STATES
from kiosk.delivery import DeliveryStep
from kiosk.flows.base import Flow, Screen, choice
from kiosk.forms import FormState, option_label
from kiosk.session import photo_url

log = logging.getLogger(__name__)


class SubmitFlow(Flow):
    name = "submit"
    in_form = True

    def __init__(self, core: Any, *, service_id: str | None = None) -> None:
        super().__init__(core)
        self.state = "pick"
        # A ServiceItem and its FormState once picked: every state after "pick" has both.
        self.item: Any = None
        self.form: Any = None
        self.materials: dict[int, str] = {}  # index → "photo" | "owed" | "card"
        self.camera_index: int | None = None
        self.preview: str | None = None  # token of the held photo waiting for "use" / "retake"
        self.outcome: Any = None
        self.camera_problem = ""
        self.delivery = DeliveryStep(self)  # 自取 / 邮寄 at the end (kiosk/delivery.py)
        self.elicence = elicences.ElicenceStep(self)  # materials from e-licences (kiosk/elicences.py)
        self.a4 = a4_submission.A4Copy.NONE  # the form and receipt on A4 (kiosk/a4_submission.py)
        self.sms = sms_optin.pickup_opt_in(self)  # 自取: "text me when it is ready" (kiosk/sms_optin.py)
        if service_id:
            self._pick(service_id)

    @property
    def wants_card(self) -> bool:  # type: ignore[override]
        return self.state == "card"

    @property
    def holds_citizen(self) -> str:
        # the receipt (number, QR, paper) is this citizen's: leaving now would print it for nobody
        return str(self.tr("notice.submitting")) if self.state == "submitting" else ""

    def transient_states(self) -> set[str]:
        return {"done", "error", "camera", "submitting"} | (elicences.STATES - {"elicence_pick"})

    def back(self) -> bool:
        return self.sms.back() or super().back()

    def _pick(self, service_id: str) -> None:
        item = self.core.catalogue.service(service_id)
        if item is None or not item.self_service:
            return
        self.item = item
        self.form = FormState(item.form)
        self.goto("card")

    def on_card(self, card: Any) -> None:
        if self.state != "card" or self.item is None:
            return
        identity = self.core.identity(card)
        if identity.expired:
            self.camera_problem = self.tr("submit.card_expired")
            return
        self.core.session.card = card
        for index, material in enumerate(self.item.materials):
            if material.id == "id_card":  # the card just read is this material
                self.materials[index] = "card"
        self.goto("form")

    def handle(self, action: str, args: dict[str, Any]) -> None:
        state = self.state
        if state in ("done", sms_optin.STATE) and self.sms.handle(action, args):
            return
        if state in DELIVERY_STATES:  # 自取 / 邮寄 chosen: submitted as on 确认提交
            if self.delivery.handle(action, args):
                self._submit()
            return
        if state == "pick" and action == "choose":
            self._pick(args["id"])
        elif state == "form" and action == "set" and self.form:
            self.form.set(str(args["key"]), str(args.get("value", ""))[:200])
        elif state == "form" and action == "next" and self.form and self.form.valid():
            self.goto("materials")
            self.elicence.prepare()
        elif state in elicences.STATES:
            self.elicence.handle(action, args)
        elif state == "materials":
            self._materials_action(action, args)
        elif state == "camera":
            self._camera_action(action)
        elif state == "commitment" and action == "accept":
            self.goto("review")
        elif state == "review" and action == "submit" and self.outcome is None:
            if self.delivery.wanted():
                self.goto("delivery")   # first: how the result reaches the citizen
                return
            self._submit()
        elif state == "done" and action == "print_a4" and self.a4 is not a4_submission.A4Copy.PRINTED:
            self.a4 = a4_submission.print_submission(self.core, self)
        elif state == "error" and action == "retry":
            self.outcome = None
            self.goto("review")

    def _submit(self) -> None:
        if self.outcome is not None:
            return
        # stored in the cache on the worker (fast); the receipt number and printing follow
        # off the worker while the screen says 正在提交
        self.outcome = self.core.submit_application(self)
        if not self.outcome.ok:
            self.goto("error")   # 未保存: everything entered is kept for 再试一次
            return
        self.goto("submitting")
        self.core.finish_application(self, self.outcome, self._submitted)

    def _submitted(self, outcome: Any) -> None:
        if self.state == "submitting" and self.outcome is outcome:
            if self.core.notice == self.holds_citizen:
                self.core.notice = None  # the receipt is here: the wait is over
            sms_optin.offer_pickup(self)
            self.goto("done")

    def _materials_action(self, action: str, args: dict[str, Any]) -> None:
        index = int(args.get("index", -1))
        if action == "capture" and 0 <= index < len(self.item.materials) and self._camera_ready():
            self.camera_index, self.preview, self.camera_problem = index, None, ""
            self.goto("camera")   # live preview first: the citizen frames the page, then shoots
        elif action == "elicence" and 0 <= index < len(self.item.materials):
            self.elicence.start(index)
        elif action == "owe" and self.item.materials[index].tolerable:
            self.materials[index] = "owed"
        elif action == "next" and self.materials_complete():
            self.goto("commitment" if self.item.commitment else "review")

    def _camera_action(self, action: str) -> None:
        if action == "shoot" and self.preview is None:
            self._take_photo()
        elif action == "retake":
            if self.preview:
                self.core.session.drop_photo(self.preview)
            self.preview, self.camera_problem = None, ""   # back to the live preview
        elif action == "use" and self.preview and self.camera_index is not None:
            key = f"material-{self.camera_index}"
            if key in self.core.session.photos:  # a new photo of the same material
                self.core.session.drop_photo(self.core.session.photos[key])
            self.core.session.photos[key] = self.preview
            self.materials[self.camera_index] = "photo"
            self.preview = None
            self.back()

    def _take_photo(self) -> None:
        from devices.camera import CaptureError

        try:
            self.preview = str(self.core.take_document_photo(f"material-{self.camera_index}"))
            self.camera_problem = ""
        except CaptureError as exc:  # a problem the citizen can act on: say which
            self.preview = None
            self.camera_problem = self.tr(f"submit.camera.{exc.problem.value}")
        except Exception:
            log.exception("document photo failed")
            self.preview = None
            self.camera_problem = self.tr("submit.camera_failed")

    def _camera_state(self) -> str:
        """``none`` (no camera configured), or the camera's DeviceState value."""
        camera = getattr(self.core.devices, "camera", None) if self.core.devices is not None else None
        return "none" if camera is None else str(camera.state.value)

    def _camera_ready(self) -> bool:
        return self._camera_state() in ("ready", "busy")

    def _camera_note(self) -> str:
        """Why photos cannot be taken now, or "" when the camera works."""
        state = self._camera_state()
        if state == "none":
            return str(self.tr("submit.camera.none"))
        if state == "disconnected":
            return str(self.tr("submit.camera.disconnected"))
        if state == "error":
            return str(self.tr("submit.camera.no_frame"))
        return ""

    def materials_complete(self) -> bool:
        return all(i in self.materials or (not m.core and not m.tolerable)
                   for i, m in enumerate(self.item.materials)) if self.item else False

    def owed(self) -> list[str]:
        """The owed materials' catalogue names (Chinese: what the platform's record carries)."""
        return [m.name for i, m in enumerate(self.item.materials) if self.materials.get(i) == "owed"]

    def _shown(self, chinese: str, english: str) -> str:
        """Catalogue text in the kiosk's language; Chinese with its note where English is missing."""
        return shown_in(chinese, english, self.core.translator.language, self.tr("catalogue.chinese_only"))

    def _owed_shown(self) -> str:
        """The owed materials as the citizen reads them, in the kiosk's language."""
        sep = ", " if self.core.translator.language == "en" else "、"
        return sep.join(self._shown(m.name, m.name_en) for i, m in enumerate(self.item.materials)
                        if self.materials.get(i) == "owed")

    # -- screens ---------------------------------------------------------------------------------
    def screen(self) -> Screen:
        tr, pick = self.tr, self.core.translator.pick
        item = self.item
        if self.state in elicences.STATES:
            return self.elicence.screen()
        if self.state == "pick":
            items = self.core.catalogue.self_service_items()
            return Screen("menu", tr("submit.pick"), {"choices": [
                choice(s.id, self.core.item_name(s), self.core.time_limit(s)) for s in items]})
        if self.state == "card":
            return Screen("card", tr("submit.card"), {"lines": [tr("submit.card.why")], "accepts": ["card"],
                                                      "problem": self.camera_problem},
                          speech=tr("speech.insert_card"))
        if self.state == "form":
            identity = self.core.identity(self.core.session.card)
            return Screen("form", self.core.item_name(item), {
                "who": tr("submit.who", name=identity.masked_name, id=identity.masked_id),
                "fields": self.form.view(tr, pick, self._shown), "can_next": self.form.valid(),
                "next_label": tr("common.next")})
        if self.state == "materials":
            rows = []
            for i, m in enumerate(item.materials):
                status = self.materials.get(i, "")
                rows.append({"index": i, "name": self._shown(m.name, m.name_en), "core": m.core,
                             "tolerable": m.tolerable, "elicence": self.elicence.offers(i),
                             "status": tr(f"submit.material.{status or 'missing'}"), "done": bool(status),
                             "photo": photo_url(self.core.session.photos.get(f"material-{i}", ""))})
            return Screen("materials", tr("submit.materials"), {
                "rows": rows, "can_next": self.materials_complete(), "next_label": tr("common.next"),
                "can_capture": self._camera_ready(), "camera_note": self._camera_note(),
                "labels": {"capture": tr("submit.capture"), "owe": tr("submit.owe"),
                           "elicence": tr("elicence.button")}})
        if self.state == "camera":
            material = item.materials[self.camera_index] if self.camera_index is not None else None
            name = self._shown(material.name, material.name_en) if material is not None else ""
            live = self.preview is None and self._camera_ready()
            if self.preview is None:
                buttons = [choice("shoot", tr("submit.capture"), accent="green", enabled=live)]
            else:
                buttons = [choice("use", tr("submit.use"), accent="green"), choice("retake", tr("submit.retake"))]
            return Screen("camera", tr("submit.camera", name=name), {
                "preview": photo_url(self.preview or ""), "live": live,
                "hint": tr("submit.camera.hint") if live else "",
                "problem": self.camera_problem or ("" if live else self._camera_note()), "buttons": buttons})
        if self.state in DELIVERY_STATES:
            return self.delivery.screen()
        if self.state == sms_optin.STATE:
            return self.sms.screen()
        if self.state == "commitment":
            return Screen("message", tr("submit.commitment"), {
                "kind": "info",
                "lines": [self._shown(item.commitment, item.commitment_en), tr("submit.commitment.note")],
                "buttons": [choice("accept", tr("submit.accept"), accent="green"), choice("back", tr("common.back"))]})
        if self.state == "review":
            return Screen("review", tr("submit.review"), {"rows": self.review_rows(), "buttons": [
                choice("submit", tr("submit.submit"), accent="green"), choice("back", tr("common.back"))]})
        if self.state == "submitting":
            return Screen("message", tr("submit.submitting"), {
                "kind": "info", "lines": [tr("submit.submitting.body")], "buttons": []})
        if self.state == "error":
            return self.message(tr("submit.failed"), self.outcome.lines if self.outcome else [], kind="warning",
                                buttons=[choice("retry", tr("common.retry")), choice("home", tr("common.home"))])
        return self._receipt()

    def review_rows(self) -> list[dict[str, str]]:
        tr, pick = self.tr, self.core.translator.pick
        identity = self.core.identity(self.core.session.card)
        rows = [{"label": tr("submit.item"), "value": self.core.item_name(self.item)},
                {"label": tr("submit.applicant"), "value": f"{identity.masked_name}  {identity.masked_id}"}]
        for spec in self.item.form:
            value = self.form.values.get(spec.key, "")
            if spec.personal and value:
                value = value[:3] + "****" + value[-2:] if len(value) > 6 else "****"
            elif spec.type == "select" and value:
                value = option_label(spec, value, self._shown)
            rows.append({"label": pick(spec.label, spec.label_en), "value": value or "—"})
        photos = sum(1 for s in self.materials.values() if s == "photo")
        rows.append({"label": tr("submit.materials"), "value": tr("submit.photos", n=photos)})
        rows += self.elicence.review_rows()
        if self.owed():
            rows.append({"label": tr("submit.owed"), "value": self._owed_shown()})
        return rows

    def _receipt(self) -> Screen:
        tr = self.tr
        o = self.outcome
        lines = [tr("submit.done.item", item=self.core.item_name(self.item)),
                 *receipt_lines(self.core, self.item, self._shown)]  # 一件事: the items it covered
        if o.receipt_no:
            lines.append(tr("submit.done.receipt", no=o.receipt_no))
        else:
            lines += [tr("submit.done.local", no=o.local_no), tr("submit.done.later")]
        if self.owed():
            lines.append(tr("submit.done.owed", items=self._owed_shown()))
        if self.delivery.shown(tr):
            lines.append(self.delivery.shown(tr))
        lines.append(tr("submit.done.printed") if o.printed else tr("submit.done.not_printed"))
        lines += self.sms.lines()
        buttons = [*self.sms.button(), choice("home", tr("common.finish"))]
        if self.a4 is not a4_submission.A4Copy.NONE:
            lines.append(tr(f"submit.done.a4.{self.a4}"))
        if self.a4 is not a4_submission.A4Copy.PRINTED and a4_submission.offered(self.core):
            buttons.insert(0, choice("print_a4", tr("submit.done.a4.print")))
        return Screen("ticket", tr("submit.done.title"), {
            "number": o.receipt_no or o.local_no, "service": self.core.item_name(self.item), "lines": lines,
            "qr": o.qr_url, "printed": o.printed, "buttons": buttons},
            speech=tr("speech.submitted"))
