"""Server-sent events of the event log: every state change, in log order, to every subscriber.

The event log in the store is the single source: after each commit the hub reads the new rows
(``seq > last published``) into a ring buffer and wakes the subscribers on the server's event
loop. Because the store serialises writers, a committed row implies every smaller sequence number
is committed too, so reading ``seq > cursor`` never skips an event even when two commits notify
out of order. A subscriber that reconnects with ``Last-Event-ID`` is replayed from the ring, or
from the store when it was away longer than the ring holds. A comment line goes out every
``heartbeat`` seconds so proxies keep the link and clients notice a dead one."""

from __future__ import annotations

import asyncio
import bisect
import threading
from collections.abc import AsyncIterator

from queueing.store import QueueStore

RING = 4096
BATCH = 500


def sse_frame(seq: int, kind: str, data: str) -> bytes:
    return f"id: {seq}\nevent: {kind}\ndata: {data}\n\n".encode()


class EventHub:
    def __init__(self, store: QueueStore, heartbeat: float = 15.0) -> None:
        self.store = store
        self.heartbeat = heartbeat
        self._lock = threading.Lock()
        self._seqs: list[int] = []
        self._rows: list[tuple[int, str, str]] = []
        with store.read() as tx:
            self._last = tx.last_event_seq()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._waiters: set[asyncio.Event] = set()
        self._closed = False

    @property
    def last_seq(self) -> int:
        return self._last

    def bind(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop

    def publish(self) -> None:
        """Called after every commit, from any thread."""
        with self._lock:
            new = []
            with self.store.read() as tx:
                while True:
                    rows = tx.events_after(self._last, BATCH)
                    new += rows
                    if not rows:
                        break
                    self._last = rows[-1][0]
            if not new:
                return
            self._rows += new
            self._seqs += [r[0] for r in new]
            if len(self._rows) > 2 * RING:
                del self._rows[:-RING], self._seqs[:-RING]
        loop = self._loop
        if loop is not None and not loop.is_closed():
            loop.call_soon_threadsafe(self._wake)

    def _wake(self) -> None:
        for ev in self._waiters:
            ev.set()

    def close(self) -> None:
        self._closed = True
        loop = self._loop
        if loop is not None and not loop.is_closed():
            try:
                loop.call_soon_threadsafe(self._wake)
            except RuntimeError:
                pass

    def _from_ring(self, cursor: int) -> list[tuple[int, str, str]] | None:
        with self._lock:
            if cursor >= self._last:
                return []
            if self._seqs and self._seqs[0] <= cursor + 1:
                i = bisect.bisect_right(self._seqs, cursor)
                return self._rows[i : i + BATCH]
        return None

    def _from_store(self, cursor: int) -> list[tuple[int, str, str]]:
        with self.store.read() as tx:
            return tx.events_after(cursor, BATCH)

    async def stream(self, last_event_id: int | None) -> AsyncIterator[bytes]:
        cursor = self._last if last_event_id is None else max(0, last_event_id)
        if cursor > self._last:  # an id from another database (restored or reset): start from now
            cursor = self._last
        ev = asyncio.Event()
        self._waiters.add(ev)
        try:
            yield b"retry: 2000\n: connected\n\n"
            while not self._closed:
                ev.clear()
                batch = self._from_ring(cursor)
                if batch is None:
                    batch = await asyncio.to_thread(self._from_store, cursor)
                if batch:
                    yield b"".join(sse_frame(*row) for row in batch)
                    cursor = batch[-1][0]
                    continue
                try:
                    await asyncio.wait_for(ev.wait(), self.heartbeat)
                except TimeoutError:
                    yield b": heartbeat\n\n"
        finally:
            self._waiters.discard(ev)
