"""Hypothesis state machine over random operation sequences, under every ordering policy:
no ticket is ever called twice (only a waiting ticket can be called), no number repeats, a
counter holds at most one ticket, and at the end every waiting ticket is eventually called."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule
from queue_helpers import FakeClock, at, make_engine, small_hall

from queueing.model import QueueError

pytestmark = pytest.mark.usefixtures("store")  # on both stores (conftest.py)

COUNTERS = ("C1", "C2", "C3")
SERVICES = ("S1", "S2", "S3")


class QueueMachine(RuleBasedStateMachine):
    hall_toml = small_hall()

    def __init__(self) -> None:
        super().__init__()
        self.dir = Path(tempfile.mkdtemp(prefix="qsm-"))
        self.clock = FakeClock(at(8))
        self.e = make_engine(self.dir, self.clock, self.hall_toml)
        self.e.push_appointments(
            [
                {
                    "code": f"YY{i}",
                    "service_id": SERVICES[i % 3],
                    "slot_start": f"2026-11-23T{8 + i // 2:02d}:{30 * (i % 2):02d}:00",
                    "slot_end": f"2026-11-23T{8 + i // 2:02d}:{30 * (i % 2) + 29:02d}:00",
                }
                for i in range(6)
            ]
        )
        self.waiting: set[str] = set()
        self.at_counter: dict[str, str] = {}  # counter -> ticket id (called or serving)
        self.no_shows: list[str] = []
        self.numbers: set[str] = set()
        self.called = 0

    def teardown(self) -> None:
        try:
            for c in COUNTERS:  # every counter comes back and finishes what it has
                try:
                    self.e.resume(c)
                except QueueError:
                    pass
                if c in self.at_counter:
                    self.e.finish(c)
            self.at_counter.clear()
            progress = True
            while progress:
                progress = False
                for c in COUNTERS:
                    t = self.e.call_next(c)
                    if t is not None:
                        self._called(c, t)
                        self.e.finish(c)
                        self.at_counter.pop(c)
                        progress = True
            assert not self.waiting, f"never called: {self.waiting}"
            assert self.e.waiting() == []
        finally:
            self.e.store.close()
            shutil.rmtree(self.dir, ignore_errors=True)

    def _called(self, counter: str, t) -> None:
        assert t.id in self.waiting, f"{t.number} called but it was not waiting"
        assert t.status == "called" and t.counter_id == counter
        self.waiting.discard(t.id)
        self.at_counter[counter] = t.id
        self.called += 1

    @rule(
        service=st.sampled_from(SERVICES),
        prio=st.sampled_from(["normal", "normal", "green"]),
        person=st.none() | st.integers(0, 4),
    )
    def issue(self, service: str, prio: str, person: int | None) -> None:
        idn = None if person is None else f"11010519491231{person:03d}X"
        try:
            t, ahead, minutes = self.e.issue(service, prio, idn)
        except QueueError as exc:
            assert exc.code in ("active_ticket_exists", "person_daily_cap")
            assert person is not None
            return
        assert t.number not in self.numbers, f"number {t.number} repeated"
        assert ahead >= 0 and minutes >= 0
        self.numbers.add(t.number)
        self.waiting.add(t.id)

    @rule(
        batch=st.lists(
            st.tuples(st.sampled_from(SERVICES), st.sampled_from(["normal", "green"])), min_size=1, max_size=5
        )
    )
    def issue_many(self, batch: list[tuple[str, str]]) -> None:
        for service, prio in batch:
            self.issue(service, prio, None)

    @rule(code=st.integers(0, 5))
    def check_in(self, code: int) -> None:
        try:
            t = self.e.issue(None, appointment_code=f"YY{code}")[0]
        except QueueError as exc:
            assert exc.code in ("appointment_used", "appointment_too_early", "appointment_too_late")
            return
        assert t.number not in self.numbers
        self.numbers.add(t.number)
        self.waiting.add(t.id)

    @rule(minutes=st.integers(0, 20))
    def time_passes(self, minutes: int) -> None:
        if self.clock() + minutes * 60 < at(23).timestamp():
            self.clock.advance(minutes)

    @rule(counter=st.sampled_from(COUNTERS))
    def call_next(self, counter: str) -> None:
        try:
            t = self.e.call_next(counter)
        except QueueError as exc:
            assert exc.code in ("counter_busy", "counter_paused")
            return
        if t is None:
            served = set(self.e.hall.counters[counter].services)
            assert not any(w.service_id in served for w in self.e.waiting())
        else:
            self._called(counter, t)

    @rule(counter=st.sampled_from(COUNTERS), data=st.data())
    def call_chosen(self, counter: str, data) -> None:
        choices = [w for w in self.e.waiting() if w.service_id in self.e.hall.counters[counter].services]
        if not choices:
            return
        pick = data.draw(st.sampled_from(choices))
        try:
            t = self.e.call_ticket(counter, pick.id, "out of order test")
        except QueueError as exc:
            assert exc.code in ("counter_busy", "counter_paused")
            return
        self._called(counter, t)

    @precondition(lambda self: self.at_counter)
    @rule(data=st.data(), op=st.sampled_from(["recall", "start", "finish", "no_show", "transfer"]))
    def counter_op(self, data, op: str) -> None:
        counter = data.draw(st.sampled_from(sorted(self.at_counter)))
        try:
            if op == "transfer":
                t = self.e.ticket(self.at_counter[counter])[0]
                target = data.draw(st.sampled_from([s for s in SERVICES if s != t.service_id]))
                new = self.e.transfer(counter, target)
                self.waiting.add(new.id)
            else:
                getattr(self.e, op)(counter)
        except QueueError as exc:
            assert exc.code in ("recall_limit", "no_current_ticket")
            return
        if op in ("finish", "no_show", "transfer"):
            tid = self.at_counter.pop(counter)
            if op == "no_show":
                self.no_shows.append(tid)

    @precondition(lambda self: self.no_shows)
    @rule(counter=st.sampled_from(COUNTERS))
    def put_back(self, counter: str) -> None:
        tid = self.no_shows.pop()
        t = self.e.put_back(counter, tid)
        assert t.status == "waiting"
        self.waiting.add(tid)

    @rule(counter=st.sampled_from(COUNTERS), pause=st.booleans())
    def pause_resume(self, counter: str, pause: bool) -> None:
        try:
            self.e.pause(counter, "break") if pause else self.e.resume(counter)
        except QueueError as exc:
            assert exc.code in ("counter_paused", "counter_not_paused")

    @invariant()
    def store_agrees(self) -> None:
        assert {t.id for t in self.e.waiting(limit=1000)} == self.waiting
        states = self.e.counter_states()
        held = {
            c: cur.id
            for c, (_st, cur) in states.items()
            if cur is not None and cur.status in ("called", "serving")
        }
        assert held == self.at_counter
        assert len(set(held.values())) == len(held)


SETTINGS = settings(
    max_examples=25,
    stateful_step_count=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)


@pytest.mark.parametrize(
    "policy",
    [
        {"kind": "strict"},
        {"kind": "interleave", "interleave_normal": 2},
        {"kind": "aging", "aging_boost_minutes": 10},
        {"kind": "strict", "max_wait_minutes": 15},
    ],
    ids=["strict", "interleave", "aging", "max_wait"],
)
def test_random_operation_sequences(policy: dict, store: str) -> None:
    machine = type("M", (QueueMachine,), {"hall_toml": small_hall(**policy)})
    # The rules are the engine's; on PostgreSQL fewer examples check the store's answers (CI time).
    machine.TestCase.settings = SETTINGS if store == "sqlite" else settings(SETTINGS, max_examples=8)
    machine.TestCase().runTest()
