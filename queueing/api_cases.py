"""The hall service's routes of cases and the rectification loop (queueing/cases.py).

- ``PUT /api/v1/tickets/{id}/case``: the 办件编号 set by the window business system (admin, or a
  counter device for a ticket of its own counter).
- ``POST /api/v1/tickets/{id}/rating/followup``: the one 追评 of a rating.
- ``GET /api/v1/tickets/{id}/rating-stage``: the stage rated now (一事多评), for the kiosk.
- ``GET /api/v1/cases/{case_no}/ratings``: a case's ratings, for the 追评 from its receipt.
- ``GET /api/v1/rectifications``: the 整改 loops with their deadlines and overdue flags.
- ``POST /api/v1/rectifications/{id}/callback`` and ``…/verify``: a signed-in supervisor's
  回访 and 复核 (the rectification itself stays ``POST /api/v1/ratings/{id}/rectification``).
- ``GET /api/v1/rectifications/lists/{problems|needs|rectification}?format=csv|xlsx``: the three
  lists (问题清单 / 需求清单 / 整改清单) as files."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any, Literal

from fastapi import Query, Response
from pydantic import BaseModel, Field

from common.i18n import translate
from queueing import cases
from queueing.codes import HallCode
from queueing.credentials import current_caller
from queueing.model import QueueError

if TYPE_CHECKING:
    from fastapi import FastAPI

    from queueing.api_routes import RouteContext

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class CaseBody(BaseModel):
    case_no: str = Field(..., min_length=1, max_length=64, examples=["330100202612010001"])


class FollowupBody(BaseModel):
    comment: str = Field(..., min_length=1, max_length=1000)
    level: int | Literal["very_satisfied", "satisfied", "basic", "dissatisfied", "very_dissatisfied"] | None = None
    stage: Literal["accept", "finish"] | None = None


class NoteBody(BaseModel):
    note: str = Field(..., min_length=1, max_length=2000)


def _supervisor() -> str:
    """The signed-in supervisor of this request: the admin token alone is nobody's name."""
    caller = current_caller.get()
    if caller is None or caller.staff is None or not caller.staff.supervisor:
        raise QueueError(403, HallCode.SUPERVISOR_REQUIRED, "a supervisor signs this off in their own session")
    return caller.staff.id


def _day(name: str, value: str | None) -> str | None:
    if value is not None:
        try:
            datetime.strptime(value, "%Y-%m-%d")
        except ValueError:
            raise QueueError(422, HallCode.INVALID_DATE, f"{name} must be a date YYYY-MM-DD") from None
    return value


def add_routes(app: FastAPI, ctx: RouteContext) -> None:
    def book() -> cases.CaseBook:
        return cases.book_of(ctx.engine)

    @app.put("/api/v1/tickets/{ticket_id}/case")
    async def set_case(ticket_id: str, body: CaseBody, role: str = ctx.require("admin", "counter")) -> dict[str, Any]:
        caller = current_caller.get()
        if caller is not None and caller.role == "counter" and (caller.counter_id or caller.session_counter):
            t, _, _ = await ctx.call(ctx.engine.ticket, ticket_id)
            bound = caller.counter_id or caller.session_counter
            if t.counter_id != bound:
                raise QueueError(403, HallCode.WRONG_COUNTER, f"this device works counter {bound} only")
        by = caller.staff.id if caller is not None and caller.staff is not None else None
        return {"ticket": await ctx.call(book().set_case, ticket_id, body.case_no, by)}

    @app.post("/api/v1/tickets/{ticket_id}/rating/followup", status_code=201)
    async def followup(ticket_id: str, body: FollowupBody,
                       role: str = ctx.require("kiosk", "counter")) -> dict[str, Any]:
        return {"followup": await ctx.call(book().followup, ticket_id, body.comment, body.level, body.stage)}

    @app.get("/api/v1/tickets/{ticket_id}/rating-stage")
    async def rating_stage(ticket_id: str, role: str = ctx.require("kiosk", "counter", "admin")) -> dict[str, Any]:
        """The stage the ticket's case is rated at now (一事多评; ``null``: none reached yet), whether
        that stage is rated, and the hall's stages: what the kiosk's rating screen asks for."""
        await ctx.call(ctx.engine.ticket, ticket_id)  # 404 for an unknown ticket
        stage, rated = await ctx.call(book().stage_now, ticket_id)
        return {"stage": stage, "stage_rated": rated, "stages": list(ctx.engine.hall.rating.stages)}

    @app.get("/api/v1/cases/{case_no}/ratings")
    async def case_ratings(case_no: str, role: str = ctx.require("kiosk", "admin")) -> dict[str, Any]:
        """The ratings of a case (its tickets of any day finished with this 办件编号), each saying
        whether its one 追评 is given: the kiosk's 办件查询 offers the 追评 from the receipt."""
        return {"ratings": await ctx.call(book().case_ratings, case_no)}

    @app.get("/api/v1/rectifications")
    async def loops(
        from_: Annotated[str | None, Query(alias="from")] = None,
        to: str | None = None,
        open_only: Annotated[bool, Query(alias="open")] = False,
        role: str = ctx.require("admin"),
    ) -> dict[str, Any]:
        """Every loop still open (default), or those opened on the days ``from``..``to``."""
        rows = await ctx.call(book().loops, _day("from", from_), _day("to", to), open_only)
        return {"rectifications": rows}

    @app.post("/api/v1/rectifications/{ticket_id}/callback")
    async def callback(ticket_id: str, body: NoteBody, role: str = ctx.require("admin")) -> dict[str, Any]:
        return {"rectification": await ctx.call(book().callback, ticket_id, body.note, _supervisor())}

    @app.post("/api/v1/rectifications/{ticket_id}/verify")
    async def verify(ticket_id: str, body: NoteBody, role: str = ctx.require("admin")) -> dict[str, Any]:
        return {"rectification": await ctx.call(book().verify, ticket_id, body.note, _supervisor())}

    @app.get("/api/v1/rectifications/lists/{which}",
             responses={200: {"content": {"text/csv": {}, XLSX: {}}, "description": "the list as a file"}})
    async def export_list(
        which: Literal["problems", "needs", "rectification"],
        from_: Annotated[str | None, Query(alias="from")] = None,
        to: str | None = None,
        format: Literal["csv", "xlsx"] = "xlsx",  # noqa: A002 - the query parameter's name
        lang: Literal["zh_CN", "en"] = "zh_CN",
        role: str = ctx.require("admin"),
    ) -> Response:
        today = ctx.engine.hall.day(ctx.engine.clock())
        start = _day("from", from_) or today
        end = _day("to", to) or max(start, today)
        cols, rows = await ctx.call(book().list_rows, which, start, end)
        headers = [translate(lang, f"staff.cases.col.{c}") for c in cols]
        title = translate(lang, f"staff.cases.list.{which}")
        data = await ctx.call(cases.export, cols, rows, headers, format, title)
        name = f"{which}-{start}-{end}.{format}"
        return Response(data, media_type="text/csv; charset=utf-8" if format == "csv" else XLSX,
                        headers={"Content-Disposition": f'attachment; filename="{name}"'})
