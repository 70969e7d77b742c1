"""错峰 hints from the hall's own history: ``GET /api/v1/stats/quiet?weeks=8`` (any device role).

For each weekday (1 = Monday … 7 = Sunday, the hall's time zone) and hour, the tickets issued on
average on that weekday in the last ``weeks`` weeks up to today, over the days of that weekday the
hall was open (issued any ticket). A kiosk's booking screen names the quietest of the hours it can
book (kiosk/booking.py). Counts only: no ticket, person or number leaves the hall."""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from typing import TYPE_CHECKING, Annotated, Any

from fastapi import Query

if TYPE_CHECKING:
    from fastapi import FastAPI

    from queueing.api_routes import RouteContext
    from queueing.engine import QueueEngine

MAX_WEEKS = 26


def quiet_hours(engine: QueueEngine, weeks: int) -> dict[str, Any]:
    hall = engine.hall
    today = hall.day(engine.clock())
    first = hall.day_before(today, weeks * 7 - 1)
    with engine.store.read() as tx:
        rows = tx.event_rows_of(("issue",), first, today)
    counts: dict[int, dict[int, int]] = defaultdict(lambda: defaultdict(int))
    open_days: dict[int, set[str]] = defaultdict(set)
    for e in rows:
        weekday = date.fromisoformat(str(e["day"])).isoweekday()
        counts[weekday][hall.local(float(e["at"])).hour] += 1
        open_days[weekday].add(str(e["day"]))
    by_weekday = {str(w): {f"{h:02d}": round(n / len(open_days[w]), 2) for h, n in sorted(hours.items())}
                  for w, hours in sorted(counts.items())}
    return {"from": first, "to": today, "weeks": weeks,
            "days_open": {str(w): len(d) for w, d in sorted(open_days.items())}, "by_weekday": by_weekday}


def add_routes(app: FastAPI, ctx: RouteContext) -> None:
    engine = ctx.engine

    @app.get("/api/v1/stats/quiet")
    async def stats_quiet(weeks: Annotated[int, Query(ge=1, le=MAX_WEEKS)] = 8,
                          role: str = ctx.require("kiosk", "admin")) -> dict[str, Any]:
        answer: dict[str, Any] = await ctx.call(quiet_hours, engine, weeks)
        return answer
