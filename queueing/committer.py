"""The hall service's engine thread and its group commit.

Owns the queue of calls waiting for the engine thread and which of them run together; the
engine owns what running together means (``QueueEngine.run_group``: one write transaction, a
savepoint per operation, one commit). The thread takes the oldest waiting call; when it is a
write operation (``engine.GROUPABLE``) it also takes the write operations queued right behind it,
up to ``GROUP_CAP``, and runs them as one group: one COMMIT (one fsync) for all of them instead of
one each, while their requests wait anyway. Nothing is answered before the group's commit. A
refused operation gets its own error and the others are unaffected; if the group fails as a
whole (a storage error, a bug) nothing of it was committed and its calls run again one by one,
each with its own honest answer. A call alone, a read, or any other function (a route module's
helper) runs alone as before, in the order it was submitted.

An ``Executor`` (a ``ThreadPoolExecutor`` by type, for the routes that take the pool) with one
thread of its own; ``run_op`` is how the API hands it an engine method with the request's context
(queueing/api.py ``in_pool``): the answers of one batch reach the event loop in one wake-up.
``submit_op`` does the same for a caller on a thread."""

from __future__ import annotations

import asyncio
import contextvars
import functools
import logging
import threading
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from queueing.engine import GROUPABLE, QueueEngine

log = logging.getLogger(__name__)

GROUP_CAP = 32  # operations per commit at most: bounds the wait of the first one in a group


@dataclass
class _Call:
    run: Callable[[], Any]
    future: Future[Any] | None  # a thread's caller (``submit``/``submit_op``)
    groupable: bool
    waiter: asyncio.Future[Any] | None = None  # an event loop's caller (``run_op``)

    def settle(self, ok: bool, value: Any) -> None:
        """Answer a thread's caller now; a loop's caller is answered by ``_Answers.send``."""
        if self.future is not None:
            if ok:
                self.future.set_result(value)
            else:
                self.future.set_exception(value)


class _Answers:
    """The answers of one batch for the callers waiting on event loops: handed to each loop in
    ONE ``call_soon_threadsafe`` (one wake-up of its self-pipe), not one per call (issue 16)."""

    def __init__(self) -> None:
        self.by_loop: dict[asyncio.AbstractEventLoop, list[tuple[asyncio.Future[Any], bool, Any]]] = {}

    def add(self, c: _Call, ok: bool, value: Any) -> None:
        if c.waiter is None:
            c.settle(ok, value)
        else:
            self.by_loop.setdefault(c.waiter.get_loop(), []).append((c.waiter, ok, value))

    def send(self) -> None:
        for loop, answers in self.by_loop.items():
            try:
                loop.call_soon_threadsafe(_deliver, answers)
            except RuntimeError:  # that loop is closed: nobody waits there any more
                pass


def _deliver(answers: list[tuple[asyncio.Future[Any], bool, Any]]) -> None:
    for waiter, ok, value in answers:
        if waiter.done():  # its request was cancelled meanwhile: the operation ran all the same
            continue
        if ok:
            waiter.set_result(value)
        else:
            waiter.set_exception(value)


@dataclass
class GroupStats:
    """What the thread did since start (logged at shutdown): ``commits`` counts groups only."""

    calls: int = 0
    groups: int = 0
    grouped: int = 0  # calls that ran in a group of two or more
    largest: int = 0
    failed: int = 0  # groups that failed as a whole and ran one by one
    sizes: dict[int, int] = field(default_factory=dict)


class EngineThread(ThreadPoolExecutor):
    def __init__(self, engine: QueueEngine, cap: int = GROUP_CAP, name: str = "hall-engine") -> None:
        super().__init__(max_workers=1, thread_name_prefix=name)
        self.engine, self.cap = engine, max(1, cap)
        self.stats = GroupStats()
        self._waiting: deque[_Call] = deque()
        self._cv = threading.Condition()
        self._closed = False
        self._thread = threading.Thread(target=self._loop, name=f"{name}_0", daemon=True)
        self._thread.start()

    # ------------------------------------------------------------------ submitting

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        """Any function, run alone on the engine thread (``run_in_executor(pool, …)``)."""
        return self._put(functools.partial(fn, *args, **kwargs), groupable=False)

    def submit_op(self, ctx: contextvars.Context, fn: Callable[..., Any], *args: Any) -> Future[Any]:
        """``fn(*args)`` in ``ctx``; an engine method of ``GROUPABLE`` may share a commit."""
        return self._put(functools.partial(ctx.run, fn, *args), self._groupable(fn))

    async def run_op(self, ctx: contextvars.Context, fn: Callable[..., Any], *args: Any) -> Any:
        """``submit_op`` for a caller on an event loop: awaits the answer, which comes back with the
        rest of its batch's in one wake-up of the loop. Once queued the operation runs even if the
        awaiting request is cancelled (as one already running always did)."""
        waiter = asyncio.get_running_loop().create_future()
        self._enqueue(_Call(functools.partial(ctx.run, fn, *args), None, self._groupable(fn), waiter))
        return await waiter

    def _groupable(self, fn: Callable[..., Any]) -> bool:
        return getattr(fn, "__self__", None) is self.engine and getattr(fn, "__name__", "") in GROUPABLE

    def _put(self, run: Callable[[], Any], groupable: bool) -> Future[Any]:
        future: Future[Any] = Future()
        self._enqueue(_Call(run, future, groupable))
        return future

    def _enqueue(self, call: _Call) -> None:
        with self._cv:
            if self._closed:
                raise RuntimeError("cannot schedule new futures after shutdown")
            self._waiting.append(call)
            self._cv.notify()

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        with self._cv:
            self._closed = True
            if cancel_futures:
                answers = _Answers()
                while self._waiting:
                    c = self._waiting.popleft()
                    if c.future is not None:
                        c.future.cancel()
                    else:
                        answers.add(c, False, RuntimeError("the engine thread shut down"))
                answers.send()
            self._cv.notify()
        if wait and threading.current_thread() is not self._thread:
            self._thread.join()
        s = self.stats
        log.info("engine thread: %d calls, %d of them in %d group commits (largest %d, %d failed)",
                 s.calls, s.grouped, s.groups, s.largest, s.failed,
                 extra={"ctx": {"group_sizes": dict(sorted(s.sizes.items()))}})

    # ------------------------------------------------------------------ the thread

    def _next(self) -> list[_Call] | None:
        with self._cv:
            while not self._waiting and not self._closed:
                self._cv.wait()
            if not self._waiting:
                return None
            batch = [self._waiting.popleft()]
            if batch[0].groupable:
                while self._waiting and self._waiting[0].groupable and len(batch) < self.cap:
                    batch.append(self._waiting.popleft())
            return batch

    def _loop(self) -> None:
        while (batch := self._next()) is not None:
            batch = [c for c in batch if c.future is None or c.future.set_running_or_notify_cancel()]
            self.stats.calls += len(batch)
            answers = _Answers()
            try:
                if len(batch) > 1:
                    self._group(batch, answers)
                else:
                    for c in batch:
                        self._alone(c, answers)
            except BaseException as exc:  # never leave a caller without an answer
                answered = {id(w) for items in answers.by_loop.values() for w, _, _ in items}
                for c in batch:
                    if (c.future is not None and not c.future.done()) or (
                            c.waiter is not None and id(c.waiter) not in answered):
                        answers.add(c, False, exc)
                log.exception("engine thread: a call failed outside its operation")
            answers.send()

    @staticmethod
    def _alone(c: _Call, answers: _Answers) -> None:
        try:
            value = c.run()
        except BaseException as exc:
            answers.add(c, False, exc)
        else:
            answers.add(c, True, value)

    def _group(self, batch: list[_Call], answers: _Answers) -> None:
        outcomes = self.engine.run_group([c.run for c in batch])
        s = self.stats
        s.groups += 1
        s.grouped += len(batch)
        s.largest = max(s.largest, len(batch))
        s.sizes[len(batch)] = s.sizes.get(len(batch), 0) + 1
        if s.groups == 1:
            log.info("engine thread: the first group commit, %d operations in one transaction", len(batch))
        if outcomes is None:  # nothing of it committed: each its own transaction and answer
            s.failed += 1
            for c in batch:
                self._alone(c, answers)
            return
        for c, (ok, value) in zip(batch, outcomes, strict=True):
            assert ok or isinstance(value, BaseException)
            answers.add(c, ok, value)
