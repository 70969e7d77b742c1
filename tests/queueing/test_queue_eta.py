"""The waiting estimate checked against a simulated day: random arrivals (seeded), random
service times around each service's typical time, counters that call as soon as they are free.
The estimate given at issue is compared with the wait that really followed."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from queue_helpers import FakeClock, at, make_engine, small_hall

from queueing.stats import percentile

pytestmark = pytest.mark.usefixtures("store")  # on both stores (conftest.py)

ARRIVALS_PER_MINUTE = {"S1": 0.11, "S2": 0.08, "S3": 0.05}  # ~0.24/min for 3 counters of 10 minutes


def simulate_day(tmp_path: Path, seed: int) -> list[tuple[float, float]]:
    rng = random.Random(seed)
    clock = FakeClock(at(8, 30))
    e = make_engine(tmp_path / f"day{seed}", clock, small_hall(kind="strict"))
    busy_until: dict[str, float] = {}
    predicted: dict[str, float] = {}
    pairs: list[tuple[float, float]] = []
    end_of_issue, step = at(16, 0).timestamp(), 30.0
    while True:
        now = clock()
        if now < end_of_issue:
            for sid, rate in ARRIVALS_PER_MINUTE.items():
                if rng.random() < rate * step / 60:
                    t, _ahead, minutes = e.issue(sid, priority="green" if rng.random() < 0.05 else None)
                    predicted[t.id] = minutes
        for cid in ("C1", "C2", "C3"):
            if cid in busy_until and now >= busy_until[cid]:
                e.finish(cid)
                del busy_until[cid]
            if cid not in busy_until:
                t = e.call_next(cid)
                if t is not None:
                    pairs.append((predicted[t.id], (now - t.issued_at) / 60))
                    e.start(cid)
                    busy_until[cid] = now + rng.gammavariate(4, 10 / 4) * 60  # mean 10 minutes
        if now >= end_of_issue and not busy_until and not e.waiting():
            break
        clock.advance(seconds=step)
    e.store.close()
    return pairs


def test_estimate_against_a_simulated_day(tmp_path: Path) -> None:
    pairs = [p for seed in (1, 2) for p in simulate_day(tmp_path, seed)]
    assert len(pairs) > 150
    errors = [abs(est - real) for est, real in pairs]
    mean_wait = sum(real for _e, real in pairs) / len(pairs)
    mean_err = sum(errors) / len(errors)
    print(
        f"tickets {len(pairs)}, mean wait {mean_wait:.1f} min, mean |error| {mean_err:.1f} min, "
        f"p50 |error| {percentile(errors, 50):.1f}, p90 |error| {percentile(errors, 90):.1f}"
    )
    # the estimate must be clearly better than saying "the average wait" to everybody
    naive = sum(abs(mean_wait - real) for _e, real in pairs) / len(pairs)
    print(f"naive |error| {naive:.1f}")
    assert mean_err < 0.7 * naive
    assert percentile(errors, 50) <= max(5.0, 0.35 * mean_wait)
