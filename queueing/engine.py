"""The queue engine: every rule of tickets and counters, one store transaction per operation.

Owns issuing (numbers, per-citizen rules, caps, opening hours, appointment check-in), the counter
operations (call next / a chosen ticket, recall, start, finish, no-show, put back, transfer,
pause, resume), ratings, alerts and the event log entry of every state change. The service day
is derived from the clock on every operation, so the day rolls over at local midnight by itself:
the first operation of a new day cancels what was left active and numbering starts again at 001.
The real clock is guarded (``queueing.clock``): a step of the wall clock the monotonic clock does
not confirm is ignored and raised as a ``clock`` alert, never a reason to close the day.

Thread- and process-safe through the store's write transactions; listeners registered with
``on_commit`` run after each commit (the SSE broadcaster, the platform outbox). ``run_group`` runs
several operations in one write transaction, each in its own savepoint, with one commit: the
engine thread does that with the calls that queued up while it was busy (queueing/committer.py);
the engine owns what a group means (savepoints, refusals, listeners and daily hooks after the
commit), the committer only which calls form one."""

from __future__ import annotations

import json
import logging
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from offline_cache.sealing import id_number_hash
from queueing import alerts, eta, policy, stats
from queueing.clock import ClockJump, GuardedClock, steady
from queueing.codes import EndReason, HallCode, Outcome, Priority
from queueing.credentials import current_caller
from queueing.model import (
    APPOINTMENT,
    CALLED,
    CANCELLED,
    DONE,
    NO_SHOW,
    NORMAL,
    PRIORITIES,
    SERVING,
    TRANSFERRED,
    WAITING,
    Counter,
    CounterState,
    Hall,
    QueueError,
    Ticket,
    bad_input,
    conflict,
    not_found,
)
from queueing.store import EventRow, QueueStore, StoreTx

log = logging.getLogger(__name__)
T = TypeVar("T")

OUTCOMES = tuple(Outcome)  # kept for callers of the old name
RATING_LEVELS = {"very_satisfied": 5, "satisfied": 4, "basic": 3, "dissatisfied": 2, "very_dissatisfied": 1}
RATING_NAMES = {v: k for k, v in RATING_LEVELS.items()}

# The engine methods that are one write operation each (one ``_run``, nothing else): the engine
# thread may run several of them that queued together as one group (``run_group``).
GROUPABLE = frozenset({
    "issue", "call_next", "call_ticket", "recall", "start", "finish", "no_show", "transfer", "put_back",
    "pause", "resume", "raise_alert", "staff_event", "ack_alert",
})


@dataclass
class _Group:
    """The write transaction a group of operations shares, and the day its last one ran in."""

    tx: StoreTx
    day: str | None = None


class QueueEngine:
    def __init__(
        self,
        hall: Hall,
        store: QueueStore,
        hall_key: bytes | str,
        clock: Callable[[], float] = time.time,
        monotonic: Callable[[], float] | None = None,
    ) -> None:
        # The system clock is checked against the monotonic one; a test's settable clock is its
        # own reference (it moves time on purpose) unless the test hands a monotonic clock too.
        if monotonic is None and clock is time.time:
            monotonic = steady
        self._guard = GuardedClock(clock, monotonic) if monotonic is not None else None
        self.hall, self.store = hall, store
        self.clock: Callable[[], float] = self._guard or clock
        self._key = hall_key.encode() if isinstance(hall_key, str) else hall_key
        self._day_seen: str | None = None
        self._listeners: list[Callable[[Sequence[EventRow]], None]] = []
        self._daily_hooks: list[Callable[[StoreTx, float, str], None]] = []
        self._daily_due = False
        self._group: _Group | None = None  # set on the engine thread while a group runs
        self._taken: list[ClockJump] = []  # clock steps the open transaction alerts of (put back if it rolls back)

    # ------------------------------------------------------------------ plumbing

    def on_commit(self, fn: Callable[[Sequence[EventRow]], None]) -> None:
        """Call ``fn(rows)`` after each commit with the event rows it appended (maybe none)."""
        self._listeners.append(fn)

    def on_new_day(self, fn: Callable[[StoreTx, float, str], None]) -> None:
        """``fn(tx, now, day)`` runs once per service day, in a transaction of its own right after
        the one that rolled the day over (the default ratings, the 差评 clocks: queueing/cases.py)."""
        self._daily_hooks.append(fn)

    def transaction(self, fn: Callable[[StoreTx, float, str], T]) -> T:
        """``fn(tx, now, day)`` as one engine operation: a write transaction, then the listeners."""
        return self._run(fn)

    def reading(self, fn: Callable[[StoreTx, float, str], T]) -> T:
        return self._read(fn)

    def record(self, tx: StoreTx, now: float, day: str, kind: str, t: Ticket | None = None,
               counter_id: str | None = None, staff_id: str | None = None, **extra: object) -> int:
        """An event in the log, inside ``transaction``: the shape every engine event has."""
        return self._event(tx, now, day, kind, t, counter_id, staff_id, **extra)

    def _committed(self, rows: Sequence[EventRow]) -> None:
        for fn in self._listeners:
            try:
                fn(rows)
            except Exception:  # a listener must never undo a committed operation
                log.exception("commit listener failed")

    def person_hash(self, id_number: str) -> str:
        """hex(HMAC-SHA256(hall_key, id_number)): equals the platform's ``id_number_hash``."""
        return id_number_hash(self._key, id_number)  # the contract's one definition

    def _begin(self, tx: StoreTx) -> tuple[float, str]:
        now = self.clock()
        day = self.hall.day(now)
        if day != self._day_seen:
            self._rollover(tx, now, day)  # the day counts as seen once this transaction commits (_run)
        if self._guard is not None and self._guard.pending:
            self._clock_alerts(tx, now, day)
        return now, day

    def _clock_alerts(self, tx: StoreTx, now: float, day: str) -> None:
        assert self._guard is not None
        jumps = self._guard.take_jumps()
        self._taken += jumps
        for jump in jumps:
            message = (
                f"the system clock stepped {jump.seconds / 3600:+.2f} h ({self.hall.iso(jump.wall)}); "
                "the hall keeps its own time and service day: set the clock right (NTP/RTC) and restart"
            )
            row = {"at": now, "kind": "clock", "source": "hall-service", "message": message}
            aid = tx.add_alert(row)
            self._event(tx, now, day, "alert", None, None, None, alert_id=aid, alert_kind="clock",
                        source="hall-service", message=message)

    def _rollover(self, tx: StoreTx, now: float, day: str) -> None:
        if tx.get_meta("day") == day:
            return
        stale = tx.stale_active(day)
        for t in stale:
            t.status, t.outcome = CANCELLED, EndReason.DAY_CLOSED
            tx.update_ticket(t)
            self._event(tx, now, day, "cancel", t, t.counter_id, None, reason=EndReason.DAY_CLOSED)
        for cid in self.hall.counters:
            st = tx.get_counter_state(cid)
            st.current_ticket_id, st.normal_streak = None, 0
            tx.put_counter_state(st)
        tx.set_meta("day", day)
        self._daily_due = bool(self._daily_hooks)
        if stale:
            log.info("day rolled over", extra={"ctx": {"day": day, "cancelled": len(stale)}})

    def _event(
        self,
        tx: StoreTx,
        now: float,
        day: str,
        kind: str,
        t: Ticket | None,
        counter_id: str | None,
        staff_id: str | None,
        **extra: object,
    ) -> int:
        caller = current_caller.get()  # the device whose request this is (None: in-process callers)
        data: dict[str, Any] = {"at": self.hall.iso(now), "counter_id": counter_id, "staff_id": staff_id,
                                "device": caller.device if caller else None, **extra}
        if t is not None:
            data["ticket"] = t.public(self.hall)
        return tx.append_event(
            now, day, kind, t.id if t else None, t.service_id if t else None, counter_id, staff_id, data
        )

    def _run(self, fn: Callable[[StoreTx, float, str], T]) -> T:
        if self._group is not None:
            return self._run_in_group(self._group, fn)
        try:
            with self.store.write() as tx:
                now, day = self._begin(tx)
                result = fn(tx, now, day)
                appended = tx.events
        except BaseException:
            self._put_back(0)
            raise
        self._taken.clear()
        self._day_seen = day  # committed: a refused operation rolled its rollover back and retries it
        self._committed(appended)
        self._daily_pass()
        return result

    def _daily_pass(self) -> None:
        if self._daily_due:
            self._daily_due = False
            for hook in self._daily_hooks:
                try:
                    self._run(hook)
                except Exception:  # the day's pass must never fail the operation that started the day
                    log.exception("new-day pass failed")

    def _run_in_group(self, group: _Group, fn: Callable[[StoreTx, float, str], T]) -> T:
        """One operation of a group: its own savepoint, so a refusal undoes only it (its
        rollover too: the next operation of the group or after it does that again)."""
        due, taken = self._daily_due, len(self._taken)
        try:
            with group.tx.savepoint():
                now, day = self._begin(tx := group.tx)
                result = fn(tx, now, day)
        except BaseException:
            self._daily_due = due
            self._put_back(taken)
            raise
        group.day = day
        return result

    def _put_back(self, since: int) -> None:
        """The clock steps taken since ``since`` were rolled back with their alerts: the next
        transaction alerts of them."""
        if self._guard is not None and len(self._taken) > since:
            self._guard.put_back(self._taken[since:])
        del self._taken[since:]

    def run_group(self, calls: Sequence[Callable[[], object]]) -> list[tuple[bool, object]] | None:
        """``calls`` (each one engine method of ``GROUPABLE`` with its arguments) in ONE write
        transaction, each in its own savepoint, and one commit. A rule refusal (``QueueError``
        below 500) undoes that call only. Returns, after the commit and the listeners (each
        call's rows, in order) and the day's hooks, ``(True, result)`` or ``(False, the error)``
        per call; None when anything else failed (a storage error, a bug): then nothing of the
        group was committed and the caller runs the calls one by one, each with its own answer."""
        due, outcomes, rows = self._daily_due, list[tuple[bool, object]](), list[Sequence[EventRow] | None]()
        try:
            with self.store.write() as tx:
                self._group = group = _Group(tx)
                try:
                    for call in calls:
                        mark = len(tx.events)
                        try:
                            value = call()
                        except QueueError as exc:
                            if exc.status >= 500:
                                raise
                            outcomes.append((False, exc))
                            rows.append(None)
                            continue
                        outcomes.append((True, value))
                        rows.append(tx.events[mark:])
                finally:
                    self._group = None
        except Exception:
            self._daily_due = due
            self._put_back(0)
            log.warning("a group of %d operations failed; running them one by one", len(calls), exc_info=True)
            return None
        self._taken.clear()
        if group.day is not None:
            self._day_seen = group.day
        for appended in rows:
            if appended is not None:
                self._committed(appended)
        self._daily_pass()
        return outcomes

    def _read(self, fn: Callable[[StoreTx, float, str], T]) -> T:
        if self._group is not None:  # inside a group's operation: its own transaction, answered after the commit
            return self._run_in_group(self._group, fn)
        now = self.clock()
        day = self.hall.day(now)
        if day != self._day_seen or (self._guard is not None and self._guard.pending):
            self._run(lambda tx, n, d: None)
        with self.store.read() as tx:
            return fn(tx, now, day)

    def _states(self, tx: StoreTx) -> dict[str, CounterState]:
        known = tx.all_counter_states()
        return {cid: known.get(cid) or CounterState(cid) for cid in self.hall.counters}

    def _counter(self, counter_id: str) -> Counter:
        c = self.hall.counters.get(counter_id)
        if c is None:
            raise not_found("counter", counter_id)
        return c

    # ------------------------------------------------------------------ issuing

    def issue(
        self,
        service_id: str | None,
        priority: Priority | str | None = None,
        id_number: str | None = None,
        appointment_code: str | None = None,
        channel: str | None = None,
        case_no: str | None = None,
    ) -> tuple[Ticket, int, int]:
        """A new ticket and its estimate (people ahead, minutes); ``case_no``: the case (办件编号) the
        ticket is for from the start (a pickup ticket of 统一窗口出件: the 出件 window sees which)."""
        try:
            prio_asked = Priority(priority or NORMAL)
        except ValueError:
            raise bad_input(
                HallCode.INVALID_PRIORITY, f"priority must be one of {', '.join(PRIORITIES)}"
            ) from None
        if id_number is not None and not (6 <= len(id_number.strip()) <= 32):
            raise bad_input(HallCode.INVALID_ID_NUMBER, "id_number has an impossible length")
        person = self.person_hash(id_number) if id_number else None
        if service_id is None and not appointment_code:
            raise bad_input(HallCode.MISSING_SERVICE_ID, "service_id is required")
        if case_no is not None:
            from queueing.cases import clean_case_no

            case_no = clean_case_no(case_no)
        if service_id is not None and service_id not in self.hall.services:
            raise bad_input(HallCode.UNKNOWN_SERVICE, f"no service {service_id!r} in this hall")

        def op(tx: StoreTx, now: float, day: str) -> tuple[Ticket, int, int]:
            nonlocal service_id, person
            appt = None
            if appointment_code or prio_asked == APPOINTMENT:
                if not appointment_code and not person:
                    raise bad_input(
                        HallCode.APPOINTMENT_NEEDS_CODE,
                        "an appointment check-in needs appointment_code or id_number",
                    )
                appt = self._check_in(tx, now, day, appointment_code, person, service_id)
                service_id, person = appt["service_id"], person or appt["id_number_hash"]
            assert service_id is not None
            svc = self.hall.services[service_id]
            if not svc.hours.is_open(self.hall.local(now)):
                raise conflict(HallCode.SERVICE_CLOSED, f"{svc.name} takes tickets {svc.hours.text()}")
            if person:
                if tx.count_person(day, person, service_id, active_only=True):
                    raise conflict(
                        HallCode.ACTIVE_TICKET_EXISTS, "this person already has an active ticket for this service"
                    )
                cap = self.hall.policy.person_daily_cap
                if cap and tx.count_person(day, person, None, active_only=False) >= cap:
                    raise conflict(HallCode.PERSON_DAILY_CAP, f"at most {cap} tickets per person per day")
            if case_no and tx.count_case_active(day, case_no, service_id):
                raise conflict(HallCode.ACTIVE_TICKET_EXISTS, "this case already has an active ticket for this service")
            if svc.daily_cap and tx.count_issued(day, service_id) >= svc.daily_cap:
                raise conflict(
                    HallCode.SERVICE_CAP_REACHED, f"{svc.name}: today's {svc.daily_cap} tickets are all issued"
                )
            # Tickets nobody can be told apart on (no ID card, no appointment) may take only a share
            # of the cap, each issuing device its own: one person pressing one kiosk's button 300
            # times must not close the service, nor leave the other kiosks nothing to hand out.
            caller = current_caller.get()
            device = caller.device if caller else ""
            share = self.hall.policy.anonymous_share_by_device.get(device, self.hall.policy.anonymous_share)
            anonymous = not person and bool(svc.daily_cap) and share < 1
            if anonymous:
                allowed = int(svc.daily_cap * share)
                if tx.anonymous_issued(day, service_id, device) >= allowed:
                    raise conflict(
                        HallCode.ANONYMOUS_CAP_REACHED,
                        f"{svc.name}: today's {allowed} tickets without an ID card at this kiosk are all issued",
                    )
                tx.add_anonymous(day, service_id, device)
            seq = tx.next_number("", "*")
            n = tx.next_number(day, svc.prefix)
            prio = APPOINTMENT if appt else prio_asked
            t = Ticket(
                id=str(uuid.uuid4()),
                day=day,
                number=f"{svc.prefix}{n:03d}",
                service_id=service_id,
                priority=prio,
                status=WAITING,
                issued_at=now,
                key_time=appt["slot_start"] if appt else now,
                seq=seq,
                person_hash=person,
                channel=channel,
                appointment_code=appt["code"] if appt else None,
                slot_start=appt["slot_start"] if appt else None,
                slot_end=appt["slot_end"] if appt else None,
                case_no=case_no,
            )
            tx.insert_ticket(t)
            if appt:
                tx.use_appointment(appt["code"], t.id)
            self._event(tx, now, day, "issue", t, None, None)
            ahead, minutes = eta.estimate(tx, self.hall, t, now, self._states(tx))
            return t, ahead, minutes

        return self._run(op)

    def _check_in(
        self, tx: StoreTx, now: float, day: str, code: str | None, person: str | None, service_id: str | None
    ) -> dict[str, Any]:
        appt = tx.find_appointment(code, None if code else person, day)
        if appt is None or (service_id and appt["service_id"] != service_id and not code):
            raise conflict(HallCode.APPOINTMENT_NOT_FOUND, "no appointment for this code or person today")
        if appt["ticket_id"]:
            raise conflict(HallCode.APPOINTMENT_USED, "this appointment is already checked in")
        pol = self.hall.policy
        if appt["day"] > day or now < appt["slot_start"] - pol.appointment_early_minutes * 60:
            raise conflict(
                HallCode.APPOINTMENT_TOO_EARLY,
                f"check-in opens {pol.appointment_early_minutes:g} minutes "
                f"before the slot ({self.hall.iso(appt['slot_start'])})",
            )
        if appt["day"] < day or now > appt["slot_start"] + pol.appointment_late_minutes * 60:
            raise conflict(
                HallCode.APPOINTMENT_TOO_LATE,
                f"check-in closed {pol.appointment_late_minutes:g} minutes "
                f"after the slot start ({self.hall.iso(appt['slot_start'])}); take a normal ticket",
            )
        return appt

    def push_appointments(self, appointments: Sequence[dict[str, Any]]) -> int:
        """Load the platform's appointment list (``GET /v1/appointments`` shape); returns rows stored."""
        rows = []
        for i, a in enumerate(appointments):
            try:
                start = datetime.fromisoformat(a["slot_start"])
                end = datetime.fromisoformat(a["slot_end"])
                code, sid = str(a["code"]), str(a["service_id"])
            except (KeyError, TypeError, ValueError) as exc:
                raise bad_input(
                    HallCode.INVALID_APPOINTMENT,
                    f"appointments[{i}]: needs code, service_id, slot_start and slot_end (ISO 8601): {exc}",
                ) from exc
            if sid not in self.hall.services:
                raise bad_input(HallCode.UNKNOWN_SERVICE, f"appointments[{i}].service_id: no service {sid!r}")
            if start.tzinfo is None:
                start, end = start.replace(tzinfo=self.hall.tz), end.replace(tzinfo=self.hall.tz)
            rows.append(
                {
                    "code": code,
                    "service_id": sid,
                    "id_number_hash": a.get("id_number_hash"),
                    "slot_start": start.timestamp(),
                    "slot_end": end.timestamp(),
                    "day": self.hall.day(start.timestamp()),
                    "name_masked": a.get("name_masked"),
                }
            )

        def op(tx: StoreTx, now: float, day: str) -> int:
            n = tx.put_appointments(rows)
            self._event(tx, now, day, "appointments", None, None, None, count=n)
            return n

        return self._run(op)

    # ------------------------------------------------------------------ reading

    def ticket(self, ticket_id: str) -> tuple[Ticket, int, int]:
        def op(tx: StoreTx, now: float, day: str) -> tuple[Ticket, int, int]:
            t = tx.get_ticket(ticket_id)
            if t is None:
                raise not_found("ticket", ticket_id)
            ahead, minutes = eta.estimate(tx, self.hall, t, now, self._states(tx))
            return t, ahead, minutes

        return self._read(op)

    def ticket_by_number(self, number: str) -> tuple[Ticket, int, int]:
        """Today's ticket with this number (the live one after a transfer)."""

        def op(tx: StoreTx, now: float, day: str) -> tuple[Ticket, int, int]:
            t = tx.ticket_by_number(day, number.strip().upper())
            if t is None:
                raise not_found("ticket", number)
            ahead, minutes = eta.estimate(tx, self.hall, t, now, self._states(tx))
            return t, ahead, minutes

        return self._read(op)

    def rating_of(self, ticket_id: str) -> dict[str, Any] | None:
        return self._read(lambda tx, now, day: tx.get_rating(ticket_id))

    def ratings(
        self, day_from: str | None = None, day_to: str | None = None, bad_only: bool = False
    ) -> list[dict[str, Any]]:
        """Ratings of the days (default today) with their rectification (整改) when there is one."""

        def op(tx: StoreTx, now: float, day: str) -> list[dict[str, Any]]:
            rows = tx.ratings(day_from or day, day_to or day_from or day, bad_only)
            for row in rows:
                row["at"] = self.hall.iso(row["at"])
                fix = {"response": row.pop("response"), "at": self.hall.iso(row.pop("rectified_at")),
                       "by": row.pop("rectified_by")}
                row["rectification"] = fix if fix["response"] else None
            return rows

        return self._read(op)

    def rectify(self, ticket_id: str, response: str, staff_id: str | None = None) -> dict[str, Any]:
        """Record what was done about a bad rating (every 不满意/非常不满意 needs one)."""
        if not response or not response.strip():
            raise bad_input(HallCode.RESPONSE_REQUIRED, "a rectification needs a response")

        def op(tx: StoreTx, now: float, day: str) -> dict[str, Any]:
            rating = tx.get_rating(ticket_id)
            loop = tx.get_loop(ticket_id)  # a 差评 of any stage, or a bad 追评 (queueing/cases.py)
            if rating is None and loop is None:
                raise not_found("rating", ticket_id)
            if loop is None and rating is not None and rating["level"] > 2:
                raise conflict(HallCode.NOT_A_BAD_RATING, "only a dissatisfied rating (level 1 or 2) is rectified")
            row = {"ticket_id": ticket_id, "response": response.strip(), "at": now, "by": staff_id}
            tx.put_rectification(row)
            t = tx.get_ticket(ticket_id)
            counter = rating["counter_id"] if rating else loop["counter_id"] if loop else None
            self._event(tx, now, day, "rectification", t, counter, staff_id, response=response.strip())
            return {**row, "at": self.hall.iso(now)}

        return self._run(op)

    def waiting(self, service_id: str | None = None, limit: int = 200) -> list[Ticket]:
        if service_id is not None and service_id not in self.hall.services:
            raise not_found("service", service_id)
        return self._read(lambda tx, now, day: tx.waiting(day, service_id, limit))

    def preview(self, counter_id: str, n: int = 10) -> list[Ticket]:
        c = self._counter(counter_id)

        def op(tx: StoreTx, now: float, day: str) -> list[Ticket]:
            st = tx.get_counter_state(counter_id)
            heads = tx.waiting_heads(day, c.services, n)
            return policy.preview(heads, c, st.normal_streak, now, self.hall.policy, n)

        return self._read(op)

    def counter_states(self) -> dict[str, tuple[CounterState, Ticket | None]]:
        def op(tx: StoreTx, now: float, day: str) -> dict[str, Any]:
            out = {}
            for cid, st in self._states(tx).items():
                cur = tx.get_ticket(st.current_ticket_id) if st.current_ticket_id else None
                out[cid] = (st, cur)
            return out

        return self._read(op)

    def waiting_counts(self) -> dict[str, int]:
        counts = self._read(lambda tx, now, day: tx.waiting_counts(day))
        out = dict.fromkeys(self.hall.services, 0)
        for (sid, _prio), n in counts.items():
            out[sid] = out.get(sid, 0) + n
        return out

    def display(self, recent: int = 10) -> dict[str, Any]:
        """Current calls, recent calls, waiting per service: what the hall display shows."""

        def op(tx: StoreTx, now: float, day: str) -> dict[str, Any]:
            active = tx.active_at_counters(day)
            counts = tx.waiting_counts(day)
            waiting = {}
            for sid in self.hall.services:
                nxt = tx.waiting(day, sid, 3)
                waiting[sid] = {
                    "count": sum(n for (s, _p), n in counts.items() if s == sid),
                    "next": [t.number for t in nxt],
                }
            current = [
                {
                    "counter_id": t.counter_id,
                    "counter_name": self.hall.counters[t.counter_id].name
                    if t.counter_id in self.hall.counters
                    else t.counter_id,
                    "number": t.number,
                    "service_id": t.service_id,
                    "status": t.status,
                    "called_at": self.hall.iso(t.called_at),
                    "recalls": t.recalls,
                }
                for t in active
            ]
            return {
                "day": day,
                "now": self.hall.iso(now),
                "last_event_id": tx.last_event_seq(),  # the stream resumes right after this snapshot
                "current": current,
                "recent": self._recent_calls(tx, day, recent),
                "waiting": waiting,
            }

        return self._read(op)

    def _recent_calls(self, tx: StoreTx, day: str, n: int) -> list[dict[str, Any]]:
        out = []
        for seq, kind, data in tx.recent_events(day, ("call", "recall"), n):
            d = json.loads(data)
            out.append(
                {
                    "number": d["ticket"]["number"],
                    "counter_id": d["counter_id"],
                    "kind": kind,
                    "at": d["at"],
                    "event_id": seq,
                }
            )
        return out

    def stats(self, day_from: str | None = None, day_to: str | None = None) -> dict[str, Any]:
        """Statistics over the service days ``day_from``..``day_to`` (ISO dates; default today)."""
        for name, value in (("from", day_from), ("to", day_to)):
            if value is not None:
                try:
                    datetime.strptime(value, "%Y-%m-%d")
                except ValueError as exc:
                    raise bad_input(HallCode.INVALID_DATE, f"{name} must be a date YYYY-MM-DD") from exc

        def op(tx: StoreTx, now: float, day: str) -> dict[str, Any]:
            start = day_from or day_to or day
            return stats.compute(
                tx, self.hall, start, day_to or (day if day_from is None else max(start, day))
            )

        return self._read(op)

    # ------------------------------------------------------------------ counters

    def _current(
        self, tx: StoreTx, counter_id: str, statuses: tuple[str, ...]
    ) -> tuple[CounterState, Ticket]:
        st = tx.get_counter_state(counter_id)
        t = tx.get_ticket(st.current_ticket_id) if st.current_ticket_id else None
        if t is None or t.status not in statuses:
            raise conflict(
                HallCode.NO_CURRENT_TICKET, f"counter {counter_id} has no ticket in state {' or '.join(statuses)}"
            )
        return st, t

    def _take(
        self,
        tx: StoreTx,
        now: float,
        day: str,
        st: CounterState,
        t: Ticket,
        staff_id: str | None,
        kind: str,
        **extra: object,
    ) -> Ticket:
        t.status, t.counter_id, t.called_at, t.staff_id = CALLED, st.counter_id, now, staff_id or st.staff_id
        tx.update_ticket(t, expect_status=WAITING)
        st.current_ticket_id, st.staff_id = t.id, staff_id or st.staff_id
        tx.put_counter_state(st)
        self._event(tx, now, day, kind, t, st.counter_id, t.staff_id, **extra)
        return t

    def _ready(self, tx: StoreTx, counter_id: str) -> CounterState:
        st = tx.get_counter_state(counter_id)
        if st.paused:
            raise conflict(
                HallCode.COUNTER_PAUSED, f"counter {counter_id} is paused ({st.pause_reason}); resume first"
            )
        if st.current_ticket_id:
            cur = tx.get_ticket(st.current_ticket_id)
            if cur is not None and cur.status in (CALLED, SERVING):
                raise conflict(
                    HallCode.COUNTER_BUSY,
                    f"counter {counter_id} still has {cur.number} ({cur.status}); "
                    "finish, transfer or mark no-show first",
                )
        return st

    def call_next(self, counter_id: str, staff_id: str | None = None) -> Ticket | None:
        """The next ticket by policy, or None when nobody waits for this counter's services."""
        c = self._counter(counter_id)

        def op(tx: StoreTx, now: float, day: str) -> Ticket | None:
            st = self._ready(tx, counter_id)
            t, cls = policy.choose(
                tx.waiting_heads(day, c.services, 1), c, st.normal_streak, now, self.hall.policy
            )
            if t is None:
                return None
            st.normal_streak = policy.next_streak(st.normal_streak, cls)
            return self._take(tx, now, day, st, t, staff_id, "call")

        return self._run(op)

    def call_ticket(
        self, counter_id: str, ticket_id: str, reason: str, staff_id: str | None = None
    ) -> Ticket:
        """Call a chosen waiting ticket out of order; the reason goes into the event log (audit)."""
        c = self._counter(counter_id)
        if not reason or not reason.strip():
            raise bad_input(HallCode.REASON_REQUIRED, "calling out of order needs a reason")

        def op(tx: StoreTx, now: float, day: str) -> Ticket:
            st = self._ready(tx, counter_id)
            t = tx.get_ticket(ticket_id)
            if t is None or t.day != day:
                raise not_found("ticket", ticket_id)
            if t.status != WAITING:
                raise conflict(HallCode.TICKET_NOT_WAITING, f"{t.number} is {t.status}")
            if t.service_id not in c.services:
                raise conflict(
                    HallCode.SERVICE_NOT_AT_COUNTER, f"counter {counter_id} does not serve {t.service_id}"
                )
            return self._take(tx, now, day, st, t, staff_id, "call", reason=reason.strip(), out_of_order=True)

        return self._run(op)

    def _counter_op(
        self,
        counter_id: str,
        statuses: tuple[str, ...],
        change: Callable[[StoreTx, float, str, CounterState, Ticket], str],
        staff_id: str | None,
        **extra: object,
    ) -> Ticket:
        self._counter(counter_id)

        def op(tx: StoreTx, now: float, day: str) -> Ticket:
            st, t = self._current(tx, counter_id, statuses)
            before = t.status
            kind = change(tx, now, day, st, t)
            tx.update_ticket(t, expect_status=before)
            tx.put_counter_state(st)
            self._event(tx, now, day, kind, t, counter_id, staff_id or st.staff_id, **extra)
            return t

        return self._run(op)

    def recall(self, counter_id: str, staff_id: str | None = None) -> Ticket:
        def change(tx: StoreTx, now: float, day: str, st: CounterState, t: Ticket) -> str:
            if t.recalls >= self.hall.policy.max_recalls:
                raise conflict(HallCode.RECALL_LIMIT, f"{t.number} was recalled {t.recalls} times already")
            t.recalls += 1
            return "recall"

        return self._counter_op(counter_id, (CALLED,), change, staff_id)

    def start(self, counter_id: str, staff_id: str | None = None) -> Ticket:
        def change(tx: StoreTx, now: float, day: str, st: CounterState, t: Ticket) -> str:
            t.status, t.started_at = SERVING, now
            return "start"

        return self._counter_op(counter_id, (CALLED,), change, staff_id)

    def finish(
        self, counter_id: str, outcome: Outcome | str = Outcome.DONE, staff_id: str | None = None,
        reason: str | None = None, approved_by: str | None = None,
        case_no: str | None = None,
    ) -> Ticket:
        """``rejected`` (不予受理, 窗口无否决权) needs a reason and the 工号 of the supervisor who
        signed it off (the API checks the sign-off: queueing/signoff.py)."""
        try:
            result = Outcome(outcome)
        except ValueError:
            raise bad_input(
                HallCode.INVALID_OUTCOME, f"outcome must be one of {', '.join(Outcome)}"
            ) from None
        extra: dict[str, object] = {}
        if result == Outcome.REJECTED:
            from queueing.signoff import rejection

            extra = rejection(reason, approved_by)
        from queueing.cases import clean_case_no

        case = clean_case_no(case_no) if case_no is not None else None

        def change(tx: StoreTx, now: float, day: str, st: CounterState, t: Ticket) -> str:
            if t.started_at is None:
                t.started_at = now
            t.status, t.finished_at, t.outcome = DONE, now, result
            t.case_no = case or t.case_no
            if case:
                tx.set_rating_case(t.id, case)  # an earlier stage's rating (一事多评) names the case too
            st.current_ticket_id = None
            return "finish"

        return self._counter_op(counter_id, (CALLED, SERVING), change, staff_id, outcome=result, case_no=case,
                                **extra)

    def no_show(self, counter_id: str, staff_id: str | None = None) -> Ticket:
        def change(tx: StoreTx, now: float, day: str, st: CounterState, t: Ticket) -> str:
            t.status, t.finished_at, t.outcome = NO_SHOW, now, EndReason.NO_SHOW
            st.current_ticket_id = None
            tx.set_meta(f"last_no_show:{counter_id}", t.id)
            return "no_show"

        return self._counter_op(counter_id, (CALLED,), change, staff_id)

    def transfer(
        self, counter_id: str, service_id: str, staff_id: str | None = None, reason: str | None = None
    ) -> Ticket:
        """Send the counter's ticket to another service; it keeps its number and original arrival time.

        The old ticket row becomes ``transferred`` (pointing at the new one) so every counter's
        statistics stay true; the new row waits in the target service's queue."""
        self._counter(counter_id)
        if service_id not in self.hall.services:
            raise bad_input(HallCode.UNKNOWN_SERVICE, f"no service {service_id!r} in this hall")

        def op(tx: StoreTx, now: float, day: str) -> Ticket:
            st, t = self._current(tx, counter_id, (CALLED, SERVING))
            if t.service_id == service_id:
                raise conflict(HallCode.SAME_SERVICE, "the ticket is already in that service")
            new = Ticket(
                id=str(uuid.uuid4()),
                day=day,
                number=t.number,
                service_id=service_id,
                priority=NORMAL if t.priority == APPOINTMENT else t.priority,
                status=WAITING,
                issued_at=t.issued_at,
                key_time=min(t.key_time, t.issued_at),
                seq=tx.next_number("", "*"),
                person_hash=t.person_hash,
                channel=t.channel,
                transferred_from=t.id,
            )
            before = t.status
            t.status, t.finished_at, t.outcome, t.transferred_to = TRANSFERRED, now, EndReason.TRANSFERRED, new.id
            if t.started_at is None:
                t.started_at = now
            tx.update_ticket(t, expect_status=before)
            tx.insert_ticket(new)
            st.current_ticket_id = None
            tx.put_counter_state(st)
            self._event(
                tx,
                now,
                day,
                "transfer",
                t,
                counter_id,
                staff_id or st.staff_id,
                to_service_id=service_id,
                new_ticket=new.public(self.hall),
                reason=reason,
            )
            return new

        return self._run(op)

    def put_back(self, counter_id: str, ticket_id: str | None = None, staff_id: str | None = None) -> Ticket:
        """A no-show ticket waits again, keeping its original arrival time (it is called next)."""
        self._counter(counter_id)

        def op(tx: StoreTx, now: float, day: str) -> Ticket:
            tid = ticket_id or tx.get_meta(f"last_no_show:{counter_id}")
            t = tx.get_ticket(tid) if tid else None
            if t is None or t.day != day:
                raise not_found("ticket", tid or "(none)")
            if t.status != NO_SHOW:
                raise conflict(HallCode.TICKET_NOT_NO_SHOW, f"{t.number} is {t.status}, not no_show")
            t.status, t.finished_at, t.outcome, t.counter_id, t.called_at = WAITING, None, None, None, None
            tx.update_ticket(t, expect_status=NO_SHOW)
            self._event(tx, now, day, "put_back", t, counter_id, staff_id)
            return t

        return self._run(op)

    def pause(self, counter_id: str, reason: str, staff_id: str | None = None) -> CounterState:
        self._counter(counter_id)
        if not reason or not reason.strip():
            raise bad_input(HallCode.REASON_REQUIRED, "a pause needs a reason")

        def op(tx: StoreTx, now: float, day: str) -> CounterState:
            st = tx.get_counter_state(counter_id)
            if st.paused:
                raise conflict(HallCode.COUNTER_PAUSED, f"counter {counter_id} is already paused")
            st.paused, st.pause_reason = True, reason.strip()
            st.staff_id = staff_id or st.staff_id
            tx.put_counter_state(st)
            self._event(tx, now, day, "pause", None, counter_id, st.staff_id, reason=st.pause_reason)
            return st

        return self._run(op)

    def resume(self, counter_id: str, staff_id: str | None = None) -> CounterState:
        self._counter(counter_id)

        def op(tx: StoreTx, now: float, day: str) -> CounterState:
            st = tx.get_counter_state(counter_id)
            if not st.paused:
                raise conflict(HallCode.COUNTER_NOT_PAUSED, f"counter {counter_id} is not paused")
            st.paused, st.pause_reason = False, None
            st.staff_id = staff_id or st.staff_id
            tx.put_counter_state(st)
            self._event(tx, now, day, "resume", None, counter_id, st.staff_id)
            return st

        return self._run(op)

    # ------------------------------------------------------------------ ratings and alerts

    def rate(
        self, ticket_id: str, level: int | str, reason: str | None = None, comment: str | None = None,
        stage: str | None = None, scores: dict[str, int | None] | None = None,
    ) -> dict[str, Any]:
        """好差评: one rating per stage of a case; 不满意 / 非常不满意 need a reason (queueing/cases.py)."""
        from queueing.cases import book_of

        return book_of(self).rate(ticket_id, level, reason, comment, stage, scores)

    def raise_alert(self, kind: str, source: str, message: str, counter_id: str | None = None) -> dict[str, Any]:
        """``counter_id``: the counter it goes to first (escalating like a help call); by default a
        help call goes to the 帮办代办 counter (queueing/alerts.py), any other alert to the dashboard."""
        if not kind or not isinstance(kind, str) or len(kind) > 40:
            raise bad_input(HallCode.INVALID_KIND, "kind is a short word such as help, printer, device, sync")
        first = counter_id or alerts.first_counter(self.hall, kind)

        def op(tx: StoreTx, now: float, day: str) -> dict[str, Any]:
            row = {"at": now, "kind": kind, "source": source, "message": message, "counter_id": first}
            aid = tx.add_alert(row)
            self._event(
                tx,
                now,
                day,
                "alert",
                None,
                first,
                None,
                alert_id=aid,
                alert_kind=kind,
                source=source,
                message=message,
            )
            return {"id": aid, **row, "at": self.hall.iso(now), "acked_at": None}

        return self._run(op)

    def staff_event(self, kind: str, staff_id: str | None, counter_id: str | None, alert: str | None = None,
                    extra: dict[str, object] | None = None) -> None:
        """A staff sign-in, sign-out, refusal or lockout in the event log (who worked where and
        when; the rules are ``queueing.credentials``'); ``alert``: also an alert to the hall."""

        def op(tx: StoreTx, now: float, day: str) -> None:
            if alert is not None:
                aid = tx.add_alert({"at": now, "kind": "staff_lockout", "source": "hall-service", "message": alert})
                self._event(tx, now, day, "alert", None, counter_id, staff_id, alert_id=aid,
                            alert_kind="staff_lockout", source="hall-service", message=alert)
            self._event(tx, now, day, kind, None, counter_id, staff_id, **(extra or {}))

        self._run(op)

    def storage_problem(self) -> str | None:
        """None when the store can be read and written now (``/api/v1/health``), else why not."""
        return self.store.probe(self.clock())

    def alerts(self, include_acked: bool = False, limit: int = 100) -> list[dict[str, Any]]:
        rows = self._read(lambda tx, now, day: tx.alerts(include_acked, limit))
        return [{**r, "at": self.hall.iso(r["at"]), "acked_at": self.hall.iso(r["acked_at"])} for r in rows]

    def ack_alert(self, alert_id: int, by: str | None = None, counter_id: str | None = None) -> None:
        def op(tx: StoreTx, now: float, day: str) -> None:
            if not tx.ack_alert(alert_id, now, by, counter_id):
                raise not_found("alert", str(alert_id))
            self._event(tx, now, day, "alert_ack", None, counter_id, by, alert_id=alert_id)

        self._run(op)
