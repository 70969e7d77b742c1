"""好差评 at the kiosk: find today's finished ticket (by its number or its QR) and send the
citizen's rating to the hall service, whose outbox carries it on to the platform."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from queueing.client import HallServiceError
from queueing.codes import HallCode

if TYPE_CHECKING:
    from kiosk.app import KioskCore

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
    return ticket


def submit_rating(core: KioskCore, ticket: dict[str, Any], level: str, reasons: list[str],
                  comment: str, scores: dict[str, int] | None = None) -> tuple[str, list[str]] | None:
    """None when the hall service stored the rating; otherwise what to tell the citizen.
    ``scores``: the sub-scores the citizen gave (attitude / efficiency / competence, 1..5)."""
    tr = core.translator.tr
    if core.hall is None:
        return tr("rating.failed"), [tr("rating.failed.body")]
    try:
        core.hall.rate(ticket["id"], level, reason=",".join(reasons) or None, comment=comment or None,
                       **(scores or {}))
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
    """The one 追评 of a rated ticket; None when stored, else what to tell the citizen (a second
    one is refused by the hall: ``followup_exists``)."""
    tr = core.translator.tr
    if core.hall is None:
        return tr("rating.failed"), [tr("rating.failed.body")]
    try:
        core.hall.follow_up(ticket["id"], comment)
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
