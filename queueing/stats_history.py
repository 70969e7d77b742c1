"""Statistics with history: the supervisor's figures for any range of service days, from the
hall's event log (and, for 跑动次数, the person hash the tickets carry).

On top of :func:`queueing.stats.compute` (counts, waits and service times against the targets per
service, counter, staff, hour and day) this adds the rates the 好差评 rules report, each as its
numerator, denominator and ``rate`` (``None`` when the denominator is 0, shown as "—"):

- 办结率 ``completion``: cases finished (outcome ``done``) over cases accepted (``done``,
  ``accepted_with_commitment``, ``accepted_with_gaps``); consultations, referrals, 补齐材料 and
  不予受理 are no accepted case.
- 满意率 ``satisfaction``: ratings of level 5 非常满意 or 4 满意 over all ratings (基本满意 is not
  satisfied), as provincial rules count 好评.
- 差评整改率 ``rectification``: bad ratings (level 2 不满意 or 1 非常不满意) given in the
  range that have a ``rectification`` event, whenever it came (up to today), over bad ratings.
- 投诉办结率 ``complaints``: complaints received in the range that were closed, over complaints
  received (no complaint: "—").
- 不予受理 ``rejected``: cases finished ``rejected`` (窗口无否决权: each carries its reason and the
  supervisor who signed it off), a count, not a rate.
- 即办件占比 ``same_day_items``: accepted cases of items the catalogue kinds 即办件 over accepted
  cases of items the catalogue knows.
- 跑动次数 ``visits``: a person's visits for one service are the distinct days they came within 30
  days of their first visit (a later visit starts a new matter); a ticket without an ID number is
  one visit of its own matter. ``per_matter`` is visits per matter, ``once_share`` the share of
  matters done in one visit (最多跑一次).

The event kinds each figure reads are the tuples below, so a kind added later (a default rating,
a complaint's events) slots in by name."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any

from queueing import stats
from queueing.model import Hall
from queueing.store import StoreTx

SAME_DAY_KIND = "即办件"  # the catalogue's 办件类型 data value, never shown
ACCEPTED_OUTCOMES = ("done", "accepted_with_commitment", "accepted_with_gaps")
FINISHED_OUTCOMES = ("done",)
REJECTED_OUTCOMES = ("rejected",)  # 不予受理, signed off by a supervisor (queueing/signoff.py)
CASE_KINDS = ("finish",)
RATING_KINDS = ("rating", "rating_default")  # a default (unrated after N working days) counts too
SATISFIED_LEVELS = (5, 4)
BAD_LEVELS = (2, 1)
RECTIFIED_KINDS = ("rectification",)
COMPLAINT_KINDS = ("complaint",)
COMPLAINT_CLOSED_KINDS = ("complaint_closed",)
VISIT_WINDOW_DAYS = stats.REPEAT_WINDOW_DAYS


def _rate(num: int, den: int) -> float | None:
    return None if not den else round(num / den, 4)


class _Rates:
    def __init__(self) -> None:
        self.accepted = self.finished = self.ratings = self.satisfied = 0
        self.same_day_known = self.same_day = 0
        self.rejected = 0
        self.bad: set[str] = set()
        self.rectified: set[str] = set()
        self.complaints: set[str] = set()
        self.closed: set[str] = set()

    def out(self) -> dict[str, Any]:
        fixed = len(self.bad & self.rectified)
        closed = len(self.complaints & self.closed)
        return {
            "completion": {"accepted": self.accepted, "finished": self.finished,
                           "rate": _rate(self.finished, self.accepted)},
            "satisfaction": {"ratings": self.ratings, "satisfied": self.satisfied,
                             "rate": _rate(self.satisfied, self.ratings)},
            "rectification": {"bad": len(self.bad), "rectified": fixed, "rate": _rate(fixed, len(self.bad))},
            "complaints": {"received": len(self.complaints), "closed": closed,
                           "rate": _rate(closed, len(self.complaints))},
            "same_day_items": {"cases": self.same_day_known, "same_day": self.same_day,
                               "rate": _rate(self.same_day, self.same_day_known)},
            "rejected": {"cases": self.rejected},
        }


def _data(e: Mapping[str, Any]) -> dict[str, Any]:
    try:
        data = json.loads(e["data"] or "{}")
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def rates(hall: Hall, events: Iterable[Mapping[str, Any]], later: Iterable[Mapping[str, Any]],
          item_kinds: Mapping[str, str]) -> dict[str, dict[str, _Rates]]:
    """The rates in total and per service, counter, staff, day and hour of issue: ``events`` of
    the range, ``later`` the rectification and complaint-closing events from the range's start
    to today."""
    groups: dict[str, dict[str, _Rates]] = {
        k: defaultdict(_Rates) for k in ("service", "counter", "staff", "day", "hour")}
    issue_hour: dict[str, str] = {}  # ticket id -> local hour of issue, as queueing.stats groups it
    total = _Rates()
    rectified = {e["ticket_id"] for e in later if e["kind"] in RECTIFIED_KINDS and e["ticket_id"]}
    closed: set[str] = set()
    for e in later:
        if e["kind"] in COMPLAINT_CLOSED_KINDS:
            closed.add(str(_data(e).get("complaint_id") or e["ticket_id"] or e["seq"]))

    def targets(e: Mapping[str, Any]) -> list[_Rates]:
        out = [total, groups["day"][e["day"]]]
        if e["ticket_id"] in issue_hour:
            out.append(groups["hour"][issue_hour[e["ticket_id"]]])
        for name, key in (("service", "service_id"), ("counter", "counter_id"), ("staff", "staff_id")):
            if e[key]:
                out.append(groups[name][e[key]])
        return out

    for e in events:
        kind = e["kind"]
        if kind == "issue" and e["ticket_id"]:
            issue_hour[e["ticket_id"]] = f"{hall.local(e['at']).hour:02d}"
        elif kind in CASE_KINDS:
            outcome = _data(e).get("outcome")
            if outcome in REJECTED_OUTCOMES:
                for r in targets(e):
                    r.rejected += 1
            if outcome not in ACCEPTED_OUTCOMES:
                continue
            item_kind = item_kinds.get(e["service_id"] or "")
            for r in targets(e):
                r.accepted += 1
                r.finished += outcome in FINISHED_OUTCOMES
                if item_kind is not None:
                    r.same_day_known += 1
                    r.same_day += item_kind == SAME_DAY_KIND
        elif kind in RATING_KINDS:
            level = _data(e).get("level")
            if not isinstance(level, int) or _data(e).get("stage") not in (None, "finish"):
                continue  # 一事多评: a case's rating is its finish stage's (an earlier stage's is not counted twice)
            for r in targets(e):
                r.ratings += 1
                r.satisfied += level in SATISFIED_LEVELS
                if level in BAD_LEVELS and e["ticket_id"]:
                    r.bad.add(e["ticket_id"])
                    if e["ticket_id"] in rectified:
                        r.rectified.add(e["ticket_id"])
        elif kind in COMPLAINT_KINDS:
            key = str(_data(e).get("complaint_id") or e["ticket_id"] or e["seq"])
            for r in (total, groups["day"][e["day"]]):
                r.complaints.add(key)
                if key in closed:
                    r.closed.add(key)
    return {"total": {"all": total}, **groups}


def visits(rows: Iterable[tuple[str | None, str, str]], window_days: int = VISIT_WINDOW_DAYS) -> dict[str, Any]:
    """跑动次数 from (person hash or None, service, day) of the range's tickets (see the module)."""
    days: dict[tuple[str, str], set[str]] = defaultdict(set)
    per: dict[str, dict[str, int]] = defaultdict(lambda: {"visits": 0, "matters": 0, "once": 0, "anonymous": 0})
    for person, sid, day in rows:
        if person is None:
            entry = per[sid]
            entry["visits"] += 1
            entry["matters"] += 1
            entry["once"] += 1
            entry["anonymous"] += 1
        else:
            days[(person, sid)].add(day)
    for (_person, sid), seen in days.items():
        entry = per[sid]
        start: date | None = None
        in_matter = 0
        for d in sorted(date.fromisoformat(x) for x in seen):
            if start is None or (d - start).days >= window_days:
                if start is not None:
                    entry["once"] += in_matter == 1
                start, in_matter = d, 0
                entry["matters"] += 1
            in_matter += 1
            entry["visits"] += 1
        entry["once"] += in_matter == 1

    def out(e: Mapping[str, int]) -> dict[str, Any]:
        return {**e, "per_matter": None if not e["matters"] else round(e["visits"] / e["matters"], 4),
                "once_share": _rate(e["once"], e["matters"])}

    total = {k: sum(e[k] for e in per.values()) for k in ("visits", "matters", "once", "anonymous")}
    return {"window_days": window_days, **out(total), "by_service": {s: out(e) for s, e in sorted(per.items())}}


def compute(tx: StoreTx, hall: Hall, day_from: str, day_to: str, today: str,
            item_kinds: Mapping[str, str]) -> dict[str, Any]:
    """The figures of ``queueing.stats.compute`` for the range, with ``rates`` in total and in
    each group, ``visits`` (跑动次数) and each service's targets."""
    events = tx.event_rows(day_from, day_to)
    base = stats.compute(tx, hall, day_from, day_to, events)
    later = tx.event_rows_of(RECTIFIED_KINDS + COMPLAINT_CLOSED_KINDS, day_from, max(day_to, today))
    r = rates(hall, events, later, item_kinds)
    base["rates"] = r["total"]["all"].out()
    for group in ("service", "counter", "staff", "day", "hour"):
        figures = base.setdefault(f"by_{group}", {})
        for key, acc in r[group].items():
            figures.setdefault(key, {})["rates"] = acc.out()
    for sid, figures in base["by_service"].items():
        svc = hall.services.get(sid)
        figures["name"] = svc.name if svc else sid
        figures["target_wait_minutes"] = svc.target_wait_minutes if svc else None
        figures["typical_service_minutes"] = svc.typical_service_minutes if svc else None
        figures["item_kind"] = item_kinds.get(sid)
    base["visits"] = visits(tx.visit_tickets(sorted(hall.services), day_from, day_to))
    base["definitions"] = {"satisfied_levels": list(SATISFIED_LEVELS), "bad_levels": list(BAD_LEVELS),
                           "accepted_outcomes": list(ACCEPTED_OUTCOMES),
                           "finished_outcomes": list(FINISHED_OUTCOMES), "visit_window_days": VISIT_WINDOW_DAYS}
    return base
