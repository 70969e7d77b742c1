"""好差评 at the kiosk: find today's finished ticket (by its number or its QR) and send the
citizen's rating to the hall service, whose outbox carries it on to the platform.

一事多评: the hall says the stage the ticket is rated at now (受理 while it is served, 办结 once
finished; ``GET /api/v1/tickets/{id}/rating-stage``) and the flow says which one it rates. A case's
ratings (its tickets finished with the receipt's number as 办件编号) are found by that number, so
办件查询 offers their 追评 after the ticket's day."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from kiosk.flows.base import Screen, choice
from queueing.client import HallServiceError
from queueing.codes import HallCode

if TYPE_CHECKING:
    from kiosk.app import KioskCore
    from kiosk.flows.progress import ProgressFlow

log = logging.getLogger(__name__)


def find_ticket(core: KioskCore, *, number: str | None = None, token: str | None = None,
                ticket_id: str | None = None) -> dict[str, Any] | None:
    """Today's ticket by number, tracking token or id; None when unknown or unreachable."""
    if core.hall is None:
        return None
    try:
        if ticket_id:
            answer = core.hall.ticket(ticket_id)
        elif token:
            answer = core.hall.ticket_by_token(token)
        elif number:
            answer = core.hall.ticket_by_number(number)
        else:
            return None
    except Exception as exc:
        if getattr(exc, "status", None) == 0:
            core.hall_online = False
        return None
    core.hall_online = True
    ticket = dict(answer.get("ticket", answer))
    ticket["rated"] = bool(answer.get("rated") or answer.get("rating") or ticket.get("rating"))
    ticket["stage"], ticket["stages"] = ("finish" if ticket.get("status") == "done" else None), ["finish"]
    try:  # the stage rated now (一事多评); a hall without the route rates the finished ticket only
        stage = core.hall.rating_stage(str(ticket["id"]))
    except Exception:
        log.warning("rating stage not known", exc_info=True)
    else:
        ticket["stage"], ticket["stages"] = stage.get("stage"), list(stage.get("stages") or ["finish"])
        ticket["rated"] = bool(stage.get("stage_rated"))
    return ticket


def case_ratings(core: KioskCore, case_no: str) -> list[dict[str, Any]]:
    """The ratings of the case with this 办件编号 (a receipt's number); [] when none or unreachable."""
    if core.hall is None:
        return []
    try:
        return list(core.hall.case_ratings(case_no))
    except Exception as exc:
        log.warning("case ratings not read", extra={"ctx": {"status": getattr(exc, "status", None)}})
        return []


def submit_rating(core: KioskCore, ticket: dict[str, Any], level: str, reasons: list[str],
                  comment: str, scores: dict[str, int] | None = None) -> tuple[str, list[str]] | None:
    """None when the hall service stored the rating; otherwise what to tell the citizen.
    ``scores``: the sub-scores the citizen gave (attitude / efficiency / competence, 1..5)."""
    tr = core.translator.tr
    if core.hall is None:
        return tr("rating.failed"), [tr("rating.failed.body")]
    try:
        core.hall.rate(ticket["id"], level, reason=",".join(reasons) or None, comment=comment or None,
                       stage=ticket.get("stage") if len(ticket.get("stages") or ()) > 1 else None, **(scores or {}))
    except HallServiceError as exc:
        log.warning("rating not stored", extra={"ctx": {"code": exc.code, "status": exc.status}})
        if exc.status == 0:
            core.hall_online = False
        if exc.rule is HallCode.ALREADY_RATED:  # rated meanwhile, e.g. from the ticket's QR on a phone
            return tr("rating.already"), []
        if exc.rule is HallCode.TICKET_NOT_FINISHED:
            return tr("rating.not_finished"), []
        return tr("rating.failed"), [tr("rating.failed.body")]
    except Exception:
        log.exception("rating not stored")
        return tr("rating.failed"), [tr("rating.failed.body")]
    return None


def submit_followup(core: KioskCore, ticket: dict[str, Any], comment: str) -> tuple[str, list[str]] | None:
    """The one 追评 of a rated ticket (of its ``stage``, default the last); None when stored, else
    what to tell the citizen (a second one is refused by the hall: ``followup_exists``)."""
    tr = core.translator.tr
    if core.hall is None:
        return tr("rating.failed"), [tr("rating.failed.body")]
    try:
        core.hall.follow_up(ticket["id"], comment, stage=ticket.get("stage") or None)
    except HallServiceError as exc:
        log.warning("follow-up not stored", extra={"ctx": {"code": exc.code, "status": exc.status}})
        if exc.status == 0:
            core.hall_online = False
        if exc.rule is HallCode.FOLLOWUP_EXISTS:
            return tr("rating.followup.exists"), [tr("rating.followup.once")]
        return tr("rating.failed"), [tr("rating.failed.body")]
    except Exception:
        log.exception("follow-up not stored")
        return tr("rating.failed"), [tr("rating.failed.body")]
    return None


# ---------------------------------------------------------------- 办件查询: the case's ratings and their 追评

FOLLOWUP_STATES = frozenset({"case_followup", "case_followed", "case_followup_error"})


def progress_look_up(flow: ProgressFlow) -> None:
    """After 办件查询 found its cases: the ratings of each (by the receipt's number as 办件编号)."""
    flow.case_ratings = []
    for status in flow.found:
        number = status.get("receipt_no")
        if number and not status.get("error"):
            flow.case_ratings += case_ratings(flow.core, str(number))


def progress_rows(flow: ProgressFlow) -> list[dict[str, str]]:
    tr = flow.tr
    return [{"label": f"{tr('progress.rating')} · {tr('rating.stage.' + r['stage'])}",
             "value": tr(f"rating.level.{r['level_name']}") + (f" · {tr('progress.followed')}"
                                                                if r.get("followed_up") else "")}
            for r in flow.case_ratings]


def _open_rating(flow: ProgressFlow) -> dict[str, Any] | None:
    """The latest rating of the case still without its 追评."""
    return next((r for r in reversed(flow.case_ratings) if not r.get("followed_up")), None)


def progress_buttons(flow: ProgressFlow) -> list[dict[str, Any]]:
    return [choice("case_followup", flow.tr("progress.followup"))] if _open_rating(flow) else []


def progress_handle(flow: ProgressFlow, action: str, args: dict[str, Any]) -> bool:
    """The 追评 of 办件查询: True when the action was one of its own."""
    if flow.state == "result" and action == "case_followup" and _open_rating(flow):
        flow.followup_text, flow.followup_error = "", None
        flow.goto("case_followup")
    elif flow.state == "case_followup" and action == "text":
        flow.followup_text = str(args.get("text", ""))[:500]
    elif flow.state == "case_followup" and action == "send" and flow.followup_text.strip():
        r = _open_rating(flow) or {}
        flow.followup_error = submit_followup(flow.core, {"id": r.get("ticket_id"), "stage": r.get("stage")},
                                              flow.followup_text.strip())
        flow.goto("case_followup_error" if flow.followup_error else "case_followed")
    else:
        return False
    return True


def followup_screen(flow: ProgressFlow) -> Screen:
    tr = flow.tr
    if flow.state == "case_followed":
        return flow.message(tr("rating.followup.thanks"), [tr("rating.followup.once")], kind="ok")
    if flow.state == "case_followup_error":
        title, lines = flow.followup_error or (tr("rating.failed"), [])
        return flow.message(title, lines, kind="warning")
    r = _open_rating(flow) or {}
    return Screen("text", f"{tr('rating.followup.title', number=r.get('number', ''))} · "
                          f"{tr('rating.stage.' + str(r.get('stage') or 'finish'))}", {
        "value": flow.followup_text, "placeholder": tr("rating.followup.placeholder"),
        "can_send": bool(flow.followup_text.strip()), "send_label": tr("common.send")})
