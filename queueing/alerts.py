"""Alerts that reach a person: who sees an alert, who acknowledged it (工号, counter, time), who
resolved it, and the escalation of a help call nobody acknowledged in time.

- A **help call** (kind ``help``: the kiosk's 呼叫工作人员) goes first to the hall's help counter:
  of ``[policy] help_counters`` in hall.toml (or else the counters named 帮办代办), the first one
  someone is signed in at. Its console shows it; when it is not acknowledged within
  ``help_escalate_minutes`` (default 2) it **escalates**: every counter console and the dashboard
  show it, and an ``alert_escalated`` event says so. With nobody signed in at any help counter it
  escalates at once.
- Every other alert (printer, device, sync, storage, clock …) is the dashboard's; a feature may
  send one to a counter by raising it with a ``counter_id`` (then it escalates the same way).
- **Acknowledge** ("I am on it") and **resolve** ("done") are two steps, each with the signed-in
  staff's 工号, the counter (when signed in at one) and the time; resolving an alert nobody
  acknowledged records the acknowledgement with it. Both are in the event log.
- The citizen's kiosk follows its own help call with the ``follow_token`` the raise answered
  (``GET /api/v1/alerts/{id}?follow=…``) and reads only :func:`citizen_view` of it.

Every operation runs inside one of the engine's transactions (``QueueEngine.run``)."""

from __future__ import annotations

import logging
import weakref
from typing import TYPE_CHECKING, Any, Literal

from queueing.codes import HallCode
from queueing.model import Hall, QueueError, not_found

if TYPE_CHECKING:
    from queueing.engine import QueueEngine
    from queueing.store import StoreTx

log = logging.getLogger(__name__)

HELP = "help"
HELP_COUNTER_NAME = "帮办代办"  # the hall.toml name of the counter (not a UI string)
State = Literal["raised", "escalated", "acknowledged", "resolved"]
OPEN_LIMIT = 200
READ_CHECK_S = 1.0  # alert reads (a kiosk polls every 2 s) check for escalations at most this often
_checked: weakref.WeakKeyDictionary[QueueEngine, float] = weakref.WeakKeyDictionary()


def help_counters(hall: Hall) -> tuple[str, ...]:
    """The counters a help call goes to first: configured, or those named 帮办代办."""
    configured = tuple(hall.policy.help_counters)
    if configured:
        return configured
    return tuple(cid for cid, c in hall.counters.items() if HELP_COUNTER_NAME in c.name)


def first_counter(hall: Hall, kind: str) -> str | None:
    """The counter an alert of ``kind`` goes to first (None: the dashboard's, at once)."""
    if kind != HELP:
        return None
    found = help_counters(hall)
    return found[0] if found else None


def state_of(row: dict[str, Any]) -> State:
    if row.get("resolved_at") is not None:
        return "resolved"
    if row.get("acked_at") is not None:
        return "acknowledged"
    return "escalated" if row.get("escalated_at") is not None else "raised"


def public(hall: Hall, row: dict[str, Any]) -> dict[str, Any]:
    """An alert row as the API shows it to staff: times in the hall's zone, its state."""
    out = dict(row)
    for key in ("at", "acked_at", "escalated_at", "resolved_at"):
        out[key] = hall.iso(row.get(key))
    for key in ("counter_id", "acked_counter", "resolved_counter", "escalated_at", "resolved_at", "resolved_by",
                "resolution"):
        out.setdefault(key, None)
    out["state"] = state_of(row)
    counter = hall.counters.get(row.get("acked_counter") or "")
    out["acked_counter_name"] = counter.name if counter else None
    return out


def citizen_view(hall: Hall, row: dict[str, Any]) -> dict[str, Any]:
    """What the kiosk that raised a help call may read of it: state, who is coming, from where."""
    full = public(hall, row)
    return {k: full[k] for k in ("id", "kind", "state", "at", "acked_at", "acked_by", "acked_counter",
                                 "acked_counter_name", "resolved_at")}


def visible_to(row: dict[str, Any], counter_id: str | None) -> bool:
    """A counter console sees the alerts sent to it and every escalated one; the dashboard
    (``counter_id`` None) sees them all."""
    if counter_id is None:
        return True
    return row.get("counter_id") == counter_id or row.get("escalated_at") is not None


def escalate_due(engine: QueueEngine) -> list[dict[str, Any]]:
    """Escalate every routed alert nobody acknowledged within the hall's minutes; the escalated
    ones (none most of the time). Safe from several processes: each row escalates once."""
    minutes = engine.hall.policy.help_escalate_minutes

    def due(tx: StoreTx, now: float, day: str) -> bool:
        return any(r.get("counter_id") and r.get("escalated_at") is None and r.get("acked_at") is None
                   and r["at"] <= now - minutes * 60 for r in tx.open_alerts(OPEN_LIMIT))

    if not engine.reading(due):  # most of the time: nothing to write
        return []

    def op(tx: StoreTx, now: float, day: str) -> list[dict[str, Any]]:
        rows = tx.escalate_alerts(now - minutes * 60, now)
        for r in rows:
            engine.record(tx, now, day, "alert_escalated", counter_id=r.get("counter_id"), alert_id=r["id"],
                          alert_kind=r["kind"], source=r.get("source"), message=r.get("message"),
                          minutes=minutes)
        return rows

    rows = engine.transaction(op)
    for r in rows:
        log.warning("alert escalated: nobody acknowledged it in time",
                    extra={"ctx": {"alert": r["id"], "kind": r["kind"], "counter": r.get("counter_id")}})
    return [public(engine.hall, r) for r in rows]


def escalate_now(engine: QueueEngine, alert_id: int, why: str) -> dict[str, Any]:
    """Escalate one alert at once (its counter has nobody signed in: waiting would help nobody)."""

    def op(tx: StoreTx, now: float, day: str) -> dict[str, Any]:
        rows = tx.escalate_alerts(now, now, alert_id)
        for r in rows:
            engine.record(tx, now, day, "alert_escalated", counter_id=r.get("counter_id"), alert_id=r["id"],
                          alert_kind=r["kind"], source=r.get("source"), message=r.get("message"), why=why)
        return tx.get_alert(alert_id) or {}

    return public(engine.hall, engine.transaction(op))


def _check_on_read(engine: QueueEngine) -> None:
    """Escalate what is due before a read (at most every READ_CHECK_S: a read is not a write)."""
    now = engine.clock()
    if abs(now - _checked.get(engine, -1e18)) >= READ_CHECK_S:
        _checked[engine] = now
        escalate_due(engine)


def get(engine: QueueEngine, alert_id: int) -> dict[str, Any]:
    _check_on_read(engine)
    row = engine.reading(lambda tx, now, day: tx.get_alert(alert_id))
    if row is None:
        raise not_found("alert", str(alert_id))
    return row


def open_for(engine: QueueEngine, counter_id: str | None) -> list[dict[str, Any]]:
    """Alerts not resolved yet, newest first, as ``counter_id``'s console (None: the dashboard) sees them."""
    _check_on_read(engine)
    rows = engine.reading(lambda tx, now, day: tx.open_alerts(OPEN_LIMIT))
    return [public(engine.hall, r) for r in rows if visible_to(r, counter_id)]


def _check_reach(row: dict[str, Any] | None, alert_id: int, counter_id: str | None, only_own: bool) -> None:
    if row is None:
        raise not_found("alert", str(alert_id))
    if only_own and not visible_to(row, counter_id):
        raise QueueError(403, HallCode.FORBIDDEN, f"alert {alert_id} was sent to another counter")


def acknowledge(engine: QueueEngine, alert_id: int, staff_id: str | None, counter_id: str | None,
                only_own: bool = False) -> dict[str, Any]:
    """``staff_id`` at ``counter_id`` takes the alert; ``only_own``: a counter console may take
    only what it sees. A second acknowledgement is ``alert_not_found`` (it is nobody's to take)."""

    def op(tx: StoreTx, now: float, day: str) -> dict[str, Any]:
        row = tx.get_alert(alert_id)
        _check_reach(row, alert_id, counter_id, only_own)
        if not tx.ack_alert(alert_id, now, staff_id, counter_id):
            raise not_found("alert", str(alert_id))
        engine.record(tx, now, day, "alert_ack", counter_id=counter_id, staff_id=staff_id, alert_id=alert_id)
        return tx.get_alert(alert_id) or {}

    return public(engine.hall, engine.transaction(op))


def resolve(engine: QueueEngine, alert_id: int, staff_id: str | None, counter_id: str | None,
            note: str | None = None, only_own: bool = False) -> dict[str, Any]:
    """The alert is dealt with; a second resolve is ``alert_not_found``."""

    def op(tx: StoreTx, now: float, day: str) -> dict[str, Any]:
        row = tx.get_alert(alert_id)
        _check_reach(row, alert_id, counter_id, only_own)
        if not tx.resolve_alert(alert_id, now, staff_id, counter_id, note):
            raise not_found("alert", str(alert_id))
        engine.record(tx, now, day, "alert_resolved", counter_id=counter_id, staff_id=staff_id, alert_id=alert_id,
                      acked_too=row is not None and row.get("acked_at") is None)
        return tx.get_alert(alert_id) or {}

    return public(engine.hall, engine.transaction(op))
