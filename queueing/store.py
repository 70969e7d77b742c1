"""The store interface of the queue engine and its SQLite implementation.

The engine holds every rule; a store only keeps rows. One engine operation is one store
transaction (``with store.write() as tx``), begun with the write lock already held (SQLite
``BEGIN IMMEDIATE``), so two counters pulling at the same millisecond — from two threads or two
processes — are serialised and can never get the same ticket. A PostgreSQL store implements the
same ``StoreTx`` methods inside a transaction that first locks the hall's row
(``SELECT … FOR UPDATE``) to get the same serialisation.

Several operations may share one write transaction, each in its own ``tx.savepoint()``: the
engine thread's group commit (queueing/committer.py) decides that; a store only nests.

SQLite runs in WAL mode with ``synchronous=FULL``: a committed ticket survives a power cut.
Checkpoints are off the request path: the service's connections never run SQLite's automatic
checkpoint (it ran inside whichever commit crossed 1,000 WAL pages: 17 of the 20 slowest
call-nexts, issue 16); a checkpointer thread runs a passive one once writes pause for
``CHECKPOINT_IDLE_S``, or regardless after ``CHECKPOINT_FORCE_COMMITS`` commits so the WAL
stays bounded under a load that never pauses.

A damaged or full file is never answered with a crash: any SQLite error inside a transaction
becomes ``QueueError(503, storage_failed)`` (the API's JSON error shape) and ``probe()`` — what
``/api/v1/health`` asks — reports it, a damaged file until the service restarts. At start the
file gets a full ``integrity_check``; a damaged one is set aside (``queue.db.corrupt-<stamp>``,
kept), every row still whole is recovered into a fresh file, the numbering of each day skips
ahead so a lost row's number is never handed out again, and a ``storage`` alert says so."""

from __future__ import annotations

import fcntl
import json
import logging
import os
import re
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import fields
from pathlib import Path
from typing import Any, Protocol

from offline_cache.integrity import check_file, integrity_problems, is_damage, quarantine, recover
from offline_cache.migrations import Migration, Schema, SchemaTooNewError, migrate, refuse_newer
from queueing.codes import HallCode
from queueing.model import ACTIVE, CounterState, QueueError, Ticket

log = logging.getLogger(__name__)

TICKET_COLUMNS = tuple(f.name for f in fields(Ticket))
# What a ticket is from its issue on: no operation changes these (a transfer issues a new ticket).
# ``update_ticket`` names them only in its WHERE clause, never in its SET list: SQLite rewrites an
# index whose columns an UPDATE sets even when the value stays, and setting every column cost each
# call, start and finish two more pages in the WAL (tickets_service_day and the seq index) of
# 7-11 (issue 16). An operation that did change one would fail loudly there, not be lost.
TICKET_FIXED = ("id", "day", "number", "service_id", "priority", "issued_at", "key_time", "seq",
                "person_hash", "channel", "appointment_code", "slot_start", "slot_end")
TICKET_CHANGING = tuple(c for c in TICKET_COLUMNS if c not in TICKET_FIXED)
_UPDATE_TICKET = (f"UPDATE tickets SET {', '.join(c + '=?' for c in TICKET_CHANGING)} WHERE "
                  + " AND ".join(f"{c} IS ?" if c != "id" else "id=?" for c in TICKET_FIXED))


def ticket_values(t: Ticket) -> tuple[Any, ...]:
    """The ticket's fields in column order (``dataclasses.astuple`` deep-copies every value: 5 %
    of the service's time, issue 16)."""
    return tuple(getattr(t, c) for c in TICKET_COLUMNS)


EventRow = tuple[int, str, str]  # (seq, kind, data as JSON): one row of the event log


class StoreTx(Protocol):
    """What the engine needs inside one transaction. ``events`` holds the rows this transaction
    appended (new list per write transaction), so a commit can publish them without reading them
    back."""

    events: list[EventRow]

    def savepoint(self) -> AbstractContextManager[None]:
        """A nested part of this write transaction (SQL ``SAVEPOINT``): an exception inside
        undoes only its statements and drops the event rows it appended, then propagates. The
        engine thread's group commit runs each queued operation in one (queueing/committer.py)."""
        ...

    def get_meta(self, key: str) -> str | None: ...
    def set_meta(self, key: str, value: str) -> None: ...
    def next_number(self, day: str, prefix: str) -> int: ...
    def insert_ticket(self, t: Ticket) -> None: ...
    def update_ticket(self, t: Ticket, expect_status: str | None = None) -> None: ...
    def get_ticket(self, ticket_id: str) -> Ticket | None: ...
    def waiting_heads(self, day: str, service_ids: Sequence[str], per_group: int) -> list[Ticket]: ...
    def waiting(self, day: str, service_id: str | None, limit: int) -> list[Ticket]: ...
    def waiting_counts(self, day: str) -> dict[tuple[str, str], int]: ...
    def ahead_counts(
        self, day: str, service_ids: Sequence[str], cls: str, now: float, key_time: float, seq: int
    ) -> dict[str, int]: ...
    def count_person(self, day: str, person_hash: str, service_id: str | None, active_only: bool) -> int: ...
    def count_case_active(self, day: str, case_no: str, service_id: str) -> int: ...
    def count_issued(self, day: str, service_id: str, *, anonymous_only: bool = False) -> int: ...
    def anonymous_issued(self, day: str, service_id: str, device: str) -> int: ...
    def add_anonymous(self, day: str, service_id: str, device: str) -> None: ...
    def stale_active(self, day: str) -> list[Ticket]: ...
    def recent_service_seconds(self, service_id: str, limit: int) -> list[float]: ...
    def get_counter_state(self, counter_id: str) -> CounterState: ...
    def put_counter_state(self, st: CounterState) -> None: ...
    def all_counter_states(self) -> dict[str, CounterState]: ...
    def active_at_counters(self, day: str) -> list[Ticket]: ...
    def append_event(
        self,
        at: float,
        day: str,
        kind: str,
        ticket_id: str | None,
        service_id: str | None,
        counter_id: str | None,
        staff_id: str | None,
        data: dict[str, Any],
    ) -> int: ...
    def events_after(self, seq: int, limit: int) -> list[tuple[int, str, str]]: ...
    def last_event_seq(self) -> int: ...
    def event_rows(self, day_from: str, day_to: str) -> list[dict[str, Any]]: ...
    def event_rows_after(self, seq: int, limit: int) -> list[dict[str, Any]]: ...
    def recent_events(self, day: str, kinds: Sequence[str], limit: int) -> list[tuple[int, str, str]]: ...
    def person_tickets(self, since_day: str, until_day: str) -> list[tuple[str, str, str]]: ...
    def event_rows_of(self, kinds: Sequence[str], day_from: str, day_to: str) -> list[dict[str, Any]]: ...
    def visit_tickets(self, services: Sequence[str], since: str, until: str) -> list[tuple[str | None, str, str]]: ...
    def put_appointments(self, rows: list[dict[str, Any]]) -> int: ...
    def find_appointment(self, code: str | None, id_hash: str | None, day: str) -> dict[str, Any] | None: ...
    def use_appointment(self, code: str, ticket_id: str) -> None: ...
    def put_rating(self, row: dict[str, Any]) -> None: ...
    def get_rating(self, ticket_id: str) -> dict[str, Any] | None: ...
    def ticket_by_number(self, day: str, number: str) -> Ticket | None: ...
    def ratings(self, day_from: str, day_to: str, bad_only: bool) -> list[dict[str, Any]]: ...
    def put_rectification(self, row: dict[str, Any]) -> None: ...
    def add_alert(self, row: dict[str, Any]) -> int: ...
    # cases and the rectification loop (queueing/cases.py)
    def put_stage_rating(self, row: dict[str, Any]) -> None: ...
    def get_stage_rating(self, ticket_id: str, stage: str) -> dict[str, Any] | None: ...
    def set_followup(self, ticket_id: str, stage: str, level: int | None, comment: str, at: float) -> bool: ...
    def unrated_finished(self, since_day: str, until_day: str) -> list[Ticket]: ...
    def rating_rows(self, day_from: str, day_to: str) -> list[dict[str, Any]]: ...
    def set_rating_case(self, ticket_id: str, case_no: str) -> None: ...
    def case_ratings(self, case_no: str) -> list[dict[str, Any]]: ...
    def put_loop(self, row: dict[str, Any]) -> None: ...
    def get_loop(self, ticket_id: str) -> dict[str, Any] | None: ...
    def update_loop(self, ticket_id: str, changes: dict[str, Any]) -> None: ...
    def loop_rows(self, day_from: str, day_to: str, open_only: bool) -> list[dict[str, Any]]: ...
    def alerts(self, include_acked: bool, limit: int) -> list[dict[str, Any]]: ...
    def ack_alert(self, alert_id: int, at: float, by: str | None, counter_id: str | None = None) -> bool: ...
    # alerts that reach a person and the display's notices (queueing/alerts.py, queueing/notices.py)
    def get_alert(self, alert_id: int) -> dict[str, Any] | None: ...
    def open_alerts(self, limit: int) -> list[dict[str, Any]]: ...
    def resolve_alert(self, alert_id: int, at: float, by: str | None, counter_id: str | None,
                      note: str | None) -> bool: ...
    def escalate_alerts(self, raised_before: float, at: float,
                        alert_id: int | None = None) -> list[dict[str, Any]]: ...
    def add_notice(self, row: dict[str, Any]) -> int: ...
    def notices(self, ending_after: float, limit: int) -> list[dict[str, Any]]: ...
    def withdraw_notice(self, notice_id: int, at: float, by: str | None) -> bool: ...
    # complaints (queueing/complaints.py): by id or by number; the days' ones, optionally of one state
    def put_complaint(self, row: dict[str, Any]) -> None: ...
    def complaint(self, complaint_id: str | None, number: str | None) -> dict[str, Any] | None: ...
    def update_complaint(self, complaint_id: str, changes: dict[str, Any]) -> None: ...
    def complaints(self, day_from: str, day_to: str, state: str | None, limit: int) -> list[dict[str, Any]]: ...
    # fleet health (queueing/fleet.py): one row per machine, its latest heartbeat and last seen
    def fleet_get(self, device: str) -> dict[str, Any] | None: ...
    def fleet_put(self, row: dict[str, Any]) -> None: ...
    def fleet_all(self) -> list[dict[str, Any]]: ...
    def fleet_set_silent(self, device: str, alert_id: int | None) -> None: ...


class ChangeDoorbell(Protocol):
    """Rings when any process may have committed to the store, so an event hub learns of other
    processes' commits (several hall-server workers on one hall). SQLite: a poll of
    ``PRAGMA data_version`` on its own connection; PostgreSQL: ``LISTEN`` for a ``NOTIFY`` sent
    by the committing transaction. A ring may be spurious (the hub then reads nothing new); a
    commit is never missed, because the hub reads ``seq > last published`` after each ring."""

    def wait(self, timeout: float) -> bool: ...  # True: something may have been committed
    def close(self) -> None: ...  # wakes a waiter; the doorbell rings no more


class QueueStore(Protocol):
    def write(self) -> AbstractContextManager[StoreTx]: ...
    def read(self) -> AbstractContextManager[StoreTx]: ...
    def probe(self, now: float) -> str | None: ...  # None: readable and writable; else why not
    def check_integrity(self) -> list[str]: ...  # a full check now; [] when sound
    def doorbell(self) -> ChangeDoorbell: ...  # a new one per caller (one per process's hub)
    def close(self) -> None: ...


# v1 is the schema of the release before versions existed, with IF NOT EXISTS: it adopts such a
# file (user_version 0) as it is and creates a new one. Never edit a released step: add one
# (docs/offline-cache.md, "How a schema migration is written").
_V1_BASE = """
CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS sequences(day TEXT NOT NULL, prefix TEXT NOT NULL, last INTEGER NOT NULL,
    PRIMARY KEY(day, prefix));
CREATE TABLE IF NOT EXISTS tickets(
    id TEXT PRIMARY KEY, day TEXT NOT NULL, number TEXT NOT NULL, service_id TEXT NOT NULL,
    priority TEXT NOT NULL, status TEXT NOT NULL, issued_at REAL NOT NULL, key_time REAL NOT NULL,
    seq INTEGER NOT NULL UNIQUE, person_hash TEXT, channel TEXT, appointment_code TEXT,
    slot_start REAL, slot_end REAL, counter_id TEXT, staff_id TEXT, called_at REAL, started_at REAL,
    finished_at REAL, recalls INTEGER NOT NULL DEFAULT 0, outcome TEXT, transferred_from TEXT,
    transferred_to TEXT);
CREATE INDEX IF NOT EXISTS tickets_waiting ON tickets(service_id, priority, day, key_time, seq)
    WHERE status = 'waiting';
CREATE INDEX IF NOT EXISTS tickets_active ON tickets(day, status)
    WHERE status IN ('waiting','called','serving');
CREATE INDEX IF NOT EXISTS tickets_person ON tickets(person_hash, day) WHERE person_hash IS NOT NULL;
CREATE INDEX IF NOT EXISTS tickets_service_day ON tickets(service_id, day);
CREATE INDEX IF NOT EXISTS tickets_finished ON tickets(service_id, finished_at) WHERE status = 'done';
CREATE TABLE IF NOT EXISTS counter_state(counter_id TEXT PRIMARY KEY, paused INTEGER NOT NULL,
    pause_reason TEXT, current_ticket_id TEXT, staff_id TEXT, normal_streak INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS events(seq INTEGER PRIMARY KEY AUTOINCREMENT, at REAL NOT NULL, day TEXT NOT NULL,
    kind TEXT NOT NULL, ticket_id TEXT, service_id TEXT, counter_id TEXT, staff_id TEXT, data TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS events_day ON events(day, kind, seq);
CREATE TABLE IF NOT EXISTS appointments(code TEXT PRIMARY KEY, day TEXT NOT NULL, service_id TEXT NOT NULL,
    id_number_hash TEXT, slot_start REAL NOT NULL, slot_end REAL NOT NULL, name_masked TEXT, ticket_id TEXT);
CREATE INDEX IF NOT EXISTS appointments_person ON appointments(id_number_hash, day);
CREATE TABLE IF NOT EXISTS ratings(ticket_id TEXT PRIMARY KEY, level INTEGER NOT NULL, reason TEXT,
    comment TEXT, at REAL NOT NULL, service_id TEXT, counter_id TEXT, staff_id TEXT);
CREATE TABLE IF NOT EXISTS rectifications(ticket_id TEXT PRIMARY KEY, response TEXT NOT NULL, at REAL NOT NULL,
    by TEXT);
CREATE TABLE IF NOT EXISTS alerts(id INTEGER PRIMARY KEY AUTOINCREMENT, at REAL NOT NULL, kind TEXT NOT NULL,
    source TEXT, message TEXT, acked_at REAL, acked_by TEXT);
"""

# v2: who calls (queueing/credentials.py): enrolled devices, staff accounts, staff sessions.
_V2_CREDENTIALS = """
CREATE TABLE devices(name TEXT PRIMARY KEY, role TEXT NOT NULL, counter_id TEXT, token_hash TEXT NOT NULL UNIQUE,
    created_at REAL NOT NULL, revoked_at REAL);
CREATE TABLE staff(id TEXT PRIMARY KEY, name TEXT NOT NULL, secret TEXT NOT NULL, pin INTEGER NOT NULL,
    supervisor INTEGER NOT NULL, disabled INTEGER NOT NULL, failures INTEGER NOT NULL, locked_until REAL);
CREATE TABLE staff_sessions(token_hash TEXT PRIMARY KEY, staff_id TEXT NOT NULL, device TEXT NOT NULL,
    counter_id TEXT, created_at REAL NOT NULL, expires_at REAL NOT NULL);
"""

# v3: tickets without an ID card per issuing device and service and day (the per-kiosk share).
_V3_ANONYMOUS = """
CREATE TABLE anonymous_issued(day TEXT NOT NULL, service_id TEXT NOT NULL, device TEXT NOT NULL,
    n INTEGER NOT NULL, PRIMARY KEY(day, service_id, device)) WITHOUT ROWID;
"""

# v4: complaints (吐槽找茬, queueing/complaints.py): the hall's number, the sealed text, who handled it.
_V4_COMPLAINTS = """
CREATE TABLE complaints(id TEXT PRIMARY KEY, number TEXT NOT NULL UNIQUE, day TEXT NOT NULL, topic TEXT NOT NULL,
    text_sealed BLOB, device TEXT, filed_at REAL NOT NULL, received_at REAL NOT NULL, offline INTEGER NOT NULL,
    state TEXT NOT NULL, assigned_to TEXT, assigned_by TEXT, assigned_at REAL, reply TEXT, replied_by TEXT,
    replied_at REAL, closed_by TEXT, closed_at REAL, alias TEXT);
CREATE INDEX complaints_day ON complaints(day, state);
CREATE UNIQUE INDEX complaints_alias ON complaints(alias) WHERE alias IS NOT NULL;
"""
COMPLAINT_COLUMNS = ("id", "number", "day", "topic", "text_sealed", "device", "filed_at", "received_at", "offline",
                     "state", "assigned_to", "assigned_by", "assigned_at", "reply", "replied_by", "replied_at",
                     "closed_by", "closed_at", "alias")
#: what update_complaint may change
COMPLAINT_CHANGES = frozenset(COMPLAINT_COLUMNS[9:])
# v5: fleet health (queueing/fleet.py): each machine's latest heartbeat, when it was last seen,
# and the open alert of its silence.
_V5_FLEET = """
CREATE TABLE fleet(device TEXT PRIMARY KEY, role TEXT NOT NULL, name TEXT, counter_id TEXT, state TEXT NOT NULL,
    seen_at REAL NOT NULL, silent_alert INTEGER);
"""
# v6: cases (办件编号 on the ticket), ratings tied to the case with sub-scores, the default rating
# and one 追评; ratings of earlier stages (一事多评); the rectification loop's clocks (queueing/cases.py).
_RATING_MORE = """case_no TEXT, attitude INTEGER, efficiency INTEGER, competence INTEGER,
    is_default INTEGER NOT NULL DEFAULT 0, followup_level INTEGER, followup_comment TEXT, followup_at REAL"""
_V6_CASES = f"""
ALTER TABLE tickets ADD COLUMN case_no TEXT;
CREATE INDEX tickets_case ON tickets(case_no) WHERE case_no IS NOT NULL;
ALTER TABLE ratings ADD COLUMN case_no TEXT;
ALTER TABLE ratings ADD COLUMN attitude INTEGER;
ALTER TABLE ratings ADD COLUMN efficiency INTEGER;
ALTER TABLE ratings ADD COLUMN competence INTEGER;
ALTER TABLE ratings ADD COLUMN is_default INTEGER NOT NULL DEFAULT 0;
ALTER TABLE ratings ADD COLUMN followup_level INTEGER;
ALTER TABLE ratings ADD COLUMN followup_comment TEXT;
ALTER TABLE ratings ADD COLUMN followup_at REAL;
CREATE TABLE stage_ratings(ticket_id TEXT NOT NULL, stage TEXT NOT NULL, level INTEGER NOT NULL, reason TEXT,
    comment TEXT, at REAL NOT NULL, service_id TEXT, counter_id TEXT, staff_id TEXT, {_RATING_MORE},
    PRIMARY KEY(ticket_id, stage));
CREATE TABLE rating_loops(ticket_id TEXT PRIMARY KEY, stage TEXT NOT NULL, opened_at REAL NOT NULL,
    opened_day TEXT NOT NULL, callback_due TEXT NOT NULL, rectify_due TEXT NOT NULL, callback_at REAL,
    callback_by TEXT, callback_note TEXT, verified_at REAL, verified_by TEXT, verified_note TEXT,
    callback_escalated INTEGER NOT NULL DEFAULT 0, rectify_escalated INTEGER NOT NULL DEFAULT 0);
CREATE INDEX rating_loops_day ON rating_loops(opened_day);
"""

# v7: alerts that reach a person (the counter a help call goes to first, when it escalated, who
# acknowledged it at which counter, who resolved it) and the display's notices posted by staff.
_V7_ALERTS_NOTICES = """
ALTER TABLE alerts ADD COLUMN counter_id TEXT;
ALTER TABLE alerts ADD COLUMN escalated_at REAL;
ALTER TABLE alerts ADD COLUMN acked_counter TEXT;
ALTER TABLE alerts ADD COLUMN resolved_at REAL;
ALTER TABLE alerts ADD COLUMN resolved_by TEXT;
ALTER TABLE alerts ADD COLUMN resolved_counter TEXT;
ALTER TABLE alerts ADD COLUMN resolution TEXT;
CREATE INDEX alerts_open ON alerts(id) WHERE resolved_at IS NULL;
CREATE TABLE notices(id INTEGER PRIMARY KEY AUTOINCREMENT, text_zh TEXT NOT NULL, text_en TEXT NOT NULL,
    starts_at REAL NOT NULL, ends_at REAL NOT NULL, posted_at REAL NOT NULL, posted_by TEXT,
    withdrawn_at REAL, withdrawn_by TEXT);
CREATE INDEX notices_ends ON notices(ends_at);
"""

SCHEMA = Schema("queue.db", (
    Migration("v1: tickets, events, counters, appointments, ratings, alerts (before versions)", _V1_BASE),
    Migration("v2: devices, staff accounts and sessions", _V2_CREDENTIALS),
    Migration("v3: anonymous tickets per issuing device", _V3_ANONYMOUS),
    Migration("v4: complaints with their numbers and handling", _V4_COMPLAINTS),
    Migration("v5: fleet health, each machine's latest heartbeat", _V5_FLEET),
    Migration("v6: cases, stage ratings, sub-scores, follow-ups, the rectification loop", _V6_CASES),
    Migration("v7: alerts acknowledged, resolved and escalated; display notices", _V7_ALERTS_NOTICES),
))

_SELECT = "SELECT " + ", ".join(TICKET_COLUMNS) + " FROM tickets"
RATING_COLUMNS = ("ticket_id", "level", "reason", "comment", "at", "service_id", "counter_id", "staff_id",
                  "case_no", "attitude", "efficiency", "competence", "is_default", "followup_level",
                  "followup_comment", "followup_at")
LOOP_UPDATABLE = ("callback_at", "callback_by", "callback_note", "verified_at", "verified_by", "verified_note",
                  "callback_escalated", "rectify_escalated")


def _rating_row(row: dict[str, Any]) -> dict[str, Any]:
    """A rating row with every column (the ones a caller leaves out are empty)."""
    return {c: row.get(c, 0 if c == "is_default" else None) for c in RATING_COLUMNS} | (
        {"stage": row["stage"]} if "stage" in row else {})


def _ticket(row: tuple[Any, ...] | None) -> Ticket | None:
    return None if row is None else Ticket(*row)


class SQLiteTx:
    """One transaction on one connection; see ``StoreTx`` for the meaning of each method."""

    def __init__(self, con: sqlite3.Connection) -> None:
        self.con = con
        self._heads_sql: dict[tuple[int, int], str] = {}
        self.events: list[EventRow] = []

    @contextmanager
    def savepoint(self) -> Iterator[None]:
        mark = len(self.events)
        self.con.execute("SAVEPOINT op")
        try:
            yield
        except BaseException:
            del self.events[mark:]
            try:
                self.con.execute("ROLLBACK TO op")
                self.con.execute("RELEASE op")
            except sqlite3.Error:  # the whole transaction is rolled back by write()
                log.warning("rollback to savepoint failed", exc_info=True)
            raise
        self.con.execute("RELEASE op")

    def get_meta(self, key: str) -> str | None:
        row = self.con.execute("SELECT value FROM meta WHERE key=?", (key,)).fetchone()
        return None if row is None else row[0]

    def set_meta(self, key: str, value: str) -> None:
        self.con.execute(
            "INSERT INTO meta(key, value) VALUES(?, ?) ON CONFLICT(key) DO UPDATE SET value=excluded.value",
            (key, value),
        )

    def next_number(self, day: str, prefix: str) -> int:
        row = self.con.execute(
            "INSERT INTO sequences(day, prefix, last) VALUES(?, ?, 1) "
            "ON CONFLICT(day, prefix) DO UPDATE SET last = last + 1 RETURNING last",
            (day, prefix),
        ).fetchone()
        return int(row[0])

    def insert_ticket(self, t: Ticket) -> None:
        marks = ", ".join("?" * len(TICKET_COLUMNS))
        self.con.execute(f"INSERT INTO tickets({', '.join(TICKET_COLUMNS)}) VALUES({marks})", ticket_values(t))

    def update_ticket(self, t: Ticket, expect_status: str | None = None) -> None:
        sql = _UPDATE_TICKET
        args: list[Any] = [getattr(t, c) for c in TICKET_CHANGING] + [getattr(t, c) for c in TICKET_FIXED]
        if expect_status is not None:
            sql += " AND status=?"
            args.append(expect_status)
        if self.con.execute(sql, args).rowcount != 1:
            # cannot happen: the write lock is held, and no operation changes a fixed column
            raise RuntimeError(f"ticket {t.id} changed under the transaction (or a fixed column in memory)")

    def get_ticket(self, ticket_id: str) -> Ticket | None:
        return _ticket(self.con.execute(_SELECT + " WHERE id=?", (ticket_id,)).fetchone())

    def waiting_heads(self, day: str, service_ids: Sequence[str], per_group: int) -> list[Ticket]:
        key = (len(service_ids), per_group)
        sql = self._heads_sql.get(key)
        if sql is None:
            one = (
                f"SELECT * FROM ({_SELECT} WHERE status='waiting' AND service_id=? AND priority=? AND day=? "
                f"ORDER BY key_time, seq LIMIT {int(per_group)})"
            )
            sql = " UNION ALL ".join([one] * (3 * len(service_ids)))
            self._heads_sql[key] = sql
        args: list[Any] = []
        for sid in service_ids:
            for prio in ("normal", "green", "appointment"):
                args += [sid, prio, day]
        return [Ticket(*r) for r in self.con.execute(sql, args)]

    def waiting(self, day: str, service_id: str | None, limit: int) -> list[Ticket]:
        if service_id is None:
            rows = self.con.execute(
                _SELECT + " WHERE status='waiting' AND day=? ORDER BY key_time, seq LIMIT ?", (day, limit)
            )
        else:  # the waiting index, not the day's (service_id, day) one: what waits, not the day
            rows = self.con.execute(
                _SELECT + " INDEXED BY tickets_waiting WHERE status='waiting' AND day=? AND service_id=? "
                "ORDER BY key_time, seq LIMIT ?",
                (day, service_id, limit),
            )
        return [Ticket(*r) for r in rows]

    def waiting_counts(self, day: str) -> dict[tuple[str, str], int]:
        rows = self.con.execute(
            "SELECT service_id, priority, count(*) FROM tickets WHERE status='waiting' AND day=? "
            "GROUP BY service_id, priority",
            (day,),
        )
        return {(s, p): n for s, p, n in rows}

    def ahead_counts(
        self, day: str, service_ids: Sequence[str], cls: str, now: float, key_time: float, seq: int
    ) -> dict[str, int]:
        """Waiting tickets a strict policy calls before a ticket of class ``cls`` (policy.py), per service.

        One count per priority, each a range of the waiting index (service, priority, day,
        key_time, seq): the cost is the tickets counted, not the day's (issue 16)."""
        earlier, due = "(key_time, seq) < (?, ?)", "slot_start <= ?"
        terms: list[tuple[str, str, tuple[Any, ...]]] = {
            "P": [("green", earlier, (key_time, seq)),
                  ("appointment", f"{due} AND {earlier}", (now, key_time, seq))],
            "N": [("green", "", ()), ("appointment", due, (now,)), ("normal", earlier, (key_time, seq))],
            "L": [("green", "", ()), ("normal", "", ()),
                  ("appointment", f"({due} OR {earlier})", (now, key_time, seq))],
        }[cls]
        marks = ",".join("?" * len(service_ids))
        parts, args = [], []
        for prio, cond, extra in terms:
            parts.append("SELECT service_id, count(*) AS n FROM tickets INDEXED BY tickets_waiting "
                         f"WHERE status='waiting' AND service_id IN ({marks}) AND priority='{prio}' AND day=?"
                         + (f" AND {cond}" if cond else "") + " GROUP BY service_id")
            args += [*service_ids, day, *extra]
        rows = self.con.execute(
            f"SELECT service_id, sum(n) FROM ({' UNION ALL '.join(parts)}) GROUP BY service_id", args)
        return {sid: int(n) for sid, n in rows}

    def count_person(self, day: str, person_hash: str, service_id: str | None, active_only: bool) -> int:
        sql = (
            "SELECT count(*) FROM tickets WHERE person_hash=? AND day=? AND transferred_from IS NULL"
            if not active_only
            else f"SELECT count(*) FROM tickets WHERE person_hash=? AND day=? AND status IN {ACTIVE!r}"
        )
        args: list[Any] = [person_hash, day]
        if service_id is not None:
            sql += " AND service_id=?"
            args.append(service_id)
        return int(self.con.execute(sql, args).fetchone()[0])

    def count_case_active(self, day: str, case_no: str, service_id: str) -> int:
        """Active tickets of the day for one case at one service (a pickup ticket taken twice)."""
        sql = f"SELECT count(*) FROM tickets WHERE case_no=? AND day=? AND service_id=? AND status IN {ACTIVE!r}"
        return int(self.con.execute(sql, (case_no, day, service_id)).fetchone()[0])

    def count_issued(self, day: str, service_id: str, *, anonymous_only: bool = False) -> int:
        sql = "SELECT count(*) FROM tickets WHERE service_id=? AND day=? AND transferred_from IS NULL"
        if anonymous_only:  # issued without an ID number (nor an appointment's)
            sql += " AND person_hash IS NULL"
        return int(self.con.execute(sql, (service_id, day)).fetchone()[0])

    def anonymous_issued(self, day: str, service_id: str, device: str) -> int:
        row = self.con.execute("SELECT n FROM anonymous_issued WHERE day=? AND service_id=? AND device=?",
                               (day, service_id, device)).fetchone()
        return int(row[0]) if row else 0

    def add_anonymous(self, day: str, service_id: str, device: str) -> None:
        self.con.execute("INSERT INTO anonymous_issued(day, service_id, device, n) VALUES(?,?,?,1) "
                         "ON CONFLICT(day, service_id, device) DO UPDATE SET n = n + 1", (day, service_id, device))

    def stale_active(self, day: str) -> list[Ticket]:
        return [
            Ticket(*r) for r in self.con.execute(_SELECT + f" WHERE status IN {ACTIVE!r} AND day < ?", (day,))
        ]

    def recent_service_seconds(self, service_id: str, limit: int) -> list[float]:
        rows = self.con.execute(
            "SELECT finished_at - coalesce(started_at, called_at) FROM tickets "
            "WHERE service_id=? AND status='done' "
            "AND finished_at IS NOT NULL ORDER BY finished_at DESC LIMIT ?",
            (service_id, limit),
        )
        return [r[0] for r in rows if r[0] is not None and r[0] >= 0]

    def get_counter_state(self, counter_id: str) -> CounterState:
        row = self.con.execute(
            "SELECT counter_id, paused, pause_reason, current_ticket_id, staff_id, normal_streak "
            "FROM counter_state WHERE counter_id=?",
            (counter_id,),
        ).fetchone()
        if row is None:
            return CounterState(counter_id)
        return CounterState(row[0], bool(row[1]), row[2], row[3], row[4], row[5])

    def all_counter_states(self) -> dict[str, CounterState]:
        rows = self.con.execute(
            "SELECT counter_id, paused, pause_reason, current_ticket_id, staff_id, normal_streak "
            "FROM counter_state"
        )
        return {r[0]: CounterState(r[0], bool(r[1]), r[2], r[3], r[4], r[5]) for r in rows}

    def put_counter_state(self, st: CounterState) -> None:
        self.con.execute(
            "INSERT INTO counter_state VALUES(?,?,?,?,?,?) ON CONFLICT(counter_id) DO UPDATE SET "
            "paused=excluded.paused, pause_reason=excluded.pause_reason, "
            "current_ticket_id=excluded.current_ticket_id,"
            " staff_id=excluded.staff_id, normal_streak=excluded.normal_streak",
            (
                st.counter_id,
                int(st.paused),
                st.pause_reason,
                st.current_ticket_id,
                st.staff_id,
                st.normal_streak,
            ),
        )

    def active_at_counters(self, day: str) -> list[Ticket]:
        return [
            Ticket(*r)
            for r in self.con.execute(
                # the partial index's own condition, word for word, lets SQLite use it
                _SELECT + " WHERE status IN ('waiting','called','serving') AND status IN ('called','serving') "
                "AND day=? ORDER BY called_at DESC", (day,)
            )
        ]

    def append_event(
        self,
        at: float,
        day: str,
        kind: str,
        ticket_id: str | None,
        service_id: str | None,
        counter_id: str | None,
        staff_id: str | None,
        data: dict[str, Any],
    ) -> int:
        text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
        cur = self.con.execute(
            "INSERT INTO events(at, day, kind, ticket_id, service_id, counter_id, staff_id, data) "
            "VALUES(?,?,?,?,?,?,?,?)",
            (at, day, kind, ticket_id, service_id, counter_id, staff_id, text),
        )
        seq = int(cur.lastrowid or 0)
        self.events.append((seq, kind, text))
        return seq

    def last_event_seq(self) -> int:
        return int(self.con.execute("SELECT coalesce(max(seq), 0) FROM events").fetchone()[0])

    def events_after(self, seq: int, limit: int) -> list[tuple[int, str, str]]:
        return list(
            self.con.execute(
                "SELECT seq, kind, data FROM events WHERE seq > ? ORDER BY seq LIMIT ?", (seq, limit)
            )
        )

    def recent_events(self, day: str, kinds: Sequence[str], limit: int) -> list[tuple[int, str, str]]:
        marks = ",".join("?" * len(kinds))
        return list(
            self.con.execute(
                f"SELECT seq, kind, data FROM events WHERE day=? AND kind IN ({marks}) "
                "ORDER BY seq DESC LIMIT ?",
                (day, *kinds, limit),
            )
        )

    def event_rows(self, day_from: str, day_to: str) -> list[dict[str, Any]]:
        cur = self.con.execute(
            "SELECT seq, at, day, kind, ticket_id, service_id, counter_id, staff_id, data "
            "FROM events WHERE day BETWEEN ? AND ? ORDER BY seq",
            (day_from, day_to),
        )
        names = [d[0] for d in cur.description]
        return [dict(zip(names, r, strict=True)) for r in cur]

    def event_rows_after(self, seq: int, limit: int) -> list[dict[str, Any]]:
        cur = self.con.execute(
            "SELECT seq, at, day, kind, ticket_id, service_id, counter_id, staff_id, data "
            "FROM events WHERE seq > ? ORDER BY seq LIMIT ?",
            (seq, limit),
        )
        names = [d[0] for d in cur.description]
        return [dict(zip(names, r, strict=True)) for r in cur]

    def person_tickets(self, since_day: str, until_day: str) -> list[tuple[str, str, str]]:
        return list(
            self.con.execute(
                "SELECT person_hash, service_id, day FROM tickets "
                "WHERE person_hash IS NOT NULL AND day BETWEEN ? AND ? "
                "AND transferred_from IS NULL ORDER BY day",
                (since_day, until_day),
            )
        )

    def event_rows_of(self, kinds: Sequence[str], day_from: str, day_to: str) -> list[dict[str, Any]]:
        """Events of these kinds over the days (statistics: rectifications after the period)."""
        marks = ",".join("?" * len(kinds))
        cur = self.con.execute(
            "SELECT seq, at, day, kind, ticket_id, service_id, counter_id, staff_id, data "
            f"FROM events WHERE day BETWEEN ? AND ? AND kind IN ({marks}) ORDER BY seq",
            (day_from, day_to, *kinds),
        )
        names = [d[0] for d in cur.description]
        return [dict(zip(names, r, strict=True)) for r in cur]

    def visit_tickets(self, services: Sequence[str], since: str, until: str) -> list[tuple[str | None, str, str]]:
        """(person hash or None, service, day) of every ticket issued for these services over the
        days (跑动次数), by the per-service-per-day index."""
        marks = ",".join("?" * len(services))
        return list(
            self.con.execute(
                f"SELECT person_hash, service_id, day FROM tickets WHERE service_id IN ({marks}) "
                "AND day BETWEEN ? AND ? AND transferred_from IS NULL",
                (*services, since, until),
            )
        )

    def put_appointments(self, rows: list[dict[str, Any]]) -> int:
        n = 0
        for r in rows:
            n += self.con.execute(
                "INSERT INTO appointments(code, day, service_id, id_number_hash, slot_start, slot_end, "
                "name_masked) "
                "VALUES(:code, :day, :service_id, :id_number_hash, :slot_start, :slot_end, :name_masked) "
                "ON CONFLICT(code) DO UPDATE SET day=excluded.day, service_id=excluded.service_id, "
                "id_number_hash=excluded.id_number_hash, slot_start=excluded.slot_start, "
                "slot_end=excluded.slot_end,"
                " name_masked=excluded.name_masked WHERE appointments.ticket_id IS NULL",
                r,
            ).rowcount
        return n

    def find_appointment(self, code: str | None, id_hash: str | None, day: str) -> dict[str, Any] | None:
        cur = (
            self.con.execute("SELECT * FROM appointments WHERE code=?", (code,))
            if code
            else self.con.execute(
                "SELECT * FROM appointments WHERE id_number_hash=? AND day=? AND ticket_id IS NULL "
                "ORDER BY slot_start LIMIT 1",
                (id_hash, day),
            )
        )
        row = cur.fetchone()
        return None if row is None else dict(zip([d[0] for d in cur.description], row, strict=True))

    def use_appointment(self, code: str, ticket_id: str) -> None:
        self.con.execute("UPDATE appointments SET ticket_id=? WHERE code=?", (ticket_id, code))

    def put_rating(self, row: dict[str, Any]) -> None:
        self.con.execute(
            f"INSERT INTO ratings({', '.join(RATING_COLUMNS)}) VALUES({', '.join(':' + c for c in RATING_COLUMNS)})",
            _rating_row(row),
        )

    def put_stage_rating(self, row: dict[str, Any]) -> None:
        cols = ("stage", *RATING_COLUMNS)
        self.con.execute(f"INSERT INTO stage_ratings({', '.join(cols)}) VALUES({', '.join(':' + c for c in cols)})",
                         _rating_row(row))

    def get_stage_rating(self, ticket_id: str, stage: str) -> dict[str, Any] | None:
        cur = self.con.execute("SELECT * FROM stage_ratings WHERE ticket_id=? AND stage=?", (ticket_id, stage))
        row = cur.fetchone()
        return None if row is None else dict(zip([d[0] for d in cur.description], row, strict=True))

    def set_followup(self, ticket_id: str, stage: str, level: int | None, comment: str, at: float) -> bool:
        table, where, args = (("ratings", "ticket_id=?", (ticket_id,)) if stage == "finish"
                              else ("stage_ratings", "ticket_id=? AND stage=?", (ticket_id, stage)))
        return self.con.execute(
            f"UPDATE {table} SET followup_level=?, followup_comment=?, followup_at=? WHERE {where} "
            "AND followup_at IS NULL", (level, comment, at, *args)).rowcount == 1

    def unrated_finished(self, since_day: str, until_day: str) -> list[Ticket]:
        return [Ticket(*r) for r in self.con.execute(
            _SELECT + " WHERE status='done' AND day BETWEEN ? AND ? "
            "AND NOT EXISTS (SELECT 1 FROM ratings r WHERE r.ticket_id = tickets.id) ORDER BY seq",
            (since_day, until_day))]

    def rating_rows(self, day_from: str, day_to: str) -> list[dict[str, Any]]:
        cols = ", ".join("r." + c for c in RATING_COLUMNS) + ", t.number, t.day, t.case_no AS ticket_case_no"
        cur = self.con.execute(
            f"SELECT 'finish' AS stage, {cols} FROM ratings r JOIN tickets t ON t.id = r.ticket_id "
            f"WHERE t.day BETWEEN ? AND ? UNION ALL SELECT r.stage, {cols} FROM stage_ratings r "
            "JOIN tickets t ON t.id = r.ticket_id WHERE t.day BETWEEN ? AND ? ORDER BY at",
            (day_from, day_to, day_from, day_to))
        names = [d[0] for d in cur.description]
        return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]

    def case_ratings(self, case_no: str) -> list[dict[str, Any]]:
        # the ratings of a case (any day's tickets finished with that 办件编号), every stage
        cols = ", ".join("r." + c for c in RATING_COLUMNS) + ", t.number, t.day"
        cur = self.con.execute(
            f"SELECT 'finish' AS stage, {cols} FROM ratings r JOIN tickets t ON t.id = r.ticket_id "
            f"WHERE t.case_no=? UNION ALL SELECT r.stage, {cols} FROM stage_ratings r "
            "JOIN tickets t ON t.id = r.ticket_id WHERE t.case_no=? ORDER BY at", (case_no, case_no))
        names = [d[0] for d in cur.description]
        return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]

    def set_rating_case(self, ticket_id: str, case_no: str) -> None:
        for table in ("ratings", "stage_ratings"):
            self.con.execute(f"UPDATE {table} SET case_no=? WHERE ticket_id=? AND case_no IS NULL",
                             (case_no, ticket_id))

    def put_loop(self, row: dict[str, Any]) -> None:
        self.con.execute(
            "INSERT INTO rating_loops(ticket_id, stage, opened_at, opened_day, callback_due, rectify_due) "
            "VALUES(:ticket_id, :stage, :opened_at, :opened_day, :callback_due, :rectify_due)", row)

    def get_loop(self, ticket_id: str) -> dict[str, Any] | None:
        rows = self._loops("l.ticket_id=?", (ticket_id,))
        return rows[0] if rows else None

    def update_loop(self, ticket_id: str, changes: dict[str, Any]) -> None:
        unknown = set(changes) - set(LOOP_UPDATABLE)
        if unknown:
            raise ValueError(f"not a rating_loops column: {unknown}")
        self.con.execute(f"UPDATE rating_loops SET {', '.join(c + '=?' for c in changes)} WHERE ticket_id=?",
                         (*changes.values(), ticket_id))

    def loop_rows(self, day_from: str, day_to: str, open_only: bool) -> list[dict[str, Any]]:
        if open_only:
            return self._loops("l.verified_at IS NULL", ())
        return self._loops("l.opened_day BETWEEN ? AND ?", (day_from, day_to))

    def _loops(self, where: str, args: tuple[Any, ...]) -> list[dict[str, Any]]:
        cur = self.con.execute(
            "SELECT l.*, t.number, t.day, t.case_no, t.service_id, t.counter_id, t.staff_id, "
            "x.response, x.at AS rectified_at, x.by AS rectified_by FROM rating_loops l "
            "JOIN tickets t ON t.id = l.ticket_id LEFT JOIN rectifications x ON x.ticket_id = l.ticket_id "
            f"WHERE {where} ORDER BY l.opened_at", args)
        names = [d[0] for d in cur.description]
        return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]

    def get_rating(self, ticket_id: str) -> dict[str, Any] | None:
        cur = self.con.execute("SELECT * FROM ratings WHERE ticket_id=?", (ticket_id,))
        row = cur.fetchone()
        return None if row is None else dict(zip([d[0] for d in cur.description], row, strict=True))

    def ticket_by_number(self, day: str, number: str) -> Ticket | None:
        # A transfer keeps the number: the newest ticket of that number is the live one.
        return _ticket(self.con.execute(_SELECT + " WHERE day=? AND number=? ORDER BY seq DESC LIMIT 1",
                                        (day, number)).fetchone())

    def ratings(self, day_from: str, day_to: str, bad_only: bool) -> list[dict[str, Any]]:
        cur = self.con.execute(
            "SELECT r.ticket_id, t.number, t.day, r.level, r.reason, r.comment, r.at, r.service_id, r.counter_id, "
            "r.staff_id, r.case_no, r.attitude, r.efficiency, r.competence, r.is_default, r.followup_level, "
            "r.followup_comment, x.response, x.at AS rectified_at, x.by AS rectified_by FROM ratings r "
            "JOIN tickets t ON t.id = r.ticket_id LEFT JOIN rectifications x ON x.ticket_id = r.ticket_id "
            "WHERE t.day BETWEEN ? AND ? AND (? = 0 OR r.level <= 2) ORDER BY r.at",
            (day_from, day_to, 1 if bad_only else 0),
        )
        names = [d[0] for d in cur.description]
        return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]

    def put_rectification(self, row: dict[str, Any]) -> None:
        self.con.execute(
            "INSERT INTO rectifications(ticket_id, response, at, by) VALUES(:ticket_id, :response, :at, :by) "
            "ON CONFLICT(ticket_id) DO UPDATE SET response=excluded.response, at=excluded.at, by=excluded.by",
            row,
        )

    def add_alert(self, row: dict[str, Any]) -> int:
        cur = self.con.execute(
            "INSERT INTO alerts(at, kind, source, message, counter_id) VALUES(:at, :kind, :source, :message, "
            ":counter_id)", {"counter_id": None, **row}
        )
        return int(cur.lastrowid or 0)

    def alerts(self, include_acked: bool, limit: int) -> list[dict[str, Any]]:
        cur = self.con.execute(
            "SELECT * FROM alerts"
            + ("" if include_acked else " WHERE acked_at IS NULL")
            + " ORDER BY id DESC LIMIT ?",
            (limit,),
        )
        names = [d[0] for d in cur.description]
        return [dict(zip(names, r, strict=True)) for r in cur]

    def ack_alert(self, alert_id: int, at: float, by: str | None, counter_id: str | None = None) -> bool:
        return (
            self.con.execute(
                "UPDATE alerts SET acked_at=?, acked_by=?, acked_counter=? WHERE id=? AND acked_at IS NULL",
                (at, by, counter_id, alert_id)
            ).rowcount
            == 1
        )

    _FLEET = "SELECT device, role, name, counter_id, state, seen_at, silent_alert FROM fleet"

    def _fleet_rows(self, cur: sqlite3.Cursor) -> list[dict[str, Any]]:
        names = [d[0] for d in cur.description]
        return [dict(zip(names, r, strict=True)) for r in cur]

    def fleet_get(self, device: str) -> dict[str, Any] | None:
        found = self._fleet_rows(self.con.execute(self._FLEET + " WHERE device=?", (device,)))
        return found[0] if found else None

    def fleet_put(self, row: dict[str, Any]) -> None:
        self.con.execute(
            "INSERT INTO fleet(device, role, name, counter_id, state, seen_at, silent_alert) VALUES(:device, :role, "
            ":name, :counter_id, :state, :seen_at, :silent_alert) ON CONFLICT(device) DO UPDATE SET "
            "role=excluded.role, name=excluded.name, counter_id=excluded.counter_id, state=excluded.state, "
            "seen_at=excluded.seen_at, silent_alert=excluded.silent_alert",
            row,
        )

    def fleet_all(self) -> list[dict[str, Any]]:
        return self._fleet_rows(self.con.execute(self._FLEET + " ORDER BY device"))

    def fleet_set_silent(self, device: str, alert_id: int | None) -> None:
        self.con.execute("UPDATE fleet SET silent_alert=? WHERE device=?", (alert_id, device))

    def _alert_rows(self, sql: str, args: tuple[Any, ...]) -> list[dict[str, Any]]:
        cur = self.con.execute(sql, args)
        names = [d[0] for d in cur.description]
        return [dict(zip(names, r, strict=True)) for r in cur]

    def get_alert(self, alert_id: int) -> dict[str, Any] | None:
        rows = self._alert_rows("SELECT * FROM alerts WHERE id=?", (alert_id,))
        return rows[0] if rows else None

    def open_alerts(self, limit: int) -> list[dict[str, Any]]:
        return self._alert_rows("SELECT * FROM alerts WHERE resolved_at IS NULL ORDER BY id DESC LIMIT ?", (limit,))

    def resolve_alert(self, alert_id: int, at: float, by: str | None, counter_id: str | None,
                      note: str | None) -> bool:
        return self.con.execute(
            "UPDATE alerts SET resolved_at=?, resolved_by=?, resolved_counter=?, resolution=?, "
            "acked_at=coalesce(acked_at, ?), acked_by=CASE WHEN acked_at IS NULL THEN ? ELSE acked_by END, "
            "acked_counter=CASE WHEN acked_at IS NULL THEN ? ELSE acked_counter END "
            "WHERE id=? AND resolved_at IS NULL",
            (at, by, counter_id, note, at, by, counter_id, alert_id)).rowcount == 1

    def escalate_alerts(self, raised_before: float, at: float,
                        alert_id: int | None = None) -> list[dict[str, Any]]:
        return self._alert_rows(
            "UPDATE alerts SET escalated_at=? WHERE counter_id IS NOT NULL AND escalated_at IS NULL "
            "AND acked_at IS NULL AND resolved_at IS NULL AND at <= ? AND (? IS NULL OR id = ?) RETURNING *",
            (at, raised_before, alert_id, alert_id))

    def add_notice(self, row: dict[str, Any]) -> int:
        cur = self.con.execute(
            "INSERT INTO notices(text_zh, text_en, starts_at, ends_at, posted_at, posted_by) "
            "VALUES(:text_zh, :text_en, :starts_at, :ends_at, :posted_at, :posted_by)", row)
        return int(cur.lastrowid or 0)

    def notices(self, ending_after: float, limit: int) -> list[dict[str, Any]]:
        return self._alert_rows(
            "SELECT * FROM notices WHERE withdrawn_at IS NULL AND ends_at > ? ORDER BY starts_at, id LIMIT ?",
            (ending_after, limit))

    def withdraw_notice(self, notice_id: int, at: float, by: str | None) -> bool:
        return self.con.execute("UPDATE notices SET withdrawn_at=?, withdrawn_by=? WHERE id=? AND withdrawn_at IS NULL",
                                (at, by, notice_id)).rowcount == 1


    def put_complaint(self, row: dict[str, Any]) -> None:
        self.con.execute(f"INSERT INTO complaints({', '.join(COMPLAINT_COLUMNS)}) "
                         f"VALUES({', '.join(':' + c for c in COMPLAINT_COLUMNS)})", row)

    def complaint(self, complaint_id: str | None, number: str | None) -> dict[str, Any] | None:
        if complaint_id is not None:
            cur = self.con.execute(f"SELECT {', '.join(COMPLAINT_COLUMNS)} FROM complaints WHERE id=?", (complaint_id,))
        else:  # its number, or the kiosk's local number of one the hall numbered (an answer lost)
            cur = self.con.execute(f"SELECT {', '.join(COMPLAINT_COLUMNS)} FROM complaints WHERE number=? "
                                   "UNION ALL SELECT " + ", ".join(COMPLAINT_COLUMNS) + " FROM complaints "
                                   "WHERE alias=? LIMIT 1", (number, number))
        row = cur.fetchone()
        return None if row is None else dict(zip(COMPLAINT_COLUMNS, row, strict=True))

    def update_complaint(self, complaint_id: str, changes: dict[str, Any]) -> None:
        cols = [c for c in changes if c in COMPLAINT_CHANGES]
        self.con.execute(f"UPDATE complaints SET {', '.join(c + '=?' for c in cols)} WHERE id=?",
                         [*(changes[c] for c in cols), complaint_id])

    def complaints(self, day_from: str, day_to: str, state: str | None, limit: int) -> list[dict[str, Any]]:
        cur = self.con.execute(
            f"SELECT {', '.join(COMPLAINT_COLUMNS)} FROM complaints WHERE day BETWEEN ? AND ? "
            "AND (? IS NULL OR state=?) ORDER BY received_at DESC LIMIT ?", (day_from, day_to, state, state, limit))
        return [dict(zip(COMPLAINT_COLUMNS, r, strict=True)) for r in cur]


class SQLiteDoorbell:
    """``ChangeDoorbell`` of a SQLite file: ``PRAGMA data_version`` on a connection of its own
    changes whenever another connection (of this process or another) committed; it costs ~10 µs
    and reads no page, so polling it every ``interval`` seconds is cheap."""

    def __init__(self, path: str, interval: float = 0.005) -> None:
        self.interval = interval
        self._con = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self._closed = threading.Event()
        self._version = self._read()

    def _read(self) -> int:
        return int(self._con.execute("PRAGMA data_version").fetchone()[0])

    def wait(self, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while not self._closed.is_set():
            try:
                version = self._read()
            except sqlite3.Error:  # a damaged or vanished file: the store reports it; ring, let the hub read
                log.warning("doorbell could not read data_version", exc_info=True)
                self._closed.wait(max(self.interval, 0.5))
                return True
            if version != self._version:
                self._version = version
                return True
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            self._closed.wait(min(self.interval, left))
        self._con.close()  # in the waiting thread: never under a running statement
        return False

    def close(self) -> None:
        self._closed.set()


# Tables a repair copies from the recovered file into the fresh one (in this order).
_TABLES = ("meta", "sequences", "tickets", "counter_state", "events", "appointments", "ratings",
           "rectifications", "alerts", "complaints", "stage_ratings", "rating_loops", "notices")
CHECKPOINT_IDLE_S = 0.05
CHECKPOINT_FORCE_COMMITS = 2000
SALVAGE_NUMBER_SKIP = 100  # after a repair each day's numbering skips this far past the highest kept
_NUMBER = re.compile(r"^(.*?)(\d+)$")


class SQLiteStore:
    """One SQLite file, one connection per thread (WAL: readers never block the writer)."""

    def __init__(self, path: Path | str, busy_timeout_ms: int = 30_000, checkpointer: bool = True) -> None:
        self.path = str(path)
        self.busy_timeout_ms = busy_timeout_ms
        self._commits = 0  # since the last checkpoint
        self._last_commit = 0.0
        self._stop = threading.Event()
        self._checkpointer: threading.Thread | None = None
        self._own_checkpoints = checkpointer
        self._local = threading.local()
        self._all: list[sqlite3.Connection] = []
        self._lock = threading.Lock()
        # Threads of one process queue here, and processes (hall-server --workers) on an flock
        # of queue.db-writer.lock, instead of in SQLite's busy handler, which sleeps in growing
        # steps (1, 2, 5 … 100 ms) and lets one busy writer starve the others: the kernel wakes
        # the next writer the moment the lock is released. Writers that do not take it (the
        # credentials CLI, an old version) still serialise on SQLite's own lock (busy_timeout).
        self._write_lock = threading.Lock()
        self._writer_file: int | None = None
        self.failure: str | None = None  # the last storage error, until a probe writes again
        self.damaged: str | None = None  # SQLITE_CORRUPT seen while running: sticky until restart
        self.repaired: dict[str, Any] | None = None  # what the start-up repair did, if anything
        self._alerted: str | None = None  # the failure a probe last raised an alert for
        self._trace: Callable[[str], object] | None = None
        damage = check_file(Path(self.path)) if Path(self.path).exists() else []
        moved = self._set_aside(damage) if damage else []
        migrate(self._tx().con, SCHEMA, self.path)
        if moved:
            self._restore(damage, moved)
        if checkpointer:
            self._checkpointer = threading.Thread(target=self._checkpoints, name="queue-db-checkpoint", daemon=True)
            self._checkpointer.start()

    def _checkpoints(self) -> None:
        """Passive checkpoints when writes pause (or after many commits): see the module doc."""
        con = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False,
                              timeout=self.busy_timeout_ms / 1000)
        try:
            while not self._stop.wait(CHECKPOINT_IDLE_S / 2):
                if not self._commits:
                    continue
                idle = time.monotonic() - self._last_commit >= CHECKPOINT_IDLE_S
                if idle or self._commits >= CHECKPOINT_FORCE_COMMITS:
                    self._commits = 0
                    try:
                        con.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
                    except sqlite3.Error:  # a full or damaged file: the writers report it
                        log.warning("checkpoint failed", exc_info=True)
        finally:
            con.close()

    # --- damage at start: quarantine, recovery ----------------------------------------------

    def _set_aside(self, damage: list[str]) -> list[Path]:
        moved = quarantine(Path(self.path))
        log.error("queue.db failed its integrity check; set aside", extra={"ctx": {
            "problems": damage[:5], "quarantined": [str(p) for p in moved]}})
        return moved

    def _restore(self, damage: list[str], moved: list[Path]) -> None:
        recovered = recover(moved[0], Path(str(moved[0]) + ".recovered"))
        con = self._tx().con
        kept: dict[str, int] = {}
        con.execute("ATTACH DATABASE ? AS r", (str(recovered),))
        try:
            con.execute("BEGIN IMMEDIATE")
            have = {r[0] for r in con.execute("SELECT name FROM r.sqlite_master WHERE type='table'")}
            for table in _TABLES:
                if table not in have:
                    continue
                mine = [r[1] for r in con.execute(f"PRAGMA main.table_info({table})")]
                theirs = {r[1] for r in con.execute(f"PRAGMA r.table_info({table})")}
                cols = ", ".join(c for c in mine if c in theirs)
                kept[table] = con.execute(f"INSERT OR IGNORE INTO main.{table}({cols}) "
                                          f"SELECT {cols} FROM r.{table}").rowcount
            # Rows may be lost with their numbers: start each day's numbering past any kept one.
            last: dict[tuple[str, str], int] = {
                (d, p): n for d, p, n in con.execute("SELECT day, prefix, last FROM sequences")}
            for day, number in con.execute("SELECT day, number FROM tickets").fetchall():
                m = _NUMBER.match(number or "")
                if m:
                    key = (day, m.group(1))
                    last[key] = max(last.get(key, 0), int(m.group(2)))
            for (day, prefix), n in last.items():
                con.execute("INSERT INTO sequences(day, prefix, last) VALUES(?,?,?) ON CONFLICT(day, prefix) "
                            "DO UPDATE SET last=excluded.last", (day, prefix, n + SALVAGE_NUMBER_SKIP))
            message = (f"queue.db was damaged ({'; '.join(damage[:2])[:200]}); it was set aside as "
                       f"{moved[0].name} and {kept.get('tickets', 0)} tickets, {kept.get('events', 0)} events "
                       "were recovered into a fresh file; numbering skips ahead")
            con.execute("INSERT INTO alerts(at, kind, source, message) VALUES(?, 'storage', 'hall-service', ?)",
                        (time.time(), message))
            con.execute("COMMIT")
        finally:
            if con.in_transaction:
                con.execute("ROLLBACK")
            con.execute("DETACH DATABASE r")
        self.repaired = {"quarantined": [str(p) for p in moved], "recovered": kept}
        log.error("ALERT storage: %s", message, extra={"ctx": self.repaired})

    # --- running ------------------------------------------------------------------------------

    def report_failure(self, exc: sqlite3.Error) -> QueueError:
        """Another reader of this file (the credential tables) hit ``exc``: remembered like the
        store's own failures, so health says 503; returns the API's 503."""
        return self._failed(exc)

    def _failed(self, exc: sqlite3.Error) -> QueueError:
        """A storage error as the API's 503; damage is remembered and checked in full once."""
        self.failure = f"{getattr(exc, 'sqlite_errorname', '') or type(exc).__name__}: {exc}"
        if is_damage(exc) and self.damaged is None:
            self.damaged = self.failure
            try:
                problems = integrity_problems(self._tx().con)
            except sqlite3.Error as again:
                problems = [str(again)]
            log.error("ALERT storage: queue.db is damaged; the service must restart to repair it",
                      extra={"ctx": {"error": self.failure, "integrity_check": problems[:5]}})
        else:
            log.error("queue store failed", extra={"ctx": {"error": self.failure}})
        return QueueError(503, HallCode.STORAGE_FAILED,
                          "the hall's queue store cannot be used now; staff have been told")

    def _tx(self) -> SQLiteTx:
        tx = getattr(self._local, "tx", None)
        if tx is None:
            con = sqlite3.connect(
                self.path, isolation_level=None, check_same_thread=False, timeout=self.busy_timeout_ms / 1000
            )
            con.execute(f"PRAGMA busy_timeout={int(self.busy_timeout_ms)}")
            try:
                refuse_newer(con, SCHEMA, self.path)  # before the journal_mode pragma writes
            except SchemaTooNewError:
                con.close()
                raise
            con.execute("PRAGMA journal_mode=WAL")
            con.execute("PRAGMA synchronous=FULL")
            if self._own_checkpoints:
                con.execute("PRAGMA wal_autocheckpoint=0")  # the checkpointer thread does it
            tx = self._local.tx = SQLiteTx(con)
            if self._trace is not None:
                con.set_trace_callback(self._trace)
            with self._lock:
                self._all.append(con)
        return tx

    @staticmethod
    def _rollback(con: sqlite3.Connection) -> None:
        if con.in_transaction:
            try:
                con.execute("ROLLBACK")
            except sqlite3.Error:  # a full or damaged file may refuse even this
                log.warning("rollback failed", exc_info=True)

    @contextmanager
    def write(self) -> Iterator[SQLiteTx]:
        try:
            tx = self._tx()
        except sqlite3.Error as exc:
            raise self._failed(exc) from exc
        with self._write_lock, self._writers():
            try:
                self._rollback(tx.con)  # left open by a failed COMMIT
                tx.con.execute("BEGIN IMMEDIATE")
                tx.events = []
            except sqlite3.Error as exc:
                raise self._failed(exc) from exc
            try:
                yield tx
            except BaseException as exc:
                self._rollback(tx.con)
                if isinstance(exc, sqlite3.Error):
                    raise self._failed(exc) from exc
                raise
            try:
                tx.con.execute("COMMIT")
            except sqlite3.Error as exc:
                self._rollback(tx.con)
                raise self._failed(exc) from exc
            self.failure = None
            self._commits += 1
            self._last_commit = time.monotonic()

    @contextmanager
    def _writers(self) -> Iterator[None]:
        """The lock every writing process of this file takes in turn (see ``__init__``)."""
        if self._writer_file is None:
            try:
                self._writer_file = os.open(self.path + "-writer.lock", os.O_RDWR | os.O_CREAT, 0o600)
            except OSError:  # a read-only directory: SQLite's own lock still serialises
                yield
                return
        fcntl.flock(self._writer_file, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(self._writer_file, fcntl.LOCK_UN)

    @contextmanager
    def read(self) -> Iterator[SQLiteTx]:
        try:
            tx = self._tx()
            self._rollback(tx.con)
            tx.con.execute("BEGIN")
        except sqlite3.Error as exc:
            raise self._failed(exc) from exc
        try:
            yield tx
        except sqlite3.Error as exc:
            raise self._failed(exc) from exc
        finally:
            self._rollback(tx.con)  # a read transaction has nothing to commit

    def probe(self, now: float) -> str | None:
        """What ``/api/v1/health`` asks: None when the file can be read and written (a tiny
        committed write, so a full disk shows), else why not. Only the service's own writes
        clear a failure: a one-page probe can fit where a ticket's transaction did not."""
        if self.damaged is not None:
            return "queue.db is damaged: " + self.damaged
        before = self.failure
        try:
            with self.write() as tx:
                tx.get_meta("day")
                tx.set_meta("health_probe", repr(now))
                if before is not None and before != self._alerted:
                    # Often there is still room for one row: the dashboard hears of it at once.
                    tx.add_alert({"at": now, "kind": "storage", "source": "hall-service",
                                  "message": f"the queue store refused a write: {before[:200]}"})
                    self._alerted = before
        except QueueError:
            return self.failure
        self.failure = before
        return before

    def check_integrity(self) -> list[str]:
        """A full ``PRAGMA integrity_check`` on a connection of its own (the running service's
        periodic check, off the request path: a WAL reader blocks no writer). Damage found is
        remembered as a failure would be: health says 503 and the watchdog's restart repairs."""
        if self.damaged is not None:
            return [self.damaged]
        try:
            con = sqlite3.connect(self.path, timeout=self.busy_timeout_ms / 1000)
        except sqlite3.Error as exc:
            return [str(exc)]
        try:
            problems = integrity_problems(con)
        finally:
            con.close()
        if problems and self.damaged is None:
            self.failure = self.damaged = f"integrity_check: {problems[0]}"
            log.error("ALERT storage: queue.db is damaged (periodic check); the service must restart to repair it",
                      extra={"ctx": {"integrity_check": problems[:5]}})
        return problems

    def close(self) -> None:
        self._stop.set()
        if self._checkpointer is not None and self._checkpointer is not threading.current_thread():
            self._checkpointer.join(5)
        with self._lock:
            for con in self._all:
                try:
                    con.close()
                except sqlite3.ProgrammingError:
                    pass
            self._all.clear()
        self._local = threading.local()
        with self._write_lock:
            if self._writer_file is not None:
                os.close(self._writer_file)
                self._writer_file = None

    def doorbell(self) -> SQLiteDoorbell:
        return SQLiteDoorbell(self.path)

    def trace_statements(self, fn: Callable[[str], object] | None) -> None:
        """Hand every SQL statement any connection of this store runs to ``fn`` (None: stop);
        what the query-plan test reads."""
        self._trace = fn
        with self._lock:
            for con in self._all:
                con.set_trace_callback(fn)
