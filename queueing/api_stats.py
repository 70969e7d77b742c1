"""Routes of statistics with history (:mod:`queueing.stats_history`) and the monthly report
(:mod:`queueing.report`):

- ``GET /api/v1/stats/history?from=&to=``: the figures of any range of service days (default
  today): what ``/api/v1/stats`` answers, plus ``rates`` (办结率, 满意率, 差评整改率, 投诉办结率,
  即办件占比) in total and per service/counter/staff/day, ``visits`` (跑动次数) and targets.
- ``GET /api/v1/stats/report?month=YYYY-MM&format=xlsx|pdf&lang=zh_CN``: the report file (or
  ``from``/``to`` instead of ``month``).

The item kinds (即办件 or not) come from the service catalogue bundled with offline_cache, by
service id (the hall's services are the catalogue's items)."""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any, Literal

from fastapi import Query
from fastapi.responses import Response

from queueing import report, stats_history
from queueing.codes import HallCode
from queueing.model import bad_input

if TYPE_CHECKING:
    from fastapi import FastAPI

    from queueing.api_routes import RouteContext
    from queueing.engine import QueueEngine

MEDIA = {"xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "pdf": "application/pdf"}


@functools.cache
def item_kinds() -> dict[str, str]:
    """Service id → the catalogue's 办件类型 (即办件, 承诺件…), of the bundled catalogue (read once)."""
    from offline_cache.pulls import load_sample_catalogue

    return {str(s["id"]): str(s.get("kind") or "") for s in load_sample_catalogue().get("services", [])
            if isinstance(s, dict) and s.get("id")}


def _day(name: str, value: str | None) -> str | None:
    if value is None:
        return None
    try:
        datetime.strptime(value, "%Y-%m-%d")
    except ValueError as exc:
        raise bad_input(HallCode.INVALID_DATE, f"{name} must be a date YYYY-MM-DD") from exc
    return value


def history(engine: QueueEngine, day_from: str | None, day_to: str | None,
            kinds: dict[str, str] | None = None) -> dict[str, Any]:
    """The figures for ``day_from``..``day_to`` (a missing end: today), in one read transaction."""
    day_from, day_to = _day("from", day_from), _day("to", day_to)
    today = engine.hall.day(engine.clock())
    start = day_from or day_to or today
    end = day_to or max(start, today)
    with engine.store.read() as tx:
        return stats_history.compute(tx, engine.hall, start, end, today, item_kinds() if kinds is None else kinds)


def render(figures: dict[str, Any], fmt: str, language: str, hall_name: str, generated: str) -> bytes:
    if fmt == "pdf":
        return report.pdf(figures, language, hall_name, generated)
    return report.xlsx(figures, language, hall_name)


def add_routes(app: FastAPI, ctx: RouteContext) -> None:
    engine = ctx.engine
    # A month's figures take seconds: they are read on a thread of their own (a read transaction
    # of the store; SQLite's WAL and PostgreSQL's snapshot let the engine write meanwhile), never
    # on the engine's thread, where every issue and call would wait for them. One at a time.
    stats_pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="hall-stats")

    async def off_engine(fn: Callable[..., Any], *args: Any) -> Any:
        return await asyncio.get_running_loop().run_in_executor(stats_pool, functools.partial(fn, *args))

    @app.get("/api/v1/stats/history")
    async def stats_history_route(
        from_: Annotated[str | None, Query(alias="from")] = None,
        to: str | None = None,
        role: str = ctx.require("admin"),
    ) -> dict[str, Any]:
        answer: dict[str, Any] = await off_engine(history, engine, from_, to)
        return answer

    @app.get("/api/v1/stats/report", response_class=Response,
             responses={200: {"content": {MEDIA["xlsx"]: {}, MEDIA["pdf"]: {}}}})
    async def stats_report(
        month: str | None = None,
        from_: Annotated[str | None, Query(alias="from")] = None,
        to: str | None = None,
        format: Literal["xlsx", "pdf"] = "xlsx",  # noqa: A002 (the query's name)
        lang: Literal["zh_CN", "en"] = "zh_CN",
        role: str = ctx.require("admin"),
    ) -> Response:
        if month is not None:
            try:
                from_, to = report.month_range(month)
            except ValueError as exc:
                raise bad_input(HallCode.INVALID_DATE, "month must be YYYY-MM") from exc
        figures = await off_engine(history, engine, from_, to)
        generated = engine.hall.iso(engine.clock()) or ""
        data = await off_engine(render, figures, format, lang, engine.hall.name, generated)
        name = f"hall-report-{month or figures['from']}.{format}"
        return Response(data, media_type=MEDIA[format],
                        headers={"Content-Disposition": f'attachment; filename="{name}"'})
