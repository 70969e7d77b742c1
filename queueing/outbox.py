"""The seam to the platform: forwards the hall's event log into an outbox that syncs it.

The outbox is anything with ``enqueue(kind, payload)`` — in production ``offline_cache``'s
``OfflineCache`` (its ``enqueue(kind, payload, attachments=())`` fits), driven by its
``SyncEngine``; ``None`` means no platform is configured and nothing is forwarded.

A background thread reads events after a cursor kept in the queue store (``meta.outbox_cursor``)
and enqueues ticket events (kind ``ticket_event``), ratings (``rating``) and, when the service
day changes, the previous day's statistics (``stats``). The cursor advances only after the outbox
accepted the record, so nothing is lost across a crash; a crash between the two can enqueue one
record twice, which is why every payload carries ``hall_id`` + ``event_seq`` for the platform to
deduplicate on.

Fleet health (docs/platform-contract.md): alerts and their acknowledgements go as kind ``alert``
(from the event log, like ticket events), and every ``fleet_every_s`` the hall's state now and its
machines' (``fleet_state``, queueing/fleet.py) as one ``fleet_health`` record, its id derived
from the hall and the minute. Both kinds are advisory: an older platform that refuses them
(``unknown_kind``) drops them without stopping anything else (offline_cache/sync.py).

Complaints handled in the hall (queueing/complaints.py: numbered, assigned, replied, closed) go
as kind ``complaint_update``, one record per event, never with the citizen's words; advisory in
the same way (docs/platform-contract.md)."""

from __future__ import annotations

import json
import logging
import sqlite3
import threading
import time
import uuid
from collections.abc import Callable
from typing import Any, Protocol

from queueing import stats
from queueing.model import Hall
from queueing.store import QueueStore

log = logging.getLogger(__name__)
RECORD_NAMESPACE = uuid.UUID("5b0c7c1e-2f43-4d8e-9a57-1d6c3e0f8a21")

# what the provincial 好差评 system hears of a rating: the rating, its default, its 追评 and the
# rectification loop's steps (queueing/cases.py); each as a ``rating`` record naming its ``event``
RATING_KINDS = frozenset({"rating", "rectification", "rating_default", "rating_followup", "rating_callback",
                          "rating_verified"})
TICKET_KINDS = {
    "case_no",  # a 办件编号 the window business system gave after the finish (queueing/cases.py)
    "issue",
    "call",
    "recall",
    "start",
    "finish",
    "no_show",
    "put_back",
    "transfer",
    "cancel",
    "pause",
    "resume",
}
ALERT_KINDS = {"alert", "alert_ack"}
COMPLAINT_KINDS = {"complaint", "complaint_assigned", "complaint_replied", "complaint_closed"}


class Outbox(Protocol):
    def enqueue(self, kind: str, payload: dict[str, Any]) -> object: ...


class OutboxForwarder:
    def __init__(self, store: QueueStore, hall: Hall, outbox: Outbox, batch: int = 200,
                 fleet_state: Callable[[], dict[str, Any]] | None = None, fleet_every_s: float = 60.0,
                 clock: Callable[[], float] = time.time) -> None:
        self.store, self.hall, self.outbox, self.batch = store, hall, outbox, batch
        self.fleet_state, self.fleet_every_s, self.clock = fleet_state, fleet_every_s, clock
        self._fleet_sent: int | None = None  # the slot (clock // fleet_every_s) last sent
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="hall-outbox", daemon=True)

    def start(self) -> None:
        self._thread.start()
        self._wake.set()

    def notify(self, rows: object = None) -> None:  # an engine commit's rows, or a hub's publish
        self._wake.set()

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        self._wake.set()
        self._thread.join(timeout)

    def _put(self, kind: str, payload: dict[str, Any], key: str) -> None:
        """Enqueue with a record id derived from the hall and the event, so a crash between the
        enqueue and the cursor update re-offers the same id: the outbox keeps it once and the
        platform deduplicates on it — exactly once end to end."""
        record_id = str(uuid.uuid5(RECORD_NAMESPACE, f"{self.hall.id}/{key}"))
        try:
            self.outbox.enqueue(kind, payload, record_id=record_id)  # type: ignore[call-arg]
        except TypeError:
            self.outbox.enqueue(kind, payload)  # an outbox without caller-chosen ids
        except sqlite3.IntegrityError:
            log.info("outbox already holds this event", extra={"ctx": {"key": key}})

    def pump(self) -> int:
        """Forward everything pending; returns how many events were looked at."""
        with self.store.read() as tx:
            cursor = int(tx.get_meta("outbox_cursor") or 0)
            last_day = tx.get_meta("outbox_day")
            rows = tx.event_rows_after(cursor, self.batch)
        for row in rows:
            if last_day and row["day"] > last_day:
                with self.store.read() as tx:
                    summary = stats.compute(tx, self.hall, last_day, last_day)
                self._put("stats", {"hall_id": self.hall.id, "day": last_day, "stats": summary}, f"stats/{last_day}")
            kind = row["kind"]
            if kind in TICKET_KINDS or kind in RATING_KINDS:
                payload = {
                    "hall_id": self.hall.id,
                    "event_seq": row["seq"],
                    "event": kind,
                    "at": self.hall.iso(row["at"]),
                    **json.loads(row["data"]),
                }
                self._put("ticket_event" if kind in TICKET_KINDS else "rating", payload, f"event/{row['seq']}")
            elif kind in COMPLAINT_KINDS:
                self._put("complaint_update", {"hall_id": self.hall.id, "event_seq": row["seq"], "event": kind,
                                               "at": self.hall.iso(row["at"]), **json.loads(row["data"])},
                          f"event/{row['seq']}")
            elif kind in ALERT_KINDS:
                self._put("alert", {"hall_id": self.hall.id, "event_seq": row["seq"], "event": kind,
                                    "at": self.hall.iso(row["at"]), **json.loads(row["data"])}, f"event/{row['seq']}")
                self._fleet_sent = None  # the city sees the machines' state with the alert
            last_day = row["day"]
            with self.store.write() as tx:
                tx.set_meta("outbox_cursor", str(row["seq"]))
                tx.set_meta("outbox_day", last_day)
        return len(rows)

    def fleet_changed(self) -> None:
        """Send the fleet state at the next wake-up, whatever the slot (queueing.fleet on_change)."""
        self._fleet_sent = None
        self._wake.set()

    def pump_fleet(self) -> bool:
        """The fleet state once per ``fleet_every_s`` slot (and right after an alert); True if sent."""
        if self.fleet_state is None:
            return False
        slot = int(self.clock() // self.fleet_every_s)
        if slot == self._fleet_sent:
            return False
        state = self.fleet_state()
        # the id of each state from the hall's clock to the millisecond: every state sent is new
        self._put("fleet_health", {"hall_id": self.hall.id, **state}, f"fleet/{self.clock():.3f}")
        self._fleet_sent = slot
        return True

    def _run(self) -> None:
        backoff = 1.0
        while not self._stop.is_set():
            self._wake.wait(min(30.0, self.fleet_every_s / 2))
            self._wake.clear()
            try:
                while self.pump() and not self._stop.is_set():
                    pass
                self.pump_fleet()
                backoff = 1.0
            except Exception:
                log.exception("forwarding to the outbox failed; retrying")
                self._stop.wait(backoff)
                backoff = min(backoff * 2, 60)
                self._wake.set()
