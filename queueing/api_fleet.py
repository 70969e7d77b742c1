"""The hall service's fleet routes (queueing/fleet.py holds the rules):

- ``POST /api/v1/fleet/heartbeat``: a machine's heartbeat, from any enrolled device role (kiosk,
  rating pad, display, counter console, dashboard). The machine is the caller's enrolled device;
  with a shared credentials.json token its ``name`` tells the machines apart. The body is capped
  at :data:`HEARTBEAT_CAP` bytes (queueing/limits.py) and typed, so a machine cannot store more
  than a heartbeat's worth.
- ``GET /api/v1/fleet``: every machine's latest state, last seen and problems (dashboard, admin).

While the service runs, a task looks for silent machines every ``CHECK_EVERY_S`` seconds."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Annotated, Any

from pydantic import BaseModel, Field, field_validator

from common.releases import UpdateProblem
from queueing.api_routes import every
from queueing.credentials import current_caller
from queueing.fleet import CHECK_EVERY_S, Fleet

if TYPE_CHECKING:
    from fastapi import FastAPI

    from queueing.api_routes import RouteContext

log = logging.getLogger(__name__)
HEARTBEAT_PATH = "/api/v1/fleet/heartbeat"
HEARTBEAT_CAP = 8 * 1024
Short = Annotated[str, Field(max_length=64)]


class DeviceBody(BaseModel):
    state: str = Field(..., max_length=20, examples=["ready", "error", "disconnected"])
    reason: str | None = Field(None, max_length=120, examples=["paper_out"])


class HeartbeatBody(BaseModel):
    name: Short | None = Field(None, description="the machine's own id (kiosk.id); tells shared-token machines apart")
    kind: Short | None = Field(None, examples=["kiosk", "rating_pad", "display", "counter", "dashboard"])
    version: str = Field(..., min_length=1, max_length=40, examples=["0.1.0"])
    uptime_s: float = Field(..., ge=0)
    devices: dict[Short, DeviceBody] = Field(default_factory=dict, max_length=12)
    backlog: int | None = Field(None, ge=0, description="records waiting in the machine's offline cache")
    dead_letters: int | None = Field(None, ge=0)
    disk_free_bytes: int | None = Field(None, ge=0)
    update_problem: UpdateProblem | None = Field(
        None, description="why the machine refused or gave up the hall's release (docs/updates.md); a code "
        "this hall does not know is stored as `other`, so a newer kiosk's heartbeat is never refused for it")

    @field_validator("update_problem", mode="before")
    @classmethod
    def _known_problem(cls, value: Any) -> Any:
        if isinstance(value, str) and value not in set(UpdateProblem):
            log.warning("heartbeat: unknown update problem %.40r, kept as 'other'", value)
            return UpdateProblem.OTHER
        return value


def add_routes(app: FastAPI, ctx: RouteContext) -> None:
    fleet = Fleet(ctx.engine)
    app.state.fleet = fleet

    @app.post(HEARTBEAT_PATH)
    async def heartbeat(body: HeartbeatBody, role: str = ctx.require("kiosk", "counter", "display", "admin")
                        ) -> dict[str, Any]:
        caller = current_caller.get()
        device = caller.device if caller else role
        if caller is not None and caller.shared:
            device = f"{caller.device}:{body.name or '?'}"
        counter_id = caller.counter_id if caller else None
        state = body.model_dump(exclude_none=True)
        return {"heartbeat": await ctx.call(fleet.heartbeat, device, role, counter_id, state)}

    @app.get("/api/v1/fleet")
    async def machines(role: str = ctx.require("admin")) -> dict[str, Any]:
        return {"machines": await ctx.call(fleet.machines), "hall": await ctx.call(fleet.hall_now)}

    every(app, CHECK_EVERY_S, lambda: ctx.call(fleet.check_silence), "fleet silence check")
