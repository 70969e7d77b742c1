"""Server-sent events of the event log: every state change, in log order, to every subscriber.

The event log in the store is the single source: after each local commit, and whenever the
store's ``ChangeDoorbell`` rings (a commit by another process on the same hall: several
``hall-server`` workers), the hub reads the new rows (``seq > last published``) into a ring
buffer and wakes the subscribers on the server's event loop. Because the store serialises
writers, a committed row implies every smaller sequence number is committed too, so reading
``seq > cursor`` never skips an event even when two commits notify out of order.

Fan-out costs one serialisation per event: the ring holds each event's SSE frame as bytes, and
subscribers at the same cursor share one joined chunk. Wake-ups are coalesced (at most one per
``FLUSH_S``), so under load a subscriber takes a batch of events per wake instead of one.

A subscriber can never slow writers: publishing only appends to the ring; each subscriber reads
the ring at its own pace (its socket's buffer is its only queue). One that falls more than
``MAX_BACKLOG`` events behind is cut off; it reconnects with ``Last-Event-ID`` and is replayed
from the ring, or from the store when it was away longer than the ring holds. A comment line
goes out every ``heartbeat`` seconds so proxies keep the link and clients notice a dead one."""

from __future__ import annotations

import asyncio
import bisect
import logging
import threading
import time
from collections.abc import AsyncGenerator, Callable, Sequence

from queueing.store import EventRow, QueueStore

log = logging.getLogger(__name__)

RING = 4096
BATCH = 500
# wake subscribers at most this often: one send per subscriber per batch. 50 ms rather than 20: with
# 50 subscribers under load 1.25-1.36x the life cycles/s, call -> event p99 65 ms (issue 16: < 100)
FLUSH_S = 0.05
MAX_BACKLOG = RING  # events a live subscriber may lag before it is cut off (it replays on reconnect)
DOORBELL_WAIT_S = 1.0


def sse_frame(seq: int, kind: str, data: str) -> bytes:
    return f"id: {seq}\nevent: {kind}\ndata: {data}\n\n".encode()


class EventHub:
    def __init__(
        self, store: QueueStore, heartbeat: float = 15.0, watch: bool = True, max_backlog: int = MAX_BACKLOG
    ) -> None:
        self.store = store
        self.heartbeat = heartbeat
        self.max_backlog = max_backlog
        self._lock = threading.Lock()
        self._seqs: list[int] = []
        self._frames: list[bytes] = []
        self._chunk_key: tuple[int, int] = (-1, -1)
        self._chunk = b""
        with store.read() as tx:
            self._last = tx.last_event_seq()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._waiters: set[asyncio.Event] = set()
        self._wake_pending = False
        self._woken_at = 0.0
        self._closed = False
        self._listeners: list[Callable[[], None]] = []
        self._beats = 0  # heartbeat ticks so far (see _tick)
        self._ticking: asyncio.Handle | None = None
        self.cut_off = 0  # subscribers cut off for lagging (a count for health and tests)
        self._bell = store.doorbell() if watch else None
        self._watcher: threading.Thread | None = None
        if self._bell is not None:
            self._watcher = threading.Thread(target=self._watch, name="hall-events-doorbell", daemon=True)
            self._watcher.start()

    @property
    def last_seq(self) -> int:
        return self._last

    def bind(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        if self._ticking is not None:
            self._ticking.cancel()
        self._ticking = loop.call_soon_threadsafe(self._arm)

    def _arm(self) -> None:
        if not self._closed and self._loop is not None:
            self._ticking = self._loop.call_later(self.heartbeat, self._tick)

    def _tick(self) -> None:
        """One heartbeat for every subscriber: wakes them all every ``heartbeat`` seconds, and
        one that has nothing to send then sends a comment line. One timer for the hall instead
        of a ``wait_for`` timeout per subscriber per wake (13 % of the service's time with 50
        subscribers, issue 16)."""
        if self._closed or self._loop is None:
            return
        self._beats += 1
        for ev in self._waiters:
            ev.set()
        self._arm()

    def on_publish(self, fn: Callable[[], None]) -> None:
        """Call ``fn`` (on the publishing thread) whenever new events were read, whichever
        process committed them: the platform outbox of worker 0 hears the other workers."""
        self._listeners.append(fn)

    def _watch(self) -> None:
        assert self._bell is not None
        while not self._closed:
            try:
                if self._bell.wait(DOORBELL_WAIT_S) and not self._closed:
                    self.publish()
            except Exception:  # the store reports its own failures; the watcher keeps watching
                log.exception("event doorbell failed")
                time.sleep(DOORBELL_WAIT_S)

    def publish(self, committed: Sequence[EventRow] | None = None) -> None:
        """Take what was committed since the last publish (from any thread): ``committed``, the
        rows one of this process's commits appended, when they follow on from the last published
        row (no read: issue 16); otherwise (another process's commits in between, or a doorbell's
        ring with no rows) read every row after the last published one from the store."""
        with self._lock:
            if committed is not None:
                committed = [r for r in committed if r[0] > self._last]
                if not committed:
                    return  # appended nothing, or a doorbell's read got there first
            if committed and committed[0][0] == self._last + 1:
                new = list(committed)
                self._last = new[-1][0]
            else:
                new = self._read_after_last()
            if not new:
                return
            self._frames += [sse_frame(*row) for row in new]
            self._seqs += [r[0] for r in new]
            if len(self._seqs) > 2 * RING:
                del self._frames[:-RING], self._seqs[:-RING]
            loop = self._loop
            wake = not self._wake_pending and loop is not None and not loop.is_closed()
            self._wake_pending = self._wake_pending or wake
        for fn in self._listeners:
            try:
                fn()
            except Exception:  # a listener never stops the stream
                log.exception("event listener failed")
        if not wake or loop is None:
            return
        try:
            loop.call_soon_threadsafe(self._schedule_wake)
        except RuntimeError:  # the loop closed meanwhile
            self._wake_pending = False

    def _read_after_last(self) -> list[EventRow]:
        new: list[EventRow] = []
        with self.store.read() as tx:
            while True:
                rows = tx.events_after(self._last, BATCH)
                new += rows
                if rows:
                    self._last = rows[-1][0]
                if len(rows) < BATCH:
                    return new

    def _schedule_wake(self) -> None:
        assert self._loop is not None
        delay = self._woken_at + FLUSH_S - self._loop.time()
        if delay > 0:
            self._loop.call_later(delay, self._wake)
        else:
            self._wake()

    def _wake(self) -> None:
        assert self._loop is not None
        with self._lock:
            self._wake_pending = False
        self._woken_at = self._loop.time()
        for ev in self._waiters:
            ev.set()

    def close(self) -> None:
        self._closed = True
        if self._bell is not None:
            self._bell.close()
        loop = self._loop
        if loop is not None and not loop.is_closed():
            try:
                loop.call_soon_threadsafe(self._wake)
            except RuntimeError:
                pass

    def _from_ring(self, cursor: int) -> tuple[bytes, int] | None:
        """The frames after ``cursor`` as one chunk and the cursor after it; None when the ring
        no longer holds ``cursor + 1``."""
        with self._lock:
            if cursor >= self._last:
                return b"", cursor
            if not self._seqs or self._seqs[0] > cursor + 1:
                return None
            i = bisect.bisect_right(self._seqs, cursor)
            j = min(len(self._seqs), i + BATCH)
            key = (cursor, self._seqs[j - 1])
            if key != self._chunk_key:  # the first subscriber at this cursor joins; the rest share it
                self._chunk_key, self._chunk = key, b"".join(self._frames[i:j])
            return self._chunk, key[1]

    def _from_store(self, cursor: int) -> tuple[bytes, int]:
        with self.store.read() as tx:
            rows = tx.events_after(cursor, BATCH)
        return b"".join(sse_frame(*row) for row in rows), rows[-1][0] if rows else cursor

    async def stream(self, last_event_id: int | None) -> AsyncGenerator[bytes, None]:
        cursor = self._last if last_event_id is None else max(0, last_event_id)
        if cursor > self._last:  # an id from another database (restored or reset): start from now
            cursor = self._last
        ev = asyncio.Event()
        self._waiters.add(ev)
        live = False  # caught up once: from then on, lagging past the ring means too slow
        beats = self._beats
        try:
            yield b"retry: 2000\n: connected\n\n"
            while not self._closed:
                ev.clear()
                got = self._from_ring(cursor)
                if got is not None and live and self._last - cursor > self.max_backlog:
                    got = None
                if got is None:
                    if live:
                        self.cut_off += 1
                        log.warning("event subscriber too slow: cut off; it replays on reconnect",
                                    extra={"ctx": {"behind": self._last - cursor}})
                        return
                    got = await asyncio.to_thread(self._from_store, cursor)
                chunk, cursor = got
                if chunk:
                    yield chunk
                    continue
                live = True
                if self._beats != beats:  # a tick passed while there was nothing to send
                    beats = self._beats
                    yield b": heartbeat\n\n"
                    continue
                await ev.wait()
        finally:
            self._waiters.discard(ev)
