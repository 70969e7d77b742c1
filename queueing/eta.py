"""Waiting estimates: how many people are ahead of a ticket and how many minutes it will wait.

Model: the open (not paused) counters serving the ticket's service share the work ahead of it.
Work ahead is every waiting ticket that the policy would call earlier (priority tickets before
normal ones, then by time queued) on any service those counters also serve; a ticket of another
service counts with the share of its counters that are ours (a counter shared by three services
spends only part of its time on each). Each ticket's work is the recent mean service time of its
service (the last 20 served, blended with the configured typical time so the first calls of a
day do not swing the estimate). Minutes = work ahead / number of our open counters, plus half a
service time when every one of those counters is busy (someone is at each counter already).
``tests/queueing/test_eta.py`` checks this against a simulated day."""

from __future__ import annotations

from queueing.model import CounterState, Hall, Ticket
from queueing.policy import ticket_class
from queueing.store import StoreTx

PRIOR_WEIGHT = 3  # the configured typical time counts as this many observations
RECENT = 20


def service_minutes(tx: StoreTx, hall: Hall, service_id: str) -> float:
    recent = tx.recent_service_seconds(service_id, RECENT)
    typical = hall.services[service_id].typical_service_minutes
    return (sum(recent) / 60 + typical * PRIOR_WEIGHT) / (len(recent) + PRIOR_WEIGHT)


def estimate(
    tx: StoreTx, hall: Hall, t: Ticket, now: float, states: dict[str, CounterState]
) -> tuple[int, int]:
    """(people ahead in the same service, minutes to wait) for a waiting ticket."""
    if t.status != "waiting":
        return 0, 0
    ours = [c for c in hall.counters_serving(t.service_id) if not states.get(c.id, CounterState(c.id)).paused]
    if not ours:  # every counter paused: estimate as if they come back
        ours = hall.counters_serving(t.service_id)
    our_ids = {c.id for c in ours}
    services = {s for c in ours for s in c.services}
    counts = tx.ahead_counts(t.day, sorted(services), ticket_class(t, now), now, t.key_time, t.seq)
    known: dict[str, float] = {}

    def minutes_of(sid: str) -> float:  # each service's recent mean read once per estimate
        if sid not in known:
            known[sid] = service_minutes(tx, hall, sid)
        return known[sid]

    work = 0.0
    for sid, n in counts.items():
        theirs = [
            c for c in hall.counters_serving(sid) if not states.get(c.id, CounterState(c.id)).paused
        ] or hall.counters_serving(sid)
        share = sum(1 for c in theirs if c.id in our_ids) / max(1, len(theirs))
        work += n * share * minutes_of(sid)
    minutes = work / max(1, len(ours))
    if ours and all(states.get(c.id, CounterState(c.id)).current_ticket_id for c in ours):
        minutes += minutes_of(t.service_id) / (len(ours) + 1)
    return counts.get(t.service_id, 0), round(minutes)
