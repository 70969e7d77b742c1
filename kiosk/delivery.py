"""统一窗口出件 at the kiosk: how a case's result reaches the citizen, and the pickup ticket.

At the end of a self-service submission of an item whose result is handed out (the catalogue's
``delivery``: ``pickup`` and/or ``post``) the citizen chooses 自取 (collect it at the hall's 出件
window) or 邮寄 (post, to an address typed on the on-screen keyboard). The choice goes into the
application record as ``delivery`` (docs/platform-contract.md, "Delivery"); the address is
personal data: the offline cache seals it (its key ``address`` is one of the personal fields), it
is masked on the screen and the receipt and never logged, and it lives in the flow only, which
ends with the visit.

When the platform says a case is ``ready_for_pickup``, 办件查询 (the receipt QR held under the
scanner) offers 领取出件号: a ticket of the hall's 出件 service (hall.toml ``[hall]
pickup_service``) issued by the hall service with the case's number on it, printed like every
ticket. A case not ready yet says so and offers no ticket.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from common.i18n import translate
from kiosk.catalogue import Delivery, FormField
from kiosk.flows.base import Screen, choice
from kiosk.forms import FormState

if TYPE_CHECKING:
    from kiosk.flows.progress import ProgressFlow
    from kiosk.flows.submit import SubmitFlow

log = logging.getLogger(__name__)


#: the platform's status of a case whose result waits at the 出件 window
READY = "ready_for_pickup"
#: the submit flow's states this module draws and handles
SUBMIT_STATES = frozenset({"delivery", "address"})
#: the progress flow's states this module draws and handles
PICKUP_STATES = frozenset({"pickup", "pickup_error"})
ADDRESS_MIN = 6      # fewer characters cannot be a postal address
ADDRESS_MAX = 120


def mask_address(address: str) -> str:
    """What a screen or paper shows of an address: its first few characters (the province or city,
    digits starred) and ``****``: ``广东省韶关市浈江区…`` → ``广东省韶关市****``."""
    text = " ".join(address.split())
    keep = min(6, max(1, len(text) // 3))
    return "".join("*" if ch.isdigit() else ch for ch in text[:keep]) + "****"


class DeliveryStep:
    """The 自取 / 邮寄 choice of one submission (held by its :class:`SubmitFlow`)."""

    def __init__(self, flow: SubmitFlow) -> None:
        self.flow = flow
        self.method: Delivery | None = None
        label = "delivery.address.label"
        self.form = FormState((FormField(key="address", label=translate("zh_CN", label),
                                         label_en=translate("en", label), type="text", required=True,
                                         personal=True, max_length=ADDRESS_MAX),))

    @property
    def offered(self) -> tuple[Delivery, ...]:
        item = self.flow.item
        return tuple(Delivery(d) for d in getattr(item, "delivery", ())) if item is not None else ()

    def wanted(self) -> bool:
        """Whether 确认提交 asks first how the result should come (an item with a result, no choice yet)."""
        return bool(self.offered) and self.method is None

    @property
    def address(self) -> str:
        return " ".join(self.form.values.get("address", "").split())

    def _address_ok(self) -> bool:
        return self.form.valid() and len(self.address) >= ADDRESS_MIN

    def handle(self, action: str, args: dict[str, Any]) -> bool:
        """A tap on the choice or the address screen; True when the application is to be submitted now."""
        flow = self.flow
        if flow.state == "delivery" and action == "choose":
            wanted = str(args.get("id", ""))
            if wanted == Delivery.PICKUP and Delivery.PICKUP in self.offered:
                self.method = Delivery.PICKUP
                return True
            if wanted == Delivery.POST and Delivery.POST in self.offered:
                flow.goto("address")
        elif flow.state == "address" and action == "set":
            self.form.set("address", str(args.get("value", ""))[:ADDRESS_MAX])
        elif flow.state == "address" and action == "next" and self._address_ok():
            self.method = Delivery.POST
            return True
        return False

    def payload(self) -> dict[str, Any]:
        """The record's ``delivery`` (the address under a personal key: the cache seals it)."""
        if self.method is None:
            return {}
        body: dict[str, Any] = {"method": str(self.method)}
        if self.method is Delivery.POST:
            body["address"] = self.address
        return {"delivery": body}

    def shown(self, tr: Any) -> str:
        """The choice as the receipt screen and paper say it (the address masked), or ""."""
        if self.method is Delivery.PICKUP:
            return str(tr("delivery.done.pickup"))
        if self.method is Delivery.POST:
            return str(tr("delivery.done.post", address=mask_address(self.address)))
        return ""

    def paper(self, language: str) -> tuple[str, ...]:
        """The receipt's line about the choice, in the paper's language."""
        line = self.shown(lambda key, **kw: translate(language, key, **kw))
        return (line,) if line else ()

    def screen(self) -> Screen:
        tr, flow = self.flow.tr, self.flow
        if flow.state == "delivery":
            choices = []
            if Delivery.PICKUP in self.offered:
                choices.append(choice(str(Delivery.PICKUP), tr("delivery.pickup"), tr("delivery.pickup.sub")))
            if Delivery.POST in self.offered:
                choices.append(choice(str(Delivery.POST), tr("delivery.post"), tr("delivery.post.sub")))
            return Screen("menu", tr("delivery.title"), {"choices": choices, "lines": [tr("delivery.why")]},
                          speech=tr("delivery.title"))
        fields = self.form.view(tr, flow.core.translator.pick, flow.core.translator.pick)
        typed = self.address
        if "address" in self.form.touched and typed and len(typed) < ADDRESS_MIN and not fields[0]["error"]:
            fields[0]["error"] = tr("delivery.address.short")
        return Screen("form", tr("delivery.address.title"), {
            "who": tr("delivery.address.why"), "fields": fields, "can_next": self._address_ok(),
            "next_label": tr("submit.submit")})


def delivery_record(flow: Any) -> dict[str, Any]:
    """The application record's ``delivery`` of a flow with a :class:`DeliveryStep` ({} without one)."""
    step = getattr(flow, "delivery", None)
    return step.payload() if isinstance(step, DeliveryStep) else {}


def delivery_paper(flow: Any, language: str) -> tuple[str, ...]:
    """The receipt's delivery line of a flow with a :class:`DeliveryStep` (none without one)."""
    step = getattr(flow, "delivery", None)
    return step.paper(language) if isinstance(step, DeliveryStep) else ()


# -- 办件查询: a case ready for pickup ----------------------------------------------------------

def progress_rows(tr: Any, status: dict[str, Any]) -> list[dict[str, str]]:
    """What 办件查询 adds for a case with a delivery choice: ready to collect, not yet, or by post."""
    if status.get("error"):
        return []
    if status.get("status") == READY:
        return [{"label": tr("pickup.label"), "value": tr("pickup.ready")}]
    if status.get("delivery") == Delivery.PICKUP:
        return [{"label": tr("pickup.label"), "value": tr("pickup.not_ready")}]
    if status.get("delivery") == Delivery.POST:
        return [{"label": tr("pickup.label"), "value": tr("pickup.by_post")}]
    return []


def ready_case(found: list[dict[str, Any]]) -> str | None:
    """The first of the cases looked up whose result waits at the 出件 window."""
    return next((str(s["receipt_no"]) for s in found if s.get("status") == READY and not s.get("error")), None)


def progress_buttons(tr: Any, found: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [choice("pickup", tr("pickup.take"), accent="green")] if ready_case(found) else []


def pickup_service(core: Any) -> str | None:
    """The hall's 出件 service (``pickup_service`` of its services answer), when it has one."""
    try:
        answer = core.hall.services()
    except Exception as exc:  # the hall client raises its own errors: no ticket now
        log.warning("hall service overview failed", extra={"ctx": {"error": type(exc).__name__}})
        return None
    named = answer.get("pickup_service")
    return str(named) if named and any(s.get("id") == named for s in answer.get("services", [])) else None


def take_pickup_ticket(flow: ProgressFlow) -> None:
    """领取出件号 on the 办件查询 result: a ticket of the 出件 window for the ready case, printed."""
    from kiosk.tickets import issue_and_print

    core, tr = flow.core, flow.tr
    receipt_no = ready_case(flow.found)
    if receipt_no is None:
        return
    service = pickup_service(core) if core.hall is not None else None
    if service is None:
        flow.pickup = None
        flow.pickup_error = (tr("pickup.none.title"), [tr("pickup.none.body")])
        flow.goto("pickup_error")
        return
    outcome = issue_and_print(core, service, case_no=receipt_no)
    if outcome.error is not None:
        flow.pickup, flow.pickup_error = None, outcome.error
        flow.goto("pickup_error")
        return
    flow.pickup = outcome.ticket
    flow.goto("pickup")


def pickup_screen(flow: ProgressFlow) -> Screen:
    tr, core = flow.tr, flow.core
    if flow.state == "pickup_error" or not flow.pickup:
        title, lines = flow.pickup_error or (tr("pickup.none.title"), [])
        return flow.message(title, lines, kind="warning",
                            buttons=[choice("home", tr("common.finish"))])
    t = flow.pickup
    item = core.catalogue.service(t.get("service_id", ""))
    where = (core.translator.pick(item.window_hint, item.window_hint_en) if item else "") or tr("pickup.window")
    lines = [tr("pickup.ticket.case", no=t.get("case_no") or ""),
             tr("ticket.done.ahead", waiting=t.get("waiting_ahead", 0), minutes=t.get("eta_minutes", 0)),
             tr("ticket.done.where", where=where)]
    lines += [tr("ticket.done.printed")] if t.get("printed") else [tr("ticket.done.not_printed"),
                                                                   tr("ticket.done.staff_told")]
    return Screen("ticket", tr("pickup.ticket.title"), {
        "number": t.get("number", ""), "service": core.item_name(item) if item else tr("pickup.window"),
        "priority": t.get("priority", "normal"), "lines": lines, "qr": t.get("qr_url", ""),
        "printed": bool(t.get("printed")), "buttons": [choice("home", tr("common.finish"))]},
        speech=tr("speech.ticket", number=t.get("number", ""), minutes=t.get("eta_minutes", 0)))
