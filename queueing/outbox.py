"""The seam to the platform: forwards the hall's event log into an outbox that syncs it.

The outbox is anything with ``enqueue(kind, payload)`` — in production ``offline_cache``'s
``OfflineCache`` (its ``enqueue(kind, payload, attachments=())`` fits), driven by its
``SyncEngine``; ``None`` means no platform is configured and nothing is forwarded.

A background thread reads events after a cursor kept in the queue store (``meta.outbox_cursor``)
and enqueues ticket events (kind ``ticket_event``), ratings (``rating``) and, when the service
day changes, the previous day's statistics (``stats``). The cursor advances only after the outbox
accepted the record, so nothing is lost across a crash; a crash between the two can enqueue one
record twice, which is why every payload carries ``hall_id`` + ``event_seq`` for the platform to
deduplicate on."""

from __future__ import annotations

import json
import logging
import sqlite3
import threading
import uuid
from typing import Any, Protocol

from queueing import stats
from queueing.model import Hall
from queueing.store import QueueStore

log = logging.getLogger(__name__)
RECORD_NAMESPACE = uuid.UUID("5b0c7c1e-2f43-4d8e-9a57-1d6c3e0f8a21")

TICKET_KINDS = {
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


class Outbox(Protocol):
    def enqueue(self, kind: str, payload: dict[str, Any]) -> object: ...


class OutboxForwarder:
    def __init__(self, store: QueueStore, hall: Hall, outbox: Outbox, batch: int = 200) -> None:
        self.store, self.hall, self.outbox, self.batch = store, hall, outbox, batch
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
            if kind in TICKET_KINDS or kind in ("rating", "rectification"):
                payload = {
                    "hall_id": self.hall.id,
                    "event_seq": row["seq"],
                    "event": kind,
                    "at": self.hall.iso(row["at"]),
                    **json.loads(row["data"]),
                }
                self._put("ticket_event" if kind in TICKET_KINDS else "rating", payload, f"event/{row['seq']}")
            last_day = row["day"]
            with self.store.write() as tx:
                tx.set_meta("outbox_cursor", str(row["seq"]))
                tx.set_meta("outbox_day", last_day)
        return len(rows)

    def _run(self) -> None:
        backoff = 1.0
        while not self._stop.is_set():
            self._wake.wait(30)
            self._wake.clear()
            try:
                while self.pump() and not self._stop.is_set():
                    pass
                backoff = 1.0
            except Exception:
                log.exception("forwarding to the outbox failed; retrying")
                self._stop.wait(backoff)
                backoff = min(backoff * 2, 60)
                self._wake.set()
