"""A subscriber that stops reading never holds up the counters (issue 16): its backlog is
bounded, it is cut off once it lags more than the hub allows, and when it comes back with its
``Last-Event-ID`` it is replayed every event it missed, in order. The hub is driven as the
event stream's HTTP response drives it (one ``stream()`` per subscriber on the server's loop)."""

from __future__ import annotations

import asyncio
import concurrent.futures
import time
from pathlib import Path

from queue_helpers import FakeClock, make_engine

from queueing.events import EventHub

OPS = 30  # 90 events: issue, call, finish


def ids_of(chunk: bytes) -> list[int]:
    return [int(line[4:]) for line in chunk.decode().splitlines() if line.startswith("id: ")]


def test_a_stalled_subscriber_is_cut_off_and_replays_on_reconnect(tmp_path: Path, clock: FakeClock) -> None:
    engine = make_engine(tmp_path / "hall", clock)
    hub = EventHub(engine.store, heartbeat=30, watch=False, max_backlog=10)
    engine.on_commit(hub.publish)

    seen: list[int] = []

    def counters_work(first_issued: bool) -> None:
        """The counters at work, at the pace of the subscriber that keeps up (it has every event of
        one ticket before the next: a machine's load cannot make it lag as the stalled one does)."""
        for n in range(OPS):
            if n or not first_issued:
                engine.issue("S0101")
            engine.call_next("W01")
            engine.finish("W01")
            deadline = time.monotonic() + 10
            while len(seen) < 3 * (n + 1) and time.monotonic() < deadline:
                time.sleep(0.002)

    async def scenario() -> tuple[list[int], bool, list[int], list[int]]:
        hub.bind(asyncio.get_running_loop())
        stalled = hub.stream(None)
        reader = hub.stream(None)
        await stalled.__anext__(), await reader.__anext__()  # connected
        start = hub.last_seq
        first = asyncio.ensure_future(stalled.__anext__())  # waiting, caught up: a live subscriber

        async def read_all() -> None:
            while len(seen) < 3 * OPS:
                seen.extend(ids_of(await reader.__anext__()))

        keeping_up = asyncio.ensure_future(read_all())
        await asyncio.sleep(0.05)
        # the first event reaches the stalled subscriber while it keeps up (whatever the machine's
        # load: the rest waits for it); then it reads nothing while the counters go on
        await asyncio.to_thread(engine.issue, "S0101")
        got_first = ids_of(await first)
        await asyncio.to_thread(counters_work, True)
        await asyncio.wait_for(keeping_up, 10)
        try:
            await stalled.__anext__()
            cut = False
        except StopAsyncIteration:
            cut = True
        resumed = hub.stream(got_first[-1])
        await resumed.__anext__()
        replay: list[int] = []
        while len(replay) < 3 * OPS - len(got_first):
            replay.extend(ids_of(await resumed.__anext__()))
        await resumed.aclose()
        await reader.aclose()
        return seen, cut, got_first, [start, *replay]

    try:
        # a loop of its own on a thread of its own: an earlier test may leave one running in this one
        with concurrent.futures.ThreadPoolExecutor(1) as pool:
            seen, cut, got_first, replay = pool.submit(asyncio.run, scenario()).result(timeout=120)
        start = replay.pop(0)
        everything = list(range(start + 1, start + 3 * OPS + 1))
        assert seen == everything  # the subscriber that kept up missed nothing
        assert cut and hub.cut_off == 1
        assert got_first + replay == everything
    finally:
        hub.close()
        engine.store.close()
