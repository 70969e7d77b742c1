"""Ordering policies: which waiting ticket a counter calls next, and the preview of the next calls.

Every waiting ticket falls in one class at the moment of the call:

* ``P`` priority: green channel (绿色通道) tickets, and appointment tickets whose slot has started;
* ``N`` normal tickets;
* ``L`` appointment tickets checked in before their slot: called only when nobody else waits.

Within a class the ticket with the longest *effective wait* goes first: ``(now - queued_since) ×
weight``, where the weight is the counter's weight for the ticket's service (1 by default), so a
counter favours its home services without starving the others. Between classes:

* ``strict``: P before N, always;
* ``interleave``: after ``interleave_normal`` normal calls at this counter, one P call (P also
  goes when no N waits);
* ``aging``: P and N compete on effective wait, P counting ``aging_boost_minutes`` extra;
* with ``max_wait_minutes`` > 0 (any policy) an N ticket that waited that long goes before all.

The engine passes *heads*: for each (service, priority) of the counter the first k waiting
tickets by ``queued_since``; since the order within one such group never changes, the heads are
enough to pick the next k calls exactly."""

from __future__ import annotations

from collections.abc import Iterable

from queueing.model import APPOINTMENT, GREEN, NORMAL, Counter, Policy, Ticket


def ticket_class(t: Ticket, now: float) -> str:
    if t.priority == GREEN or (t.priority == APPOINTMENT and (t.slot_start or 0) <= now):
        return "P"
    return "N" if t.priority == NORMAL else "L"


def _best(group: list[Ticket], counter: Counter, now: float, boost: float = 0.0) -> Ticket:
    return max(group, key=lambda t: ((now - t.key_time + boost) * counter.weight(t.service_id), -t.seq))


def choose(
    cands: Iterable[Ticket], counter: Counter, streak: int, now: float, policy: Policy
) -> tuple[Ticket | None, str]:
    """The ticket to call next and its class ('' when nobody waits)."""
    classes: dict[str, list[Ticket]] = {"P": [], "N": [], "L": []}
    for t in cands:
        classes[ticket_class(t, now)].append(t)
    p, n, late = classes["P"], classes["N"], classes["L"]
    if policy.max_wait_minutes > 0:
        over = [t for t in n if now - t.key_time >= policy.max_wait_minutes * 60]
        if over:
            return max(over, key=lambda t: (now - t.key_time, -t.seq)), "N"
    if policy.kind == "aging" and (p or n):
        boost = policy.aging_boost_minutes * 60
        bp = _best(p, counter, now, boost) if p else None
        bn = _best(n, counter, now) if n else None
        if bp is None or (
            bn is not None
            and (now - bn.key_time) * counter.weight(bn.service_id)
            > (now - bp.key_time + boost) * counter.weight(bp.service_id)
        ):
            return bn, "N"
        return bp, "P"
    if p and (not n or policy.kind == "strict" or streak >= policy.interleave_normal):
        return _best(p, counter, now), "P"
    if n:
        return _best(n, counter, now), "N"
    if late:
        return min(late, key=lambda t: (t.key_time, t.seq)), "L"
    return None, ""


def next_streak(streak: int, cls: str) -> int:
    return 0 if cls == "P" else streak + 1 if cls == "N" else streak


def preview(
    cands: Iterable[Ticket], counter: Counter, streak: int, now: float, policy: Policy, n: int
) -> list[Ticket]:
    """The next ``n`` calls this counter would make if nothing else changed."""
    pool = list(cands)
    out: list[Ticket] = []
    while pool and len(out) < n:
        t, cls = choose(pool, counter, streak, now, policy)
        if t is None:
            break
        out.append(t)
        pool.remove(t)
        streak = next_streak(streak, cls)
    return out
