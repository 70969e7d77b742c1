"""Rating pad mode: a kiosk beside a counter that asks for the citizen's 好差评 as soon as the
counter finishes a ticket (it follows the hall service's event stream for that counter)."""

from __future__ import annotations

import logging
import threading
from typing import Any

log = logging.getLogger(__name__)


def follow_counter(assembly: Any, counter_id: str) -> threading.Thread:
    """Start a thread that opens the rating screen for each ticket the counter finishes."""
    client, runtime = assembly.hall_client, assembly.runtime
    stop = threading.Event()
    assembly.stops.append(stop.set)

    def run() -> None:
        for event in client.follow_events(stop):
            if event.kind == "finish" and event.data.get("counter_id") == counter_id:
                ticket_id = (event.data.get("ticket") or {}).get("id")
                if ticket_id:
                    runtime.post(lambda core, tid=ticket_id: _ask(core, tid))

    thread = threading.Thread(target=run, name=f"rating-pad-{counter_id}", daemon=True)
    thread.start()
    return thread


def _ask(core: Any, ticket_id: str) -> None:
    core.go_home()
    core.start_flow("rating", ticket_id=ticket_id)
    core._publish()
