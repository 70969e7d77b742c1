"""The SMS outbox ``<data-dir>/sms.db``: who opted in (their mobile number sealed), the messages
owed to them and where each stands at the gateway, and the dispatcher's cursor in the event log.

Exactly-once, as far as CMPP allows (docs/sms.md, "Exactly once"):

- a message is keyed by (ticket, kind): whatever replays the event log, it is created once;
- a part is marked ``sending`` with the Sequence_Id it goes out under, committed *before* the
  SUBMIT leaves; Sequence_Ids come from a counter in this file, so a restart never reuses one;
- ``submitted`` holds the gateway's Msg_Id; its status report makes it ``delivered`` or sends it
  back to ``pending`` (the phone got nothing: sending again is not a duplicate);
- a flow-control or refused SUBMIT_RESP means the gateway took nothing: back to ``pending`` with
  a backoff;
- a SUBMIT whose response never came (timeout, a crash while ``sending``) is ``doubt``: the
  gateway may have taken it, and CMPP has no idempotency key, so it is **never sent again**. A
  status report for the same phone that no Msg_Id of ours explains settles it; otherwise the
  message ends ``unknown`` and the staff are told. A lost message is the side we choose over a
  duplicate: the ticket page and the display still tell the citizen.

The number itself is sealed (AES-256-GCM, or SM4 with the 国密 suite: offline_cache.sealing) with
its ticket as associated data, stored masked for screens (138****5678) and as an HMAC to match
status reports, and deleted with the ticket (:meth:`SmsOutbox.purge`)."""

from __future__ import annotations

import re
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from offline_cache.migrations import Migration, Schema, migrate, refuse_newer
from offline_cache.sealing import Sealer, load_or_create_key

MOBILE = re.compile(r"1[3-9]\d{9}")
KINDS = ("turn_near", "rating_invite", "callback")

SCHEMA = Schema("sms outbox", (
    Migration("subscriptions, messages, parts, orphan reports, meta", """
        CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
        CREATE TABLE subscriptions (
            ticket_id TEXT PRIMARY KEY, day TEXT NOT NULL, service_id TEXT NOT NULL, number TEXT NOT NULL,
            lang TEXT NOT NULL, phone_sealed BLOB, phone_mask TEXT NOT NULL,
            phone_hmac TEXT NOT NULL, created_at REAL NOT NULL, purged_at REAL);
        CREATE TABLE messages (
            id INTEGER PRIMARY KEY, ticket_id TEXT NOT NULL, kind TEXT NOT NULL, text_sealed BLOB,
            state TEXT NOT NULL DEFAULT 'pending', attempts INTEGER NOT NULL DEFAULT 0,
            next_at REAL NOT NULL DEFAULT 0, created_at REAL NOT NULL, updated_at REAL NOT NULL,
            error TEXT, alerted INTEGER NOT NULL DEFAULT 0, UNIQUE (ticket_id, kind));
        CREATE INDEX messages_due ON messages (state, next_at);
        CREATE TABLE parts (
            message_id INTEGER NOT NULL REFERENCES messages(id), part INTEGER NOT NULL, total INTEGER NOT NULL,
            state TEXT NOT NULL DEFAULT 'pending', seq INTEGER, msg_id TEXT, sent_at REAL,
            PRIMARY KEY (message_id, part));
        CREATE UNIQUE INDEX parts_msg_id ON parts (msg_id) WHERE msg_id IS NOT NULL;
        CREATE TABLE orphan_reports (
            msg_id TEXT PRIMARY KEY, phone_hmac TEXT NOT NULL, stat TEXT NOT NULL, at REAL NOT NULL);
    """),
))

MAX_ATTEMPTS = 5
# Msg_Id is an unsigned 64-bit integer (December's sets the top bit): kept as its decimal text,
# since SQLite's INTEGER is signed.
BACKOFF_S = (2.0, 10.0, 30.0, 120.0, 600.0)


def mask(phone: str) -> str:
    return f"{phone[:3]}****{phone[-4:]}"


def valid_mobile(phone: str) -> bool:
    return MOBILE.fullmatch(phone) is not None


@dataclass(frozen=True)
class Subscription:
    ticket_id: str
    day: str
    service_id: str
    number: str
    lang: str
    phone_mask: str


@dataclass(frozen=True)
class Due:
    """A part to send now."""

    message_id: int
    ticket_id: str
    kind: str
    part: int
    total: int
    attempts: int


class SmsOutbox:
    """sms.db; safe to share between the threads of one process and between processes
    (``hall-server --workers``: every worker writes opt-ins, only worker 0 sends)."""

    def __init__(self, path: Path, suite: str = "aes", clock: Any = time.time) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        self._sealer = Sealer(load_or_create_key(path.with_suffix(".key")), suite)
        self.clock = clock
        self._lock = threading.RLock()
        self._conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=30)
        refuse_newer(self._conn, SCHEMA, str(path))
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute("PRAGMA synchronous=FULL")
        self._conn.execute("PRAGMA foreign_keys=ON")
        migrate(self._conn, SCHEMA, str(path))

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield self._conn
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")

    def _q(self, sql: str, *args: Any) -> list[tuple[Any, ...]]:
        with self._lock:
            return self._conn.execute(sql, args).fetchall()

    # ------------------------------------------------------------------ meta

    def meta(self, key: str, default: str = "") -> str:
        rows = self._q("SELECT value FROM meta WHERE key = ?", key)
        return str(rows[0][0]) if rows else default

    def set_meta(self, key: str, value: str) -> None:
        with self._tx() as c:
            c.execute("INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET "
                      "value = excluded.value", (key, value))

    def next_seq(self) -> int:
        """A Sequence_Id never handed out before by this hall (1..2^32-1, cycling as the spec says)."""
        with self._tx() as c:
            row = c.execute("SELECT value FROM meta WHERE key = 'seq'").fetchone()
            seq = int(row[0]) % 0xFFFFFFFF + 1 if row else 1
            c.execute("INSERT INTO meta (key, value) VALUES ('seq', ?) ON CONFLICT (key) DO UPDATE SET "
                      "value = excluded.value", (str(seq),))
        return seq

    # ------------------------------------------------------------------ subscriptions

    def phone_hmac(self, phone: str) -> str:
        return self._sealer.id_hash("sms:" + phone)

    def subscribe(self, ticket_id: str, day: str, service_id: str, number: str, phone: str, lang: str) -> str:
        """Opt ``phone`` in for the ticket (a second opt-in replaces the number); its mask."""
        if not valid_mobile(phone):
            raise ValueError("not a mainland mobile number")
        sealed = self._sealer.seal(phone.encode("ascii"), "sms-phone:" + ticket_id)
        now = self.clock()
        with self._tx() as c:
            c.execute(
                "INSERT INTO subscriptions (ticket_id, day, service_id, number, lang, phone_sealed, phone_mask,"
                " phone_hmac, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (ticket_id) DO UPDATE SET"
                " phone_sealed = excluded.phone_sealed, phone_mask = excluded.phone_mask, lang = excluded.lang,"
                " phone_hmac = excluded.phone_hmac, purged_at = NULL",
                (ticket_id, day, service_id, number, lang, sealed, mask(phone), self.phone_hmac(phone), now))
        return mask(phone)

    def subscription(self, ticket_id: str) -> Subscription | None:
        rows = self._q("SELECT ticket_id, day, service_id, number, lang, phone_mask FROM subscriptions "
                       "WHERE ticket_id = ? AND purged_at IS NULL", ticket_id)
        return Subscription(*rows[0]) if rows else None

    def active(self) -> list[Subscription]:
        return [Subscription(*r) for r in self._q(
            "SELECT ticket_id, day, service_id, number, lang, phone_mask FROM subscriptions "
            "WHERE purged_at IS NULL ORDER BY created_at")]

    def phone(self, ticket_id: str) -> str | None:
        rows = self._q("SELECT phone_sealed FROM subscriptions WHERE ticket_id = ? AND purged_at IS NULL", ticket_id)
        if not rows or rows[0][0] is None:
            return None
        return self._sealer.open(bytes(rows[0][0]), "sms-phone:" + ticket_id).decode("ascii")

    def follow_transfer(self, old_id: str, new_id: str, number: str, service_id: str) -> None:
        """转办: the opt-in goes with the citizen to the new ticket (sealed again under its id);
        the old ticket's messages stay what they were."""
        phone = self.phone(old_id)
        sub = self.subscription(old_id)
        if phone is None or sub is None:
            return
        sealed = self._sealer.seal(phone.encode("ascii"), "sms-phone:" + new_id)
        with self._tx() as c:
            c.execute(
                "INSERT INTO subscriptions (ticket_id, day, service_id, number, lang, phone_sealed, phone_mask,"
                " phone_hmac, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (ticket_id) DO NOTHING",
                (new_id, sub.day, service_id, number, sub.lang, sealed, sub.phone_mask, self.phone_hmac(phone),
                 self.clock()))

    def purge(self, ticket_id: str) -> bool:
        """Delete the number (and the texts) of a ticket whose messages are all settled; False while
        one is still owed or in flight."""
        with self._tx() as c:
            open_ = c.execute("SELECT COUNT(*) FROM messages WHERE ticket_id = ? AND state IN "
                              "('pending', 'sending', 'submitted', 'doubt')", (ticket_id,)).fetchone()[0]
            if open_:
                return False
            c.execute("UPDATE subscriptions SET phone_sealed = NULL, phone_mask = '', purged_at = ? "
                      "WHERE ticket_id = ? AND purged_at IS NULL", (self.clock(), ticket_id))
            c.execute("UPDATE messages SET text_sealed = NULL WHERE ticket_id = ?", (ticket_id,))
        return True

    def stop_for(self, ticket_id: str) -> None:
        """The citizen opted out: nothing more is sent; the number goes once nothing is in flight."""
        with self._tx() as c:
            c.execute("UPDATE messages SET state = 'failed', error = 'opted out', alerted = 1 "
                      "WHERE ticket_id = ? AND state = 'pending'", (ticket_id,))
            c.execute("UPDATE subscriptions SET phone_mask = '' WHERE ticket_id = ?", (ticket_id,))
        if not self.purge(ticket_id):
            with self._tx() as c:  # in flight: the sealed number stays only until its report
                c.execute("UPDATE messages SET state = 'failed', error = 'opted out', alerted = 1 "
                          "WHERE ticket_id = ? AND state IN ('sending', 'submitted', 'doubt')", (ticket_id,))
            self.purge(ticket_id)

    def purge_before(self, day: str) -> int:
        """Day rollover + retention: every number of a day before ``day``, settled or not."""
        with self._tx() as c:
            ids = [r[0] for r in c.execute("SELECT ticket_id FROM subscriptions WHERE day < ? AND purged_at IS NULL",
                                           (day,))]
            for tid in ids:
                c.execute("UPDATE messages SET state = 'failed', error = 'expired', alerted = 1, text_sealed = NULL "
                          "WHERE ticket_id = ? AND state IN ('pending', 'sending', 'submitted', 'doubt')", (tid,))
                c.execute("UPDATE messages SET text_sealed = NULL WHERE ticket_id = ?", (tid,))
                c.execute("UPDATE subscriptions SET phone_sealed = NULL, phone_mask = '', purged_at = ? "
                          "WHERE ticket_id = ?", (self.clock(), tid))
        return len(ids)

    # ------------------------------------------------------------------ messages

    def create(self, ticket_id: str, kind: str, text: str, parts: int) -> bool:
        """The message (ticket, kind) with ``parts`` parts; False when it exists already."""
        now = self.clock()
        with self._tx() as c:
            cur = c.execute("INSERT INTO messages (ticket_id, kind, text_sealed, created_at, updated_at) "
                            "VALUES (?, ?, ?, ?, ?) ON CONFLICT (ticket_id, kind) DO NOTHING",
                            (ticket_id, kind, self._sealer.seal(text.encode("utf-8"), f"sms-text:{ticket_id}:{kind}"),
                             now, now))
            if not cur.rowcount:
                return False
            mid = cur.lastrowid
            c.executemany("INSERT INTO parts (message_id, part, total) VALUES (?, ?, ?)",
                          [(mid, i + 1, parts) for i in range(parts)])
        return True

    def text(self, message_id: int) -> str:
        row = self._q("SELECT ticket_id, kind, text_sealed FROM messages WHERE id = ?", message_id)[0]
        return self._sealer.open(bytes(row[2]), f"sms-text:{row[0]}:{row[1]}").decode("utf-8")

    def messages(self, ticket_id: str | None = None) -> list[dict[str, Any]]:
        sql = "SELECT id, ticket_id, kind, state, attempts, error FROM messages"
        if ticket_id:
            rows = self._q(sql + " WHERE ticket_id = ? ORDER BY id", ticket_id)
        else:
            rows = self._q(sql + " ORDER BY id")
        return [dict(zip(("id", "ticket_id", "kind", "state", "attempts", "error"), r, strict=True)) for r in rows]

    def due(self, limit: int = 20) -> list[Due]:
        rows = self._q(
            "SELECT m.id, m.ticket_id, m.kind, p.part, p.total, m.attempts FROM messages m JOIN parts p ON "
            "p.message_id = m.id WHERE m.state IN ('pending', 'sending', 'submitted') AND p.state = 'pending' "
            "AND m.next_at <= ? ORDER BY m.next_at, m.id, p.part LIMIT ?", self.clock(), limit)
        return [Due(*r) for r in rows]

    def sending(self, message_id: int, part: int, seq: int) -> None:
        """Committed before the SUBMIT leaves: from here on a lost answer means "in doubt"."""
        with self._tx() as c:
            c.execute("UPDATE parts SET state = 'sending', seq = ?, sent_at = ? WHERE message_id = ? AND part = ?",
                      (seq, self.clock(), message_id, part))
            self._settle(c, message_id)

    def submitted(self, message_id: int, part: int, msg_id_: int) -> None:
        msg_id = str(msg_id_)
        with self._tx() as c:
            orphan = c.execute("SELECT stat FROM orphan_reports WHERE msg_id = ?", (msg_id,)).fetchone()
            state = "submitted" if orphan is None else ("delivered" if orphan[0] == "DELIVRD" else "pending")
            c.execute("UPDATE parts SET state = ?, msg_id = ? WHERE message_id = ? AND part = ?",
                      (state, msg_id if state != "pending" else None, message_id, part))
            if orphan is not None:
                c.execute("DELETE FROM orphan_reports WHERE msg_id = ?", (msg_id,))
            self._settle(c, message_id)

    def refused(self, message_id: int, part: int, error: str, permanent: bool) -> str:
        """The gateway took nothing: retry later (or give up); the message's state after."""
        with self._tx() as c:
            c.execute("UPDATE parts SET state = 'pending', seq = NULL WHERE message_id = ? AND part = ?",
                      (message_id, part))
            return self._fault(c, message_id, error, permanent)

    def _fault(self, c: sqlite3.Connection, message_id: int, error: str, permanent: bool) -> str:
        attempts = c.execute("SELECT attempts FROM messages WHERE id = ?", (message_id,)).fetchone()[0] + 1
        if permanent or attempts >= MAX_ATTEMPTS:
            c.execute("UPDATE messages SET state = 'failed', attempts = ?, error = ?, updated_at = ? WHERE id = ?",
                      (attempts, error, self.clock(), message_id))
            return "failed"
        wait = BACKOFF_S[min(attempts - 1, len(BACKOFF_S) - 1)]
        c.execute("UPDATE messages SET attempts = ?, error = ?, next_at = ?, updated_at = ? WHERE id = ?",
                  (attempts, error, self.clock() + wait, self.clock(), message_id))
        self._settle(c, message_id)
        return str(c.execute("SELECT state FROM messages WHERE id = ?", (message_id,)).fetchone()[0])

    def in_doubt(self, message_id: int, part: int) -> None:
        """A SUBMIT without its answer: never resent; a status report may still settle it."""
        with self._tx() as c:
            c.execute("UPDATE parts SET state = 'doubt' WHERE message_id = ? AND part = ?", (message_id, part))
            self._adopt(c)
            self._settle(c, message_id)

    def doubts_from_before(self) -> int:
        """At start: parts left ``sending`` by a crash are in doubt (the SUBMIT may have gone)."""
        with self._tx() as c:
            ids = [r[0] for r in c.execute("SELECT DISTINCT message_id FROM parts WHERE state = 'sending'")]
            c.execute("UPDATE parts SET state = 'doubt' WHERE state = 'sending'")
            for mid in ids:
                self._settle(c, mid)
        return len(ids)

    def report(self, msg_id_: int, stat: str, phone_hmac: str) -> str | None:
        """A status report; the message's state after (None: no message of ours, kept a while)."""
        msg_id = str(msg_id_)
        with self._tx() as c:
            row = c.execute("SELECT message_id, part FROM parts WHERE msg_id = ?", (msg_id,)).fetchone()
            if row is None:
                c.execute("INSERT OR REPLACE INTO orphan_reports (msg_id, phone_hmac, stat, at) VALUES (?, ?, ?, ?)",
                          (msg_id, phone_hmac, stat, self.clock()))
                return self._adopt(c)
            mid, part = row
            if stat == "DELIVRD":
                c.execute("UPDATE parts SET state = 'delivered' WHERE message_id = ? AND part = ?", (mid, part))
                return self._settle(c, mid)
            # the phone got nothing: this part may go again under a new Sequence_Id
            c.execute("UPDATE parts SET state = 'pending', msg_id = NULL, seq = NULL WHERE message_id = ? AND part = ?",
                      (mid, part))
            return self._fault(c, mid, f"status report {stat}", False)

    def _adopt(self, c: sqlite3.Connection) -> str | None:
        """Match reports nobody's Msg_Id explains to parts in doubt for the same phone: oldest
        with oldest, only when exactly as many of each are there (otherwise the doubt stays)."""
        state = None
        hmacs = [r[0] for r in c.execute("SELECT DISTINCT phone_hmac FROM orphan_reports")]
        for h in hmacs:
            orphans = c.execute("SELECT msg_id, stat FROM orphan_reports WHERE phone_hmac = ? ORDER BY msg_id",
                                (h,)).fetchall()
            doubts = c.execute(
                "SELECT p.message_id, p.part FROM parts p JOIN messages m ON m.id = p.message_id JOIN subscriptions s "
                "ON s.ticket_id = m.ticket_id WHERE p.state = 'doubt' AND s.phone_hmac = ? ORDER BY p.sent_at",
                (h,)).fetchall()
            sending = c.execute(
                "SELECT COUNT(*) FROM parts p JOIN messages m ON m.id = p.message_id JOIN subscriptions s "
                "ON s.ticket_id = m.ticket_id WHERE p.state = 'sending' AND s.phone_hmac = ?", (h,)).fetchone()[0]
            # a SUBMIT to this phone still waits for its answer: the report may be its own (an early
            # report is matched by its Msg_Id when the answer comes), so nothing is adopted yet
            if sending or not doubts or len(doubts) != len(orphans):
                continue
            for (msg_id, stat), (mid, part) in zip(orphans, doubts, strict=True):
                c.execute("UPDATE parts SET state = ?, msg_id = ? WHERE message_id = ? AND part = ?",
                          ("delivered" if stat == "DELIVRD" else "lost", msg_id, mid, part))
                c.execute("DELETE FROM orphan_reports WHERE msg_id = ?", (msg_id,))
                state = self._settle(c, mid)
        c.execute("DELETE FROM orphan_reports WHERE at < ?", (self.clock() - 86400,))
        return state

    def expire_doubts(self, older_than_s: float) -> list[int]:
        """Doubts no report settled in time: the message ends ``unknown`` (not resent)."""
        with self._tx() as c:
            rows = [r[0] for r in c.execute(
                "SELECT DISTINCT message_id FROM parts WHERE state = 'doubt' AND sent_at < ?",
                (self.clock() - older_than_s,))]
            for mid in rows:
                c.execute("UPDATE parts SET state = 'lost' WHERE message_id = ? AND state = 'doubt'", (mid,))
                self._settle(c, mid)
        return rows

    def _settle(self, c: sqlite3.Connection, message_id: int) -> str:
        """The message's state from its parts'."""
        states = {r[0] for r in c.execute("SELECT state FROM parts WHERE message_id = ?", (message_id,))}
        current = c.execute("SELECT state FROM messages WHERE id = ?", (message_id,)).fetchone()[0]
        if current == "failed":
            return "failed"
        if states <= {"delivered"}:
            state = "delivered"
        elif "pending" in states or "sending" in states:
            state = "sending" if "sending" in states else "pending"
        elif "doubt" in states:
            state = "doubt"
        elif "lost" in states:
            state = "unknown"
        else:
            state = "submitted"
        c.execute("UPDATE messages SET state = ?, updated_at = ? WHERE id = ?", (state, self.clock(), message_id))
        return state

    def unalerted(self) -> list[dict[str, Any]]:
        """Messages that ended failed or unknown and whose staff alert is still to raise."""
        rows = self._q("SELECT m.id, m.ticket_id, m.kind, m.state, m.error, s.number, s.phone_mask FROM messages m "
                       "JOIN subscriptions s ON s.ticket_id = m.ticket_id WHERE m.state IN ('failed', 'unknown') "
                       "AND m.alerted = 0")
        return [dict(zip(("id", "ticket_id", "kind", "state", "error", "number", "phone_mask"), r, strict=True))
                for r in rows]

    def alerted(self, message_id: int) -> None:
        with self._tx() as c:
            c.execute("UPDATE messages SET alerted = 1 WHERE id = ?", (message_id,))
