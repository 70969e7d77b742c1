"""Issuing a ticket at the kiosk: ask the hall service, print it, and when the printer can't,
keep the citizen served (ticket shown large with its QR) and tell the staff.

Rule breaks from the hall service are turned into plain words here; the codes are the hall
service's contract (``error.code``, the ``queueing.codes.HallCode`` enum).
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import TYPE_CHECKING, Any

from queueing.client import HallServiceError, HallUnavailable
from queueing.codes import HallCode, Priority

if TYPE_CHECKING:
    from kiosk.app import IssueOutcome, KioskCore

log = logging.getLogger(__name__)

# The codes a citizen can cause at the kiosk and act on: each has its own plain words,
# ``hall.<code>.title`` / ``hall.<code>.body`` in every string table.
EXPLAINED = frozenset({
    HallCode.ACTIVE_TICKET_EXISTS, HallCode.PERSON_DAILY_CAP, HallCode.SERVICE_CAP_REACHED, HallCode.SERVICE_CLOSED,
    HallCode.UNKNOWN_SERVICE, HallCode.APPOINTMENT_NOT_FOUND, HallCode.APPOINTMENT_TOO_EARLY,
    HallCode.APPOINTMENT_TOO_LATE, HallCode.APPOINTMENT_USED, HallCode.ANONYMOUS_CAP_REACHED,
})
GENERIC = ("ticket.error.title", "ticket.error.generic")  # "ask at the front desk": staff can help

# Every code the hall service can answer with → (title key, body key). Exhaustive over the enum,
# so a new code has words the day it is added (tests/queueing/test_queue_vocabulary.py).
CITIZEN_MESSAGES: dict[HallCode, tuple[str, str]] = {
    code: (f"hall.{code}.title", f"hall.{code}.body") if code in EXPLAINED else GENERIC for code in HallCode
}


def explain_hall_error(core: KioskCore, exc: Exception) -> tuple[str, list[str]]:
    """Title and lines a citizen understands, for any failure of the hall service."""
    tr = core.translator.tr
    if not isinstance(exc, HallServiceError) or isinstance(exc, HallUnavailable):
        core.hall_online = False
        return tr("ticket.error.offline.title"), [tr("ticket.error.offline.body")]
    if exc.rule is None or exc.rule not in EXPLAINED:
        log.warning("hall service refused a ticket", extra={"ctx": {"code": exc.code, "status": exc.status}})
    title, body = CITIZEN_MESSAGES[exc.rule] if exc.rule is not None else GENERIC
    return tr(title), [tr(body)]


def issue_and_print(core: KioskCore, service_id: str | None, *, priority: Priority | str = Priority.NORMAL,
                    id_number: str | None = None, appointment_code: str | None = None,
                    case_no: str | None = None) -> IssueOutcome:
    from kiosk.app import IssueOutcome

    if core.hall is None:
        tr = core.translator.tr
        return IssueOutcome(error=(tr("ticket.error.offline.title"), [tr("ticket.error.offline.body")]))
    try:
        answer = core.hall.issue_ticket(service_id, priority=priority, id_number=id_number,
                                        appointment_code=appointment_code, channel="kiosk", case_no=case_no)
    except Exception as exc:
        return IssueOutcome(error=explain_hall_error(core, exc))
    core.hall_online = True
    ticket: dict[str, Any] = dict(answer["ticket"])
    ticket["waiting_ahead"] = answer.get("waiting_ahead", 0)
    ticket["eta_minutes"] = answer.get("eta_minutes", 0)
    ticket["qr_url"] = core.public_url(answer.get("public_path") or f"/t/{answer.get('public_token', ticket['id'])}")
    ticket["printed"], ticket["print_problem"] = print_ticket(core, ticket)
    if not ticket["printed"]:
        core.alert_staff("printer", core.translator.tr("alert.ticket_not_printed", kiosk=core.kiosk_id,
                                                       number=ticket["number"]))
    log.info("ticket issued", extra={"ctx": {"number": ticket["number"], "service": service_id,
                                             "priority": ticket.get("priority"), "printed": ticket["printed"]}})
    return IssueOutcome(ticket=ticket)


def print_ticket(core: KioskCore, ticket: dict[str, Any]) -> tuple[bool, str | None]:
    """Print the queue ticket; (printed, reason) — never raises."""
    if core.devices is None or getattr(core.devices, "printer", None) is None:
        core.printer_problem = "no printer"
        return False, "no printer"
    item = core.catalogue.service(ticket.get("service_id", ""))
    try:
        from devices.printer import TicketSlip
        from kiosk.bundles import ticket_notices

        channel = {"green": core.translator.tr("ticket.slip.green"),
                   "appointment": core.translator.tr("ticket.slip.appointment")}.get(str(ticket.get("priority")))
        slip = TicketSlip(
            hall_name=core.hall_name, number=ticket["number"], service_name=core.item_name(item),
            window=item.window_hint if item else "", people_ahead=int(ticket.get("waiting_ahead", 0)),
            estimated_minutes=int(ticket.get("eta_minutes", 0)), issued_at=_when(ticket.get("issued_at")),
            qr_url=ticket["qr_url"], channel=channel, language=core.translator.language,
            notices=ticket_notices(item, core.translator.language),  # 通办 (kiosk/bundles.py)
        )
        result = core.devices.print_job("print_ticket", slip)
    except Exception as exc:
        log.exception("ticket printing failed")
        core.printer_problem = type(exc).__name__
        return False, type(exc).__name__
    core.printer_problem = None if result.ok else (result.reason or "printer error")
    return bool(result.ok), result.reason


def _when(iso: Any) -> datetime:
    try:
        return datetime.fromisoformat(str(iso))
    except ValueError:
        return datetime.now()
