"""The PostgreSQL store of the queue engine: many halls in one database, several hall-server
processes (on several machines) on one hall.

Implements ``queueing.store.StoreTx`` / ``QueueStore`` with the semantics of ``SQLiteStore``:

- **Every key carries the hall id** (from the hall config): ``PgStore(url, hall_id)`` sees only
  its own hall's rows, so a city's small sites share one database (one cluster, e.g. Patroni).
- **One writer per hall at a time**: ``write()`` begins a READ COMMITTED transaction that first
  locks the hall's row (``SELECT … FOR UPDATE``), the counterpart of SQLite's ``BEGIN IMMEDIATE``:
  two counters pulling at the same millisecond from two processes are serialised, and every
  statement after the lock sees everything committed before it. Ticket numbers are still unique
  by constraint (``sequences`` primary key, a unique index on a day's numbers of first issue).
- **Events**: the ``events`` table is the single source. Sequence numbers are per hall, taken
  from the hall row under its lock, so they are gapless and committed in order (the SSE hub's
  ``seq > cursor`` never skips one). A commit that appended events also ``NOTIFY``-s the hall's
  channel (:func:`channel_of`); :class:`PgDoorbell` listens on it for other processes.
- **Group commit**: ``PgTx.savepoint()`` nests one operation of a group (``SAVEPOINT``); the
  engine thread decides what runs together (queueing/committer.py).
- **Reads** are ``REPEATABLE READ READ ONLY``: one snapshot per read, as an SQLite read transaction.
- **Failures** never crash a caller: any database error inside a transaction becomes
  ``QueueError(503, storage_failed)``; ``probe()`` (``/api/v1/health``) does a tiny committed write
  and reports why it cannot. PostgreSQL's data-corruption errors (SQLSTATE XX001/XX002) are
  remembered until restart, like a damaged SQLite file.
- **Versioned migrations** in ``queue_schema`` (version, description, applied_at), applied in
  order at start under an advisory lock, so two processes starting together never both apply
  one; a database from a newer release is refused untouched (``SchemaTooNewError``).

The device and staff tables (``queueing/credentials.py``) stay in the data directory's
``queue.db``: ``PgStore.path`` names that file for them."""

from __future__ import annotations

import hashlib
import json
import logging
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from enum import Enum
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql
from psycopg_pool import ConnectionPool

from offline_cache.migrations import Migration, Schema, SchemaTooNewError
from queueing.codes import HallCode
from queueing.hallconfig import ConfigError
from queueing.model import ACTIVE, CounterState, QueueError, Ticket
from queueing.store import (
    COMPLAINT_CHANGES,
    COMPLAINT_COLUMNS,
    LOOP_UPDATABLE,
    RATING_COLUMNS,
    TICKET_COLUMNS,
    EventRow,
    ticket_values,
)

log = logging.getLogger(__name__)

# Never edit a released step: add one.
_V1 = """
CREATE TABLE halls(hall_id TEXT PRIMARY KEY, last_event BIGINT NOT NULL DEFAULT 0,
    created_at DOUBLE PRECISION NOT NULL);
CREATE TABLE meta(hall_id TEXT NOT NULL REFERENCES halls, key TEXT NOT NULL, value TEXT NOT NULL,
    PRIMARY KEY(hall_id, key));
CREATE TABLE sequences(hall_id TEXT NOT NULL REFERENCES halls, day TEXT NOT NULL, prefix TEXT NOT NULL,
    last BIGINT NOT NULL, PRIMARY KEY(hall_id, day, prefix));
CREATE TABLE tickets(
    hall_id TEXT NOT NULL REFERENCES halls, id TEXT NOT NULL, day TEXT NOT NULL, number TEXT NOT NULL,
    service_id TEXT NOT NULL, priority TEXT NOT NULL, status TEXT NOT NULL,
    issued_at DOUBLE PRECISION NOT NULL, key_time DOUBLE PRECISION NOT NULL, seq BIGINT NOT NULL,
    person_hash TEXT, channel TEXT, appointment_code TEXT, slot_start DOUBLE PRECISION,
    slot_end DOUBLE PRECISION, counter_id TEXT, staff_id TEXT, called_at DOUBLE PRECISION,
    started_at DOUBLE PRECISION, finished_at DOUBLE PRECISION, recalls INTEGER NOT NULL DEFAULT 0,
    outcome TEXT, transferred_from TEXT, transferred_to TEXT,
    PRIMARY KEY(hall_id, id), UNIQUE(hall_id, seq));
-- a transfer keeps its number on a new row: a number is unique among first issues of a day
CREATE UNIQUE INDEX tickets_number ON tickets(hall_id, day, number) WHERE transferred_from IS NULL;
CREATE INDEX tickets_waiting ON tickets(hall_id, service_id, priority, day, key_time, seq)
    WHERE status = 'waiting';
CREATE INDEX tickets_active ON tickets(hall_id, day, status) WHERE status IN ('waiting','called','serving');
CREATE INDEX tickets_person ON tickets(hall_id, person_hash, day) WHERE person_hash IS NOT NULL;
CREATE INDEX tickets_service_day ON tickets(hall_id, service_id, day);
CREATE INDEX tickets_finished ON tickets(hall_id, service_id, finished_at) WHERE status = 'done';
CREATE TABLE counter_state(hall_id TEXT NOT NULL REFERENCES halls, counter_id TEXT NOT NULL,
    paused BOOLEAN NOT NULL, pause_reason TEXT, current_ticket_id TEXT, staff_id TEXT,
    normal_streak INTEGER NOT NULL, PRIMARY KEY(hall_id, counter_id));
CREATE TABLE events(hall_id TEXT NOT NULL REFERENCES halls, seq BIGINT NOT NULL, at DOUBLE PRECISION NOT NULL,
    day TEXT NOT NULL, kind TEXT NOT NULL, ticket_id TEXT, service_id TEXT, counter_id TEXT, staff_id TEXT,
    data TEXT NOT NULL, PRIMARY KEY(hall_id, seq));
CREATE INDEX events_day ON events(hall_id, day, kind, seq);
CREATE TABLE appointments(hall_id TEXT NOT NULL REFERENCES halls, code TEXT NOT NULL, day TEXT NOT NULL,
    service_id TEXT NOT NULL, id_number_hash TEXT, slot_start DOUBLE PRECISION NOT NULL,
    slot_end DOUBLE PRECISION NOT NULL, name_masked TEXT, ticket_id TEXT, PRIMARY KEY(hall_id, code));
CREATE INDEX appointments_person ON appointments(hall_id, id_number_hash, day);
CREATE TABLE ratings(hall_id TEXT NOT NULL REFERENCES halls, ticket_id TEXT NOT NULL, level INTEGER NOT NULL,
    reason TEXT, comment TEXT, at DOUBLE PRECISION NOT NULL, service_id TEXT, counter_id TEXT, staff_id TEXT,
    PRIMARY KEY(hall_id, ticket_id));
CREATE TABLE rectifications(hall_id TEXT NOT NULL REFERENCES halls, ticket_id TEXT NOT NULL,
    response TEXT NOT NULL, at DOUBLE PRECISION NOT NULL, by TEXT, PRIMARY KEY(hall_id, ticket_id));
CREATE TABLE alerts(id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY, hall_id TEXT NOT NULL REFERENCES halls,
    at DOUBLE PRECISION NOT NULL, kind TEXT NOT NULL, source TEXT, message TEXT, acked_at DOUBLE PRECISION,
    acked_by TEXT);
CREATE INDEX alerts_hall ON alerts(hall_id, id);
"""

# v2: tickets without an ID card per issuing device and service and day (the per-kiosk share).
_V2_ANONYMOUS = """
CREATE TABLE anonymous_issued(hall_id TEXT NOT NULL REFERENCES halls, day TEXT NOT NULL,
    service_id TEXT NOT NULL, device TEXT NOT NULL, n INTEGER NOT NULL,
    PRIMARY KEY(hall_id, day, service_id, device));
"""

# v3: complaints (吐槽找茬, queueing/complaints.py): the hall's number, the sealed text, who handled it.
_V3_COMPLAINTS = """
CREATE TABLE complaints(hall_id TEXT NOT NULL REFERENCES halls, id TEXT NOT NULL, number TEXT NOT NULL,
    day TEXT NOT NULL, topic TEXT NOT NULL, text_sealed BYTEA, device TEXT, filed_at DOUBLE PRECISION NOT NULL,
    received_at DOUBLE PRECISION NOT NULL, offline INTEGER NOT NULL, state TEXT NOT NULL, assigned_to TEXT,
    assigned_by TEXT, assigned_at DOUBLE PRECISION, reply TEXT, replied_by TEXT, replied_at DOUBLE PRECISION,
    closed_by TEXT, closed_at DOUBLE PRECISION, alias TEXT, PRIMARY KEY(hall_id, id), UNIQUE(hall_id, number));
CREATE INDEX complaints_day ON complaints(hall_id, day, state);
CREATE UNIQUE INDEX complaints_alias ON complaints(hall_id, alias) WHERE alias IS NOT NULL;
"""

# v4: fleet health (queueing/fleet.py): each machine's latest heartbeat, last seen, open silence alert.
_V4_FLEET = """
CREATE TABLE fleet(hall_id TEXT NOT NULL REFERENCES halls, device TEXT NOT NULL, role TEXT NOT NULL, name TEXT,
    counter_id TEXT, state TEXT NOT NULL, seen_at DOUBLE PRECISION NOT NULL, silent_alert BIGINT,
    PRIMARY KEY(hall_id, device));
"""

# v5: cases, stage ratings, sub-scores, follow-ups, the rectification loop (queueing/cases.py).
_RATING_MORE = """case_no TEXT, attitude INTEGER, efficiency INTEGER, competence INTEGER,
    is_default BOOLEAN NOT NULL DEFAULT FALSE, followup_level INTEGER, followup_comment TEXT,
    followup_at DOUBLE PRECISION"""
_V5_CASES = f"""
ALTER TABLE tickets ADD COLUMN case_no TEXT;
CREATE INDEX tickets_case ON tickets(hall_id, case_no) WHERE case_no IS NOT NULL;
ALTER TABLE ratings ADD COLUMN case_no TEXT, ADD COLUMN attitude INTEGER, ADD COLUMN efficiency INTEGER,
    ADD COLUMN competence INTEGER, ADD COLUMN is_default BOOLEAN NOT NULL DEFAULT FALSE,
    ADD COLUMN followup_level INTEGER, ADD COLUMN followup_comment TEXT, ADD COLUMN followup_at DOUBLE PRECISION;
CREATE TABLE stage_ratings(hall_id TEXT NOT NULL REFERENCES halls, ticket_id TEXT NOT NULL, stage TEXT NOT NULL,
    level INTEGER NOT NULL, reason TEXT, comment TEXT, at DOUBLE PRECISION NOT NULL, service_id TEXT,
    counter_id TEXT, staff_id TEXT, {_RATING_MORE}, PRIMARY KEY(hall_id, ticket_id, stage));
CREATE TABLE rating_loops(hall_id TEXT NOT NULL REFERENCES halls, ticket_id TEXT NOT NULL, stage TEXT NOT NULL,
    opened_at DOUBLE PRECISION NOT NULL, opened_day TEXT NOT NULL, callback_due TEXT NOT NULL,
    rectify_due TEXT NOT NULL, callback_at DOUBLE PRECISION, callback_by TEXT, callback_note TEXT,
    verified_at DOUBLE PRECISION, verified_by TEXT, verified_note TEXT,
    callback_escalated INTEGER NOT NULL DEFAULT 0, rectify_escalated INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY(hall_id, ticket_id));
CREATE INDEX rating_loops_day ON rating_loops(hall_id, opened_day);
"""

# v6: alerts that reach a person (the counter a help call goes to first, when it escalated, who
# acknowledged it at which counter, who resolved it) and the display's notices posted by staff.
_V6_ALERTS_NOTICES = """
ALTER TABLE alerts ADD COLUMN counter_id TEXT, ADD COLUMN escalated_at DOUBLE PRECISION,
    ADD COLUMN acked_counter TEXT, ADD COLUMN resolved_at DOUBLE PRECISION, ADD COLUMN resolved_by TEXT,
    ADD COLUMN resolved_counter TEXT, ADD COLUMN resolution TEXT;
CREATE INDEX alerts_open ON alerts(hall_id, id) WHERE resolved_at IS NULL;
CREATE TABLE notices(id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY, hall_id TEXT NOT NULL REFERENCES halls,
    text_zh TEXT NOT NULL, text_en TEXT NOT NULL, starts_at DOUBLE PRECISION NOT NULL,
    ends_at DOUBLE PRECISION NOT NULL, posted_at DOUBLE PRECISION NOT NULL, posted_by TEXT,
    withdrawn_at DOUBLE PRECISION, withdrawn_by TEXT);
CREATE INDEX notices_hall ON notices(hall_id, ends_at);
"""

SCHEMA = Schema("queue store (PostgreSQL)", (
    Migration("v1: halls, tickets, events, counters, appointments, ratings, alerts", _V1),
    Migration("v2: anonymous tickets per issuing device", _V2_ANONYMOUS),
    Migration("v3: complaints with their numbers and handling", _V3_COMPLAINTS),
    Migration("v4: fleet health, each machine's latest heartbeat", _V4_FLEET),
    Migration("v5: cases, stage ratings, sub-scores, follow-ups, the rectification loop", _V5_CASES),
    Migration("v6: alerts acknowledged, resolved and escalated; display notices", _V6_ALERTS_NOTICES),
))
_ALERT_COLS = ("id, at, kind, source, message, acked_at, acked_by, counter_id, escalated_at, acked_counter, "
               "resolved_at, resolved_by, resolved_counter, resolution")
_NOTICE_COLS = "id, text_zh, text_en, starts_at, ends_at, posted_at, posted_by, withdrawn_at, withdrawn_by"
_MIGRATION_LOCK = 0x68616C6C  # pg_advisory_xact_lock key of the migrations ("hall")
_DAMAGE = ("XX001", "XX002")  # data_corrupted, index_corrupted

_SELECT = "SELECT " + ", ".join(TICKET_COLUMNS) + " FROM tickets"
_EVENT_COLS = "seq, at, day, kind, ticket_id, service_id, counter_id, staff_id, data"


class StoreUnreachableError(ConfigError):
    """The database cannot be reached or set up at start (``hall-server`` says so and exits 2)."""


def channel_of(hall_id: str) -> str:
    """The hall's NOTIFY channel: a fixed-length identifier whatever the hall id holds."""
    return "hall_events_" + hashlib.sha256(hall_id.encode()).hexdigest()[:32]


def _plain(values: Sequence[Any]) -> list[Any]:
    return [v.value if isinstance(v, Enum) else v for v in values]


def _ticket(row: Sequence[Any] | None) -> Ticket | None:
    return None if row is None else Ticket(*row)


def _rating_row(row: dict[str, Any], hall: str) -> dict[str, Any]:
    out = {c: row.get(c) for c in RATING_COLUMNS} | ({"stage": row["stage"]} if "stage" in row else {})
    out["is_default"] = bool(row.get("is_default"))
    return {**out, "hall": hall}


def _ints(row: dict[str, Any]) -> dict[str, Any]:
    """A rating row as SQLite gives it (``is_default`` 0/1)."""
    if "is_default" in row:
        row["is_default"] = int(bool(row["is_default"]))
    return row


def _dicts(cur: psycopg.Cursor[Any]) -> list[dict[str, Any]]:
    names = [d.name for d in cur.description or ()]
    return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]


def _states(rows: Sequence[Sequence[Any]]) -> dict[str, CounterState]:
    return {r[0]: CounterState(r[0], bool(r[1]), r[2], r[3], r[4], r[5]) for r in rows}


class PgTx:
    """One transaction of one hall on one pooled connection; see ``StoreTx`` for each method."""

    def __init__(self, con: psycopg.Connection[Any], hall_id: str) -> None:
        self.con, self.hall = con, hall_id
        self.appended = 0  # the last event seq this transaction appended (0: none)
        self.events: list[EventRow] = []

    @contextmanager
    def savepoint(self) -> Iterator[None]:
        """See ``StoreTx.savepoint``; ``appended`` goes back with the rows."""
        mark, appended = len(self.events), self.appended
        self.con.execute("SAVEPOINT op")
        try:
            yield
        except BaseException:
            del self.events[mark:]
            self.appended = appended
            try:
                self.con.execute("ROLLBACK TO SAVEPOINT op")
                self.con.execute("RELEASE SAVEPOINT op")
            except psycopg.Error:  # the whole transaction is rolled back by write()
                log.warning("rollback to savepoint failed", exc_info=True)
            raise
        self.con.execute("RELEASE SAVEPOINT op")

    def _q(self, query: str, args: Sequence[Any] = ()) -> psycopg.Cursor[Any]:
        return self.con.execute(query, (self.hall, *args))

    def get_meta(self, key: str) -> str | None:
        row = self._q("SELECT value FROM meta WHERE hall_id=%s AND key=%s", (key,)).fetchone()
        return None if row is None else str(row[0])

    def set_meta(self, key: str, value: str) -> None:
        self._q("INSERT INTO meta(hall_id, key, value) VALUES(%s, %s, %s) "
                "ON CONFLICT(hall_id, key) DO UPDATE SET value=excluded.value", (key, value))

    def next_number(self, day: str, prefix: str) -> int:
        row = self._q("INSERT INTO sequences(hall_id, day, prefix, last) VALUES(%s, %s, %s, 1) "
                      "ON CONFLICT(hall_id, day, prefix) DO UPDATE SET last = sequences.last + 1 RETURNING last",
                      (day, prefix)).fetchone()
        assert row is not None
        return int(row[0])

    def insert_ticket(self, t: Ticket) -> None:
        marks = ", ".join(["%s"] * len(TICKET_COLUMNS))
        self._q(f"INSERT INTO tickets(hall_id, {', '.join(TICKET_COLUMNS)}) VALUES(%s, {marks})",
                _plain(ticket_values(t)))

    def update_ticket(self, t: Ticket, expect_status: str | None = None) -> None:
        cols = [c for c in TICKET_COLUMNS if c != "id"]
        query = f"UPDATE tickets SET {', '.join(c + '=%s' for c in cols)} WHERE hall_id=%s AND id=%s"
        args: list[Any] = [*_plain([getattr(t, c) for c in cols]), self.hall, t.id]
        if expect_status is not None:
            query += " AND status=%s"
            args.append(str(expect_status))
        if self.con.execute(query, args).rowcount != 1:
            raise RuntimeError(f"ticket {t.id} changed under the transaction")  # cannot happen: hall row locked

    def get_ticket(self, ticket_id: str) -> Ticket | None:
        return _ticket(self._q(_SELECT + " WHERE hall_id=%s AND id=%s", (ticket_id,)).fetchone())

    def waiting_heads(self, day: str, service_ids: Sequence[str], per_group: int) -> list[Ticket]:
        one = (f"({_SELECT} WHERE hall_id=%s AND status='waiting' AND service_id=%s AND priority=%s AND day=%s "
               f"ORDER BY key_time, seq LIMIT {int(per_group)})")
        parts, args = [], []
        for sid in service_ids:
            for prio in ("normal", "green", "appointment"):
                parts.append(one)
                args += [self.hall, sid, prio, day]
        if not parts:
            return []
        return [Ticket(*r) for r in self.con.execute(" UNION ALL ".join(parts), args)]

    def waiting(self, day: str, service_id: str | None, limit: int) -> list[Ticket]:
        if service_id is None:
            cur = self._q(_SELECT + " WHERE hall_id=%s AND status='waiting' AND day=%s ORDER BY key_time, seq "
                          "LIMIT %s", (day, limit))
        else:
            cur = self._q(_SELECT + " WHERE hall_id=%s AND status='waiting' AND day=%s AND service_id=%s "
                          "ORDER BY key_time, seq LIMIT %s", (day, service_id, limit))
        return [Ticket(*r) for r in cur]

    def waiting_counts(self, day: str) -> dict[tuple[str, str], int]:
        rows = self._q("SELECT service_id, priority, count(*) FROM tickets WHERE hall_id=%s AND status='waiting' "
                       "AND day=%s GROUP BY service_id, priority", (day,))
        return {(s, p): int(n) for s, p, n in rows}

    def ahead_counts(
        self, day: str, service_ids: Sequence[str], cls: str, now: float, key_time: float, seq: int
    ) -> dict[str, int]:
        """Waiting tickets a strict policy calls before a ticket of class ``cls`` (policy.py), per service."""
        due_p = "(priority='green' OR (priority='appointment' AND slot_start <= %(now)s))"
        earlier = "(key_time < %(kt)s OR (key_time = %(kt)s AND seq < %(seq)s))"
        cond = {
            "P": f"{due_p} AND {earlier}",
            "N": f"({due_p} OR (priority='normal' AND {earlier}))",
            "L": f"({due_p} OR priority='normal' OR (priority='appointment' AND {earlier}))",
        }[cls]
        rows = self.con.execute(
            "SELECT service_id, count(*) FROM tickets WHERE hall_id=%(hall)s AND status='waiting' AND day=%(day)s "
            f"AND service_id = ANY(%(sids)s) AND {cond} GROUP BY service_id",
            {"hall": self.hall, "day": day, "sids": list(service_ids), "now": now, "kt": key_time, "seq": seq},
        )
        return {s: int(n) for s, n in rows}

    def count_person(self, day: str, person_hash: str, service_id: str | None, active_only: bool) -> int:
        query = ("SELECT count(*) FROM tickets WHERE hall_id=%s AND person_hash=%s AND day=%s AND "
                 + (f"status IN {ACTIVE!r}" if active_only else "transferred_from IS NULL"))
        args: list[Any] = [person_hash, day]
        if service_id is not None:
            query += " AND service_id=%s"
            args.append(service_id)
        return int(self._q(query, args).fetchone()[0])  # type: ignore[index]

    def count_case_active(self, day: str, case_no: str, service_id: str) -> int:
        query = ("SELECT count(*) FROM tickets WHERE hall_id=%s AND case_no=%s AND day=%s AND service_id=%s "
                 f"AND status IN {ACTIVE!r}")
        return int(self._q(query, [case_no, day, service_id]).fetchone()[0])  # type: ignore[index]

    def count_issued(self, day: str, service_id: str, *, anonymous_only: bool = False) -> int:
        query = ("SELECT count(*) FROM tickets WHERE hall_id=%s AND service_id=%s AND day=%s "
                 "AND transferred_from IS NULL")
        if anonymous_only:  # issued without an ID number (nor an appointment's)
            query += " AND person_hash IS NULL"
        return int(self._q(query, (service_id, day)).fetchone()[0])  # type: ignore[index]

    def anonymous_issued(self, day: str, service_id: str, device: str) -> int:
        row = self._q("SELECT n FROM anonymous_issued WHERE hall_id=%s AND day=%s AND service_id=%s AND device=%s",
                      (day, service_id, device)).fetchone()
        return int(row[0]) if row else 0

    def add_anonymous(self, day: str, service_id: str, device: str) -> None:
        self._q("INSERT INTO anonymous_issued(hall_id, day, service_id, device, n) VALUES(%s,%s,%s,%s,1) "
                "ON CONFLICT(hall_id, day, service_id, device) DO UPDATE SET n = anonymous_issued.n + 1",
                (day, service_id, device))

    def stale_active(self, day: str) -> list[Ticket]:
        return [Ticket(*r) for r in self._q(_SELECT + f" WHERE hall_id=%s AND status IN {ACTIVE!r} AND day < %s "
                                            "ORDER BY seq", (day,))]

    def recent_service_seconds(self, service_id: str, limit: int) -> list[float]:
        rows = self._q("SELECT finished_at - coalesce(started_at, called_at) FROM tickets WHERE hall_id=%s "
                       "AND service_id=%s AND status='done' AND finished_at IS NOT NULL "
                       "ORDER BY finished_at DESC LIMIT %s", (service_id, limit))
        return [r[0] for r in rows if r[0] is not None and r[0] >= 0]

    def get_counter_state(self, counter_id: str) -> CounterState:
        rows = self._q("SELECT counter_id, paused, pause_reason, current_ticket_id, staff_id, normal_streak "
                       "FROM counter_state WHERE hall_id=%s AND counter_id=%s", (counter_id,)).fetchall()
        return _states(rows).get(counter_id) or CounterState(counter_id)

    def all_counter_states(self) -> dict[str, CounterState]:
        return _states(self._q("SELECT counter_id, paused, pause_reason, current_ticket_id, staff_id, "
                               "normal_streak FROM counter_state WHERE hall_id=%s").fetchall())

    def put_counter_state(self, st: CounterState) -> None:
        self._q("INSERT INTO counter_state VALUES(%s,%s,%s,%s,%s,%s,%s) ON CONFLICT(hall_id, counter_id) DO UPDATE "
                "SET paused=excluded.paused, pause_reason=excluded.pause_reason, "
                "current_ticket_id=excluded.current_ticket_id, staff_id=excluded.staff_id, "
                "normal_streak=excluded.normal_streak",
                (st.counter_id, bool(st.paused), st.pause_reason, st.current_ticket_id, st.staff_id,
                 st.normal_streak))

    def active_at_counters(self, day: str) -> list[Ticket]:
        return [Ticket(*r) for r in self._q(_SELECT + " WHERE hall_id=%s AND status IN ('called','serving') "
                                            "AND day=%s ORDER BY called_at DESC", (day,))]

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
        # The hall row is locked by this transaction: the next number is gapless and in commit order.
        row = self._q("UPDATE halls SET last_event = last_event + 1 WHERE hall_id=%s RETURNING last_event").fetchone()
        assert row is not None
        seq = int(row[0])
        text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
        self._q("INSERT INTO events(hall_id, seq, at, day, kind, ticket_id, service_id, counter_id, staff_id, data) "
                "VALUES(%s,%s,%s,%s,%s,%s,%s,%s,%s,%s)", (seq, at, day, kind, ticket_id, service_id, counter_id,
                                                        staff_id, text))
        self.events.append((seq, kind, text))
        self.appended = seq
        return seq

    def last_event_seq(self) -> int:
        return int(self._q("SELECT coalesce(max(seq), 0) FROM events WHERE hall_id=%s").fetchone()[0])  # type: ignore[index]

    def events_after(self, seq: int, limit: int) -> list[tuple[int, str, str]]:
        return [(int(s), k, d) for s, k, d in self._q(
            "SELECT seq, kind, data FROM events WHERE hall_id=%s AND seq > %s ORDER BY seq LIMIT %s", (seq, limit))]

    def recent_events(self, day: str, kinds: Sequence[str], limit: int) -> list[tuple[int, str, str]]:
        return [(int(s), k, d) for s, k, d in self._q(
            "SELECT seq, kind, data FROM events WHERE hall_id=%s AND day=%s AND kind = ANY(%s) "
            "ORDER BY seq DESC LIMIT %s", (day, list(kinds), limit))]

    def event_rows(self, day_from: str, day_to: str) -> list[dict[str, Any]]:
        return _dicts(self._q(f"SELECT {_EVENT_COLS} FROM events WHERE hall_id=%s AND day BETWEEN %s AND %s "
                              "ORDER BY seq", (day_from, day_to)))

    def event_rows_after(self, seq: int, limit: int) -> list[dict[str, Any]]:
        return _dicts(self._q(f"SELECT {_EVENT_COLS} FROM events WHERE hall_id=%s AND seq > %s ORDER BY seq "
                              "LIMIT %s", (seq, limit)))

    def person_tickets(self, since_day: str, until_day: str) -> list[tuple[str, str, str]]:
        return [tuple(r) for r in self._q(
            "SELECT person_hash, service_id, day FROM tickets WHERE hall_id=%s AND person_hash IS NOT NULL "
            "AND day BETWEEN %s AND %s AND transferred_from IS NULL ORDER BY day, seq", (since_day, until_day))]

    def event_rows_of(self, kinds: Sequence[str], day_from: str, day_to: str) -> list[dict[str, Any]]:
        return _dicts(self._q(f"SELECT {_EVENT_COLS} FROM events WHERE hall_id=%s AND day BETWEEN %s AND %s "
                              "AND kind = ANY(%s) ORDER BY seq", (day_from, day_to, list(kinds))))

    def visit_tickets(self, services: Sequence[str], since: str, until: str) -> list[tuple[str | None, str, str]]:
        return [(r[0], r[1], r[2]) for r in self._q(
            "SELECT person_hash, service_id, day FROM tickets WHERE hall_id=%s AND service_id = ANY(%s) "
            "AND day BETWEEN %s AND %s AND transferred_from IS NULL", (list(services), since, until))]

    def put_appointments(self, rows: list[dict[str, Any]]) -> int:
        n = 0
        for r in rows:
            n += self.con.execute(
                "INSERT INTO appointments(hall_id, code, day, service_id, id_number_hash, slot_start, slot_end, "
                "name_masked) VALUES(%(hall)s, %(code)s, %(day)s, %(service_id)s, %(id_number_hash)s, "
                "%(slot_start)s, %(slot_end)s, %(name_masked)s) "
                "ON CONFLICT(hall_id, code) DO UPDATE SET day=excluded.day, service_id=excluded.service_id, "
                "id_number_hash=excluded.id_number_hash, slot_start=excluded.slot_start, "
                "slot_end=excluded.slot_end, name_masked=excluded.name_masked WHERE appointments.ticket_id IS NULL",
                {**r, "hall": self.hall},
            ).rowcount
        return n

    def find_appointment(self, code: str | None, id_hash: str | None, day: str) -> dict[str, Any] | None:
        cols = "code, day, service_id, id_number_hash, slot_start, slot_end, name_masked, ticket_id"
        if code:
            cur = self._q(f"SELECT {cols} FROM appointments WHERE hall_id=%s AND code=%s", (code,))
        else:
            cur = self._q(f"SELECT {cols} FROM appointments WHERE hall_id=%s AND id_number_hash=%s AND day=%s "
                          "AND ticket_id IS NULL ORDER BY slot_start LIMIT 1", (id_hash, day))
        rows = _dicts(cur)
        return rows[0] if rows else None

    def use_appointment(self, code: str, ticket_id: str) -> None:
        self.con.execute("UPDATE appointments SET ticket_id=%s WHERE hall_id=%s AND code=%s",
                         (ticket_id, self.hall, code))

    def put_rating(self, row: dict[str, Any]) -> None:
        self.con.execute(
            f"INSERT INTO ratings(hall_id, {', '.join(RATING_COLUMNS)}) "
            f"VALUES(%(hall)s, {', '.join('%(' + c + ')s' for c in RATING_COLUMNS)})", _rating_row(row, self.hall))

    def get_rating(self, ticket_id: str) -> dict[str, Any] | None:
        rows = _dicts(self._q(f"SELECT {', '.join(RATING_COLUMNS)} FROM ratings WHERE hall_id=%s AND ticket_id=%s",
                              (ticket_id,)))
        return _ints(rows[0]) if rows else None

    def put_stage_rating(self, row: dict[str, Any]) -> None:
        cols = ("stage", *RATING_COLUMNS)
        self.con.execute(f"INSERT INTO stage_ratings(hall_id, {', '.join(cols)}) "
                         f"VALUES(%(hall)s, {', '.join('%(' + c + ')s' for c in cols)})", _rating_row(row, self.hall))

    def get_stage_rating(self, ticket_id: str, stage: str) -> dict[str, Any] | None:
        rows = _dicts(self._q(f"SELECT stage, {', '.join(RATING_COLUMNS)} FROM stage_ratings "
                              "WHERE hall_id=%s AND ticket_id=%s AND stage=%s", (ticket_id, stage)))
        return _ints(rows[0]) if rows else None

    def set_followup(self, ticket_id: str, stage: str, level: int | None, comment: str, at: float) -> bool:
        table, extra, args = (("ratings", "", ()) if stage == "finish"
                              else ("stage_ratings", " AND stage=%s", (stage,)))
        return self.con.execute(
            f"UPDATE {table} SET followup_level=%s, followup_comment=%s, followup_at=%s WHERE hall_id=%s "
            f"AND ticket_id=%s{extra} AND followup_at IS NULL", (level, comment, at, self.hall, ticket_id, *args)
        ).rowcount == 1

    def unrated_finished(self, since_day: str, until_day: str) -> list[Ticket]:
        return [Ticket(*r) for r in self._q(
            _SELECT + " WHERE hall_id=%s AND status='done' AND day BETWEEN %s AND %s AND NOT EXISTS "
            "(SELECT 1 FROM ratings r WHERE r.hall_id = tickets.hall_id AND r.ticket_id = tickets.id) ORDER BY seq",
            (since_day, until_day))]

    def rating_rows(self, day_from: str, day_to: str) -> list[dict[str, Any]]:
        cols = ", ".join("r." + c for c in RATING_COLUMNS) + ", t.number, t.day, t.case_no AS ticket_case_no"
        join = "JOIN tickets t ON t.hall_id = r.hall_id AND t.id = r.ticket_id"
        return [_ints(r) for r in _dicts(self.con.execute(
            f"SELECT 'finish' AS stage, {cols} FROM ratings r {join} "
            f"WHERE r.hall_id=%s AND t.day BETWEEN %s AND %s UNION ALL SELECT r.stage, {cols} "
            f"FROM stage_ratings r {join} WHERE r.hall_id=%s AND t.day BETWEEN %s AND %s ORDER BY at",
            (self.hall, day_from, day_to, self.hall, day_from, day_to)))]

    def case_ratings(self, case_no: str) -> list[dict[str, Any]]:
        cols = ", ".join("r." + c for c in RATING_COLUMNS) + ", t.number, t.day"
        join = "JOIN tickets t ON t.hall_id = r.hall_id AND t.id = r.ticket_id"
        return [_ints(r) for r in _dicts(self.con.execute(
            f"SELECT 'finish' AS stage, {cols} FROM ratings r {join} WHERE r.hall_id=%s AND t.case_no=%s "
            f"UNION ALL SELECT r.stage, {cols} FROM stage_ratings r {join} WHERE r.hall_id=%s AND t.case_no=%s "
            "ORDER BY at", (self.hall, case_no, self.hall, case_no)))]

    def set_rating_case(self, ticket_id: str, case_no: str) -> None:
        for table in ("ratings", "stage_ratings"):
            self.con.execute(f"UPDATE {table} SET case_no=%s WHERE hall_id=%s AND ticket_id=%s AND case_no IS NULL",
                             (case_no, self.hall, ticket_id))

    def put_loop(self, row: dict[str, Any]) -> None:
        self.con.execute(
            "INSERT INTO rating_loops(hall_id, ticket_id, stage, opened_at, opened_day, callback_due, rectify_due) "
            "VALUES(%(hall)s, %(ticket_id)s, %(stage)s, %(opened_at)s, %(opened_day)s, %(callback_due)s, "
            "%(rectify_due)s)", {**row, "hall": self.hall})

    def get_loop(self, ticket_id: str) -> dict[str, Any] | None:
        rows = self._loops("l.ticket_id=%s", (ticket_id,))
        return rows[0] if rows else None

    def update_loop(self, ticket_id: str, changes: dict[str, Any]) -> None:
        unknown = set(changes) - set(LOOP_UPDATABLE)
        if unknown:
            raise ValueError(f"not a rating_loops column: {unknown}")
        self.con.execute(f"UPDATE rating_loops SET {', '.join(c + '=%s' for c in changes)} "
                         "WHERE hall_id=%s AND ticket_id=%s", (*changes.values(), self.hall, ticket_id))

    def loop_rows(self, day_from: str, day_to: str, open_only: bool) -> list[dict[str, Any]]:
        if open_only:
            return self._loops("l.verified_at IS NULL", ())
        return self._loops("l.opened_day BETWEEN %s AND %s", (day_from, day_to))

    def _loops(self, where: str, args: tuple[Any, ...]) -> list[dict[str, Any]]:
        return _dicts(self._q(
            "SELECT l.ticket_id, l.stage, l.opened_at, l.opened_day, l.callback_due, l.rectify_due, l.callback_at, "
            "l.callback_by, l.callback_note, l.verified_at, l.verified_by, l.verified_note, l.callback_escalated, "
            "l.rectify_escalated, t.number, t.day, t.case_no, t.service_id, t.counter_id, t.staff_id, "
            "x.response, x.at AS rectified_at, x.by AS rectified_by FROM rating_loops l "
            "JOIN tickets t ON t.hall_id = l.hall_id AND t.id = l.ticket_id "
            "LEFT JOIN rectifications x ON x.hall_id = l.hall_id AND x.ticket_id = l.ticket_id "
            f"WHERE l.hall_id=%s AND {where} ORDER BY l.opened_at", args))

    def ticket_by_number(self, day: str, number: str) -> Ticket | None:
        # A transfer keeps the number: the newest ticket of that number is the live one.
        return _ticket(self._q(_SELECT + " WHERE hall_id=%s AND day=%s AND number=%s ORDER BY seq DESC LIMIT 1",
                               (day, number)).fetchone())

    def ratings(self, day_from: str, day_to: str, bad_only: bool) -> list[dict[str, Any]]:
        return _dicts(self._q(
            "SELECT r.ticket_id, t.number, t.day, r.level, r.reason, r.comment, r.at, r.service_id, r.counter_id, "
            "r.staff_id, r.case_no, r.attitude, r.efficiency, r.competence, r.is_default::int AS is_default, "
            "r.followup_level, r.followup_comment, x.response, x.at AS rectified_at, x.by AS rectified_by "
            "FROM ratings r JOIN tickets t ON t.hall_id = r.hall_id AND t.id = r.ticket_id "
            "LEFT JOIN rectifications x ON x.hall_id = r.hall_id AND x.ticket_id = r.ticket_id "
            "WHERE r.hall_id=%s AND t.day BETWEEN %s AND %s AND (NOT %s OR r.level <= 2) ORDER BY r.at",
            (day_from, day_to, bad_only)))

    def put_rectification(self, row: dict[str, Any]) -> None:
        self.con.execute(
            "INSERT INTO rectifications(hall_id, ticket_id, response, at, by) VALUES(%(hall)s, %(ticket_id)s, "
            "%(response)s, %(at)s, %(by)s) ON CONFLICT(hall_id, ticket_id) DO UPDATE SET "
            "response=excluded.response, at=excluded.at, by=excluded.by", {**row, "hall": self.hall})

    def add_alert(self, row: dict[str, Any]) -> int:
        got = self.con.execute(
            "INSERT INTO alerts(hall_id, at, kind, source, message, counter_id) VALUES(%(hall)s, %(at)s, %(kind)s, "
            "%(source)s, %(message)s, %(counter_id)s) RETURNING id",
            {"counter_id": None, **row, "hall": self.hall}).fetchone()
        return int(got[0]) if got else 0

    def alerts(self, include_acked: bool, limit: int) -> list[dict[str, Any]]:
        return _dicts(self._q(
            "SELECT id, at, kind, source, message, acked_at, acked_by FROM alerts WHERE hall_id=%s"
            + ("" if include_acked else " AND acked_at IS NULL") + " ORDER BY id DESC LIMIT %s", (limit,)))

    def ack_alert(self, alert_id: int, at: float, by: str | None, counter_id: str | None = None) -> bool:
        return self.con.execute(
            "UPDATE alerts SET acked_at=%s, acked_by=%s, acked_counter=%s WHERE hall_id=%s AND id=%s "
            "AND acked_at IS NULL", (at, by, counter_id, self.hall, alert_id)).rowcount == 1

    def get_alert(self, alert_id: int) -> dict[str, Any] | None:
        rows = _dicts(self._q(f"SELECT {_ALERT_COLS} FROM alerts WHERE hall_id=%s AND id=%s", (alert_id,)))
        return rows[0] if rows else None

    def open_alerts(self, limit: int) -> list[dict[str, Any]]:
        return _dicts(self._q(f"SELECT {_ALERT_COLS} FROM alerts WHERE hall_id=%s AND resolved_at IS NULL "
                              "ORDER BY id DESC LIMIT %s", (limit,)))

    def resolve_alert(self, alert_id: int, at: float, by: str | None, counter_id: str | None,
                      note: str | None) -> bool:
        return self.con.execute(
            "UPDATE alerts SET resolved_at=%s, resolved_by=%s, resolved_counter=%s, resolution=%s, "
            "acked_at=coalesce(acked_at, %s), acked_by=CASE WHEN acked_at IS NULL THEN %s ELSE acked_by END, "
            "acked_counter=CASE WHEN acked_at IS NULL THEN %s ELSE acked_counter END "
            "WHERE hall_id=%s AND id=%s AND resolved_at IS NULL",
            (at, by, counter_id, note, at, by, counter_id, self.hall, alert_id)).rowcount == 1

    def escalate_alerts(self, raised_before: float, at: float,
                        alert_id: int | None = None) -> list[dict[str, Any]]:
        return _dicts(self.con.execute(
            f"UPDATE alerts SET escalated_at=%s WHERE hall_id=%s AND counter_id IS NOT NULL AND escalated_at IS NULL "
            f"AND acked_at IS NULL AND resolved_at IS NULL AND at <= %s AND (%s::bigint IS NULL OR id = %s) "
            f"RETURNING {_ALERT_COLS}", (at, self.hall, raised_before, alert_id, alert_id)))

    def add_notice(self, row: dict[str, Any]) -> int:
        got = self.con.execute(
            "INSERT INTO notices(hall_id, text_zh, text_en, starts_at, ends_at, posted_at, posted_by) VALUES("
            "%(hall)s, %(text_zh)s, %(text_en)s, %(starts_at)s, %(ends_at)s, %(posted_at)s, %(posted_by)s) "
            "RETURNING id", {**row, "hall": self.hall}).fetchone()
        return int(got[0]) if got else 0

    def notices(self, ending_after: float, limit: int) -> list[dict[str, Any]]:
        return _dicts(self._q(f"SELECT {_NOTICE_COLS} FROM notices WHERE hall_id=%s AND withdrawn_at IS NULL "
                              "AND ends_at > %s ORDER BY starts_at, id LIMIT %s", (ending_after, limit)))

    def withdraw_notice(self, notice_id: int, at: float, by: str | None) -> bool:
        return self.con.execute(
            "UPDATE notices SET withdrawn_at=%s, withdrawn_by=%s WHERE hall_id=%s AND id=%s AND withdrawn_at IS NULL",
            (at, by, self.hall, notice_id)).rowcount == 1

    def put_complaint(self, row: dict[str, Any]) -> None:
        self.con.execute(f"INSERT INTO complaints(hall_id, {', '.join(COMPLAINT_COLUMNS)}) "
                         f"VALUES(%(hall)s, {', '.join(f'%({c})s' for c in COMPLAINT_COLUMNS)})",
                         {**row, "hall": self.hall})

    def complaint(self, complaint_id: str | None, number: str | None) -> dict[str, Any] | None:
        cols = ", ".join(COMPLAINT_COLUMNS)
        if complaint_id is not None:
            rows = _dicts(self._q(f"SELECT {cols} FROM complaints WHERE hall_id=%s AND id=%s", (complaint_id,)))
        else:  # its number, or the kiosk's local number of one the hall numbered (an answer lost)
            rows = _dicts(self._q(f"(SELECT {cols} FROM complaints WHERE hall_id=%s AND number=%s) UNION ALL "
                                  f"(SELECT {cols} FROM complaints WHERE hall_id=%s AND alias=%s) LIMIT 1",
                                  (number, self.hall, number)))
        return rows[0] if rows else None

    def update_complaint(self, complaint_id: str, changes: dict[str, Any]) -> None:
        cols = [c for c in changes if c in COMPLAINT_CHANGES]
        self.con.execute(f"UPDATE complaints SET {', '.join(c + '=%s' for c in cols)} WHERE hall_id=%s AND id=%s",
                         [*(changes[c] for c in cols), self.hall, complaint_id])

    def complaints(self, day_from: str, day_to: str, state: str | None, limit: int) -> list[dict[str, Any]]:
        return _dicts(self._q(
            f"SELECT {', '.join(COMPLAINT_COLUMNS)} FROM complaints WHERE hall_id=%s AND day BETWEEN %s AND %s "
            "AND (%s::text IS NULL OR state=%s) ORDER BY received_at DESC LIMIT %s",
            (day_from, day_to, state, state, limit)))

    _FLEET = "SELECT device, role, name, counter_id, state, seen_at, silent_alert FROM fleet WHERE hall_id=%s"

    def fleet_get(self, device: str) -> dict[str, Any] | None:
        found = _dicts(self._q(self._FLEET + " AND device=%s", (device,)))
        return found[0] if found else None

    def fleet_put(self, row: dict[str, Any]) -> None:
        self.con.execute(
            "INSERT INTO fleet(hall_id, device, role, name, counter_id, state, seen_at, silent_alert) VALUES(%(hall)s, "
            "%(device)s, %(role)s, %(name)s, %(counter_id)s, %(state)s, %(seen_at)s, %(silent_alert)s) "
            "ON CONFLICT(hall_id, device) DO UPDATE SET role=excluded.role, name=excluded.name, "
            "counter_id=excluded.counter_id, state=excluded.state, seen_at=excluded.seen_at, "
            "silent_alert=excluded.silent_alert", {**row, "hall": self.hall})

    def fleet_all(self) -> list[dict[str, Any]]:
        return _dicts(self._q(self._FLEET + " ORDER BY device"))

    def fleet_set_silent(self, device: str, alert_id: int | None) -> None:
        self.con.execute("UPDATE fleet SET silent_alert=%s WHERE hall_id=%s AND device=%s",
                         (alert_id, self.hall, device))


def migrate_pg(con: psycopg.Connection[Any], schema: Schema = SCHEMA) -> int:
    """Bring the database to ``schema.version`` (autocommit connection); return the version it had.
    Each step commits with its row in ``queue_schema``; a newer database is refused untouched."""
    with con.transaction():
        con.execute("SELECT pg_advisory_xact_lock(%s)", (_MIGRATION_LOCK,))
        con.execute("CREATE TABLE IF NOT EXISTS queue_schema(version INTEGER PRIMARY KEY, description TEXT NOT NULL, "
                    "applied_at DOUBLE PRECISION NOT NULL)")
        start = int(con.execute("SELECT coalesce(max(version), 0) FROM queue_schema").fetchone()[0])  # type: ignore[index]
        if start > schema.version:
            raise SchemaTooNewError(schema.name, start, schema.version)
        for target in range(start + 1, schema.version + 1):
            step = schema.migrations[target - 1]
            assert isinstance(step.apply, str), "PostgreSQL migrations are SQL"
            with con.transaction():  # a savepoint: the step and its version row together
                con.execute(step.apply.encode())  # several statements: the simple query protocol
                con.execute("INSERT INTO queue_schema VALUES(%s, %s, %s)", (target, step.description, time.time()))
            log.info("schema migrated", extra={"ctx": {"schema": schema.name, "version": target,
                                                       "step": step.description}})
    return start


class PgStore:
    """One hall's rows in a PostgreSQL database, through a connection pool (psycopg_pool)."""

    def __init__(self, url: str, hall_id: str, credentials_db: Path | str = "", *, max_connections: int = 8,
                 lock_timeout_s: float = 30.0, connect_timeout_s: float = 10.0, pool_timeout_s: float = 10.0) -> None:
        self.url, self.hall_id = url, hall_id
        self.path = str(credentials_db)  # the SQLite file of the device and staff tables (credentials.py)
        self.channel = channel_of(hall_id)
        self.failure: str | None = None  # the last storage error, until a write succeeds again
        self.damaged: str | None = None  # data corruption reported by the server: sticky until restart
        self.repaired: dict[str, Any] | None = None  # SQLiteStore's start-up repair; never on PostgreSQL
        self._alerted: str | None = None
        self._write_lock = threading.Lock()  # this process's writers queue here, not on the row lock
        lock_ms = int(lock_timeout_s * 1000)

        def configure(con: psycopg.Connection[Any]) -> None:
            con.execute(f"SET lock_timeout = {lock_ms}")
            con.execute(f"SET idle_in_transaction_session_timeout = {lock_ms * 2}")

        try:
            with psycopg.connect(url, autocommit=True, connect_timeout=int(connect_timeout_s)) as con:
                migrate_pg(con)
                con.execute("INSERT INTO halls(hall_id, created_at) VALUES(%s, %s) ON CONFLICT DO NOTHING",
                            (hall_id, time.time()))
        except psycopg.Error as exc:  # the message names host and database, never the password
            raise StoreUnreachableError(f"the queue database cannot be used: {str(exc).strip()[:300]}") from exc
        self.pool: ConnectionPool[psycopg.Connection[Any]] = ConnectionPool(
            url, min_size=1, max_size=max_connections, open=True, configure=configure,
            kwargs={"autocommit": True, "connect_timeout": int(connect_timeout_s)},
            check=ConnectionPool.check_connection, timeout=pool_timeout_s, name=f"hall-{hall_id}")

    def report_failure(self, exc: Exception) -> QueueError:
        """Another reader of the hall's storage (the credential tables) hit ``exc``: remembered like
        the store's own failures, so health says 503; returns the API's 503."""
        return self._failed(exc)

    def _failed(self, exc: Exception) -> QueueError:
        state = getattr(exc, "sqlstate", None)
        self.failure = f"{state or type(exc).__name__}: {str(exc).strip()[:300]}"
        if state in _DAMAGE and self.damaged is None:
            self.damaged = self.failure
            log.error("ALERT storage: the queue database reports damaged data", extra={"ctx": {"error": self.failure}})
        else:
            log.error("queue store failed", extra={"ctx": {"error": self.failure}})
        return QueueError(503, HallCode.STORAGE_FAILED,
                          "the hall's queue store cannot be used now; staff have been told")

    @contextmanager
    def _transaction(self, begin: str, lock_hall: bool) -> Iterator[PgTx]:
        try:
            with self.pool.connection() as con:
                try:
                    con.execute(begin)
                    if lock_hall:
                        con.execute("SELECT 1 FROM halls WHERE hall_id=%s FOR UPDATE", (self.hall_id,))
                except psycopg.Error as exc:
                    raise self._failed(exc) from exc
                tx = PgTx(con, self.hall_id)
                try:
                    yield tx
                    if tx.appended:  # delivered at commit, with the hall's newest seq
                        con.execute("SELECT pg_notify(%s, %s)", (self.channel, str(tx.appended)))
                except BaseException as exc:
                    self._rollback(con)
                    if isinstance(exc, psycopg.Error):
                        raise self._failed(exc) from exc
                    raise
                try:
                    con.execute("COMMIT")
                except psycopg.Error as exc:
                    self._rollback(con)
                    raise self._failed(exc) from exc
        except psycopg.Error as exc:  # no connection from the pool (server down, pool timeout)
            raise self._failed(exc) from exc

    @staticmethod
    def _rollback(con: psycopg.Connection[Any]) -> None:
        try:
            con.execute("ROLLBACK")
        except psycopg.Error:  # a broken connection: the pool discards it
            log.warning("rollback failed", exc_info=True)

    @contextmanager
    def write(self) -> Iterator[PgTx]:
        with self._write_lock, self._transaction("BEGIN ISOLATION LEVEL READ COMMITTED", lock_hall=True) as tx:
            yield tx
        self.failure = None

    @contextmanager
    def read(self) -> Iterator[PgTx]:
        with self._transaction("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", lock_hall=False) as tx:
            yield tx

    def doorbell(self) -> PgDoorbell:
        """A new doorbell for one process's event hub: it rings on the hall's ``NOTIFY``."""
        return PgDoorbell(self.url, self.hall_id).start()

    def check_integrity(self) -> list[str]:
        """The running service's periodic check: PostgreSQL checks its own pages (checksums,
        amcheck belong to its operators); damage it has reported since start is what we know."""
        return [self.damaged] if self.damaged is not None else []

    def probe(self, now: float) -> str | None:
        """What ``/api/v1/health`` asks: None when the hall's rows can be read and written (a tiny
        committed write), else why not. As on SQLite, only the service's own writes clear a failure."""
        if self.damaged is not None:
            return "the queue database is damaged: " + self.damaged
        before = self.failure
        try:
            with self.write() as tx:
                tx.get_meta("day")
                tx.set_meta("health_probe", repr(now))
                if before is not None and before != self._alerted:
                    tx.add_alert({"at": now, "kind": "storage", "source": "hall-service",
                                  "message": f"the queue store refused a write: {before[:200]}"})
                    self._alerted = before
        except QueueError:
            if isinstance(self.failure, str) and self.failure.startswith("PoolTimeout"):
                self.failure = self._why_no_connection() or self.failure
            return self.failure
        self.failure = before
        return before

    def _why_no_connection(self) -> str | None:
        """The pool only says it got no connection in time; one direct attempt says why."""
        try:
            with psycopg.connect(self.url, connect_timeout=3):
                return None
        except psycopg.Error as exc:
            return f"{type(exc).__name__}: {str(exc).strip()[:300]}"

    def close(self) -> None:
        self.pool.close()


class PgDoorbell:
    """Rings when another process commits events of a hall: ``LISTEN`` on its own connection.

    ``on_ring`` (from the doorbell's thread) and :meth:`wait` fire on each notification and
    once after every (re)connection, because notifications sent while it was away are lost:
    the caller then reads the event table from its own cursor (the table is the single source;
    the notification only says "look"). It reconnects by itself with a growing pause."""

    def __init__(self, url: str, hall_id: str, on_ring: Callable[[], None] | None = None,
                 retry_s: tuple[float, float] = (0.2, 5.0)) -> None:
        self.url, self.channel, self.on_ring = url, channel_of(hall_id), on_ring
        self.retry_s = retry_s
        self.connected = threading.Event()
        self.rings = 0
        self._rung = threading.Event()
        self._stop = threading.Event()
        self._con: psycopg.Connection[Any] | None = None
        self._thread = threading.Thread(target=self._run, name=f"pg-doorbell-{hall_id}", daemon=True)

    def start(self) -> PgDoorbell:
        self._thread.start()
        return self

    def wait(self, timeout: float) -> bool:
        """True when it rang since the last wait (or within ``timeout`` seconds)."""
        rang = self._rung.wait(timeout)
        self._rung.clear()
        return rang

    def _ring(self) -> None:
        self.rings += 1
        self._rung.set()
        if self.on_ring is not None:
            try:
                self.on_ring()
            except Exception:  # the listener keeps listening whatever the callback does
                log.exception("doorbell callback failed")

    def _run(self) -> None:
        pause = self.retry_s[0]
        while not self._stop.is_set():
            try:
                with psycopg.connect(self.url, autocommit=True, connect_timeout=10) as con:
                    self._con = con
                    con.execute(sql.SQL("LISTEN {}").format(sql.Identifier(self.channel)))
                    self.connected.set()
                    pause = self.retry_s[0]
                    self._ring()  # anything committed while it was not listening
                    while not self._stop.is_set():
                        for _ in con.notifies(timeout=0.5, stop_after=1):
                            self._ring()
            except psycopg.Error as exc:
                self.connected.clear()
                if self._stop.is_set():
                    break
                log.warning("event doorbell lost its connection; reconnecting",
                            extra={"ctx": {"error": type(exc).__name__, "retry_s": pause}})
                self._stop.wait(pause)
                pause = min(pause * 2, self.retry_s[1])
            finally:
                self._con = None

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        self._rung.set()  # a waiter returns at once
        self._thread.join(timeout)

    def close(self) -> None:
        """The ``ChangeDoorbell`` ending: wakes a waiter; the doorbell rings no more."""
        self.stop()
