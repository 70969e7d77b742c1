"""Fleet health of one hall: every kiosk, display, counter console and rating pad says each minute
that it lives (version, uptime, its devices' states, offline-cache backlog, disk free); the hall
keeps each machine's latest heartbeat and when it was last seen (the store's ``fleet`` table).

Owns the rules:

- a machine silent for :data:`SILENT_AFTER_S` (5 minutes) is an alert of kind ``fleet_silent``,
  raised once per silence in the same transaction that marks the machine silent (so two
  hall-server workers never raise it twice) and acknowledged by ``fleet`` when the machine's
  next heartbeat arrives;
- a machine whose heartbeat newly carries an update problem (a refused or rolled-back release) is
  an alert of kind ``fleet_update``, raised in the heartbeat's transaction and acknowledged by
  ``fleet`` when the problem goes (a release staged);
- what counts as a machine's problem (:func:`problems`): a device in error or disconnected, a
  dead-lettered record, a backlog older than the sync can explain, little disk left;
- the hall's state *now* (:meth:`Fleet.hall_now`): waiting, the longest wait against its
  service's target, counters open, today's satisfaction and rectification — what the hall sends
  the platform with its fleet state (``queueing/outbox.py``, kind ``fleet_health``), so a city
  view works from what halls sync, whatever their store.

Time is the engine's guarded clock, the same as the queue's."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from queueing.engine import QueueEngine
from queueing.model import Hall
from queueing.store import StoreTx

SILENT_AFTER_S = 300.0
#: how often the hall looks for silent machines
CHECK_EVERY_S = 15.0
#: a machine with less free disk than this has a problem (the offline cache refuses to grow past it)
DISK_LOW_BYTES = 1 << 30
#: a backlog this long means the machine's sync is stuck (a day of a busy kiosk is a few hundred)
BACKLOG_STUCK = 500
BAD_DEVICE_STATES = frozenset({"error", "disconnected"})
SILENT_KIND = "fleet_silent"
#: a machine that refused or rolled back the hall's release (its heartbeat's ``update_problem``)
UPDATE_KIND = "fleet_update"
ACK_BY = "fleet"


def problems(state: dict[str, Any]) -> list[str]:
    """A machine's problems as short codes: ``printer:paper_out``, ``scanner:disconnected``,
    ``dead_letters``, ``backlog``, ``disk_low``, ``update:bad_signature`` (a refused or rolled-back
    fleet update, common.releases.UpdateProblem); the city view translates them."""
    out = []
    for kind, dev in sorted((state.get("devices") or {}).items()):
        if isinstance(dev, dict) and dev.get("state") in BAD_DEVICE_STATES:
            out.append(f"{kind}:{dev.get('reason') or dev.get('state')}")
    if (state.get("dead_letters") or 0) > 0:
        out.append("dead_letters")
    if (state.get("backlog") or 0) >= BACKLOG_STUCK:
        out.append("backlog")
    free = state.get("disk_free_bytes")
    if isinstance(free, int) and free < DISK_LOW_BYTES:
        out.append("disk_low")
    if state.get("update_problem"):
        out.append(f"update:{state['update_problem']}")
    return out


def machine_out(hall: Hall, row: dict[str, Any], now: float, silent_after_s: float = SILENT_AFTER_S) -> dict[str, Any]:
    """One machine as the API and the platform record show it."""
    state = json.loads(row["state"])
    silent = row["silent_alert"] is not None or now - row["seen_at"] >= silent_after_s
    return {"device": row["device"], "role": row["role"], "name": row["name"], "counter_id": row["counter_id"],
            "kind": state.get("kind") or row["role"], "version": state.get("version"),
            "uptime_s": state.get("uptime_s"), "devices": state.get("devices") or {},
            "backlog": state.get("backlog"), "dead_letters": state.get("dead_letters"),
            "disk_free_bytes": state.get("disk_free_bytes"), "last_seen": hall.iso(row["seen_at"]),
            "silent_s": round(max(0.0, now - row["seen_at"])), "silent": silent, "problems": problems(state)}


class Fleet:
    """The hall's fleet table through the engine's transactions (its clock, its alerts, its event
    log: the silence alert reaches the dashboard and the platform like any other)."""

    def __init__(self, engine: QueueEngine, silent_after_s: float = SILENT_AFTER_S) -> None:
        self.engine, self.silent_after_s = engine, silent_after_s
        #: called after a heartbeat that changed what the city sees of the machine (a new machine,
        #: a problem come or gone, another version): the outbox sends the fleet state now
        self.on_change: Callable[[], None] | None = None

    def heartbeat(self, device: str, role: str, counter_id: str | None, state: dict[str, Any]) -> dict[str, Any]:
        """Store ``device``'s heartbeat; a silent machine that speaks again clears its alert."""
        eng = self.engine

        def op(tx: StoreTx, now: float, day: str) -> dict[str, Any]:
            before = tx.fleet_get(device)
            tx.fleet_put({"device": device, "role": role, "name": state.get("name"), "counter_id": counter_id,
                          "state": json.dumps(state, ensure_ascii=False, sort_keys=True), "seen_at": now,
                          "silent_alert": None})
            silent_alert = before["silent_alert"] if before is not None else None
            back = silent_alert is not None
            if silent_alert is not None and tx.ack_alert(int(silent_alert), now, ACK_BY):
                eng._event(tx, now, day, "alert_ack", None, counter_id, ACK_BY, alert_id=silent_alert,
                           alert_kind=SILENT_KIND, source=device, reason="back")
            old = json.loads(before["state"]) if before is not None else None
            self._update_alert(tx, now, day, device, role, counter_id, state, old)
            changed = old is None or back or problems(old) != problems(state) \
                or old.get("version") != state.get("version")
            return {"device": device, "seen_at": eng.hall.iso(now), "back": back, "changed": changed,
                    "next_within_s": self.silent_after_s}

        answer = eng._run(op)
        if answer["changed"] and self.on_change is not None:
            self.on_change()
        return answer

    def _update_alert(self, tx: StoreTx, now: float, day: str, device: str, role: str, counter_id: str | None,
                      state: dict[str, Any], old: dict[str, Any] | None) -> None:
        """A new update problem is an alert; the machine's earlier update alert is acknowledged when
        its problem goes or changes."""
        problem = state.get("update_problem") or None
        before = (old or {}).get("update_problem") or None
        if problem == before:
            return
        eng = self.engine
        for alert in tx.open_alerts(500):
            if alert["kind"] == UPDATE_KIND and alert["source"] == device and alert.get("acked_at") is None \
                    and tx.ack_alert(int(alert["id"]), now, ACK_BY):
                eng._event(tx, now, day, "alert_ack", None, counter_id, ACK_BY, alert_id=alert["id"],
                           alert_kind=UPDATE_KIND, source=device, reason="update")
        if problem is None:
            return
        what = state.get("name") or device
        message = f"{what} ({role}) running {state.get('version')}: fleet update problem {problem}"
        alert = {"at": now, "kind": UPDATE_KIND, "source": device, "message": message}
        aid = tx.add_alert(alert)
        eng._event(tx, now, day, "alert", None, counter_id, None, alert_id=aid,
                   alert_kind=UPDATE_KIND, source=device, message=message)

    def check_silence(self) -> list[dict[str, Any]]:
        """Raise the alert of every machine silent for the window and not yet alerted."""
        eng = self.engine

        def op(tx: StoreTx, now: float, day: str) -> list[dict[str, Any]]:
            raised = []
            for row in tx.fleet_all():
                if row["silent_alert"] is not None or now - row["seen_at"] < self.silent_after_s:
                    continue
                what = row["name"] or row["device"]
                message = (f"{what} ({row['role']}) silent since {eng.hall.iso(row['seen_at'])}: "
                           f"no heartbeat for {round(self.silent_after_s / 60)} minutes")
                alert = {"at": now, "kind": SILENT_KIND, "source": row["device"], "message": message}
                aid = tx.add_alert(alert)
                tx.fleet_set_silent(row["device"], aid)
                eng._event(tx, now, day, "alert", None, row["counter_id"], None, alert_id=aid,
                           alert_kind=SILENT_KIND, source=row["device"], message=message)
                raised.append({"id": aid, **alert})
            return raised

        with eng.store.read() as tx:  # most checks find nobody silent: no write transaction for them
            now = eng.clock()
            quiet = any(r["silent_alert"] is None and now - r["seen_at"] >= self.silent_after_s
                        for r in tx.fleet_all())
        return eng._run(op) if quiet else []

    def machines(self) -> list[dict[str, Any]]:
        eng = self.engine
        return eng._read(lambda tx, now, day: [machine_out(eng.hall, r, now, self.silent_after_s)
                                                for r in tx.fleet_all()])

    def hall_now(self) -> dict[str, Any]:
        """The hall at this moment, for the platform's city view."""
        eng, hall = self.engine, self.engine.hall

        def op(tx: StoreTx, now: float, day: str) -> dict[str, Any]:
            waiting = tx.waiting(day, None, 10_000)
            longest, target, over = 0.0, None, 0
            for t in waiting:
                wait = max(0.0, now - t.key_time)
                svc = hall.services.get(t.service_id)
                goal = svc.target_wait_minutes * 60 if svc is not None else None
                if goal is not None and wait > goal:
                    over += 1
                if wait >= longest:
                    longest, target = wait, goal
            states = eng._states(tx)
            ratings = tx.ratings(day, day, False)
            bad = [r for r in ratings if r["level"] <= 2]
            return {
                "id": hall.id, "name": hall.name, "district": hall.district,
                "at": hall.iso(now), "day": day, "waiting": len(waiting),
                "longest_wait_min": round(longest / 60, 1), "longest_target_min":
                    None if target is None else round(target / 60, 1), "over_target": over,
                "counters": len(hall.counters),
                "counters_open": sum(1 for st in states.values() if st.staff_id and not st.paused),
                "ratings": len(ratings),
                "satisfied": sum(1 for r in ratings if r["level"] >= 4),
                "bad": len(bad), "rectified": sum(1 for r in bad if r.get("response")),
            }

        return eng._read(op)
