"""Slow work off the kiosk worker: one shape for every platform call a screen waits on.

Owns the hand-off the booking, e-licence and submission paths share: ``work()`` runs on a
thread of its own (a platform call may hang up to its timeouts, the worker must keep serving the
screen), then ``deliver(core, result)`` runs back on the kiosk worker and the screen is published
after it. An exception raised by ``work`` is delivered as the result: the flow says in words
what went wrong. A bare core without a worker (a unit's own test) runs both inline."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any


def off_worker(core: Any, work: Callable[[], Any], deliver: Callable[[Any, Any], None], *, name: str) -> None:
    """``work()`` on the thread ``name``, then ``deliver(core, result)`` on the kiosk worker and
    the screen published; inline without a worker."""

    def run() -> None:
        try:
            result = work()
        except Exception as exc:  # delivered as the result: the flow says what went wrong
            result = exc

        def back(c: Any) -> None:
            deliver(c, result)
            c._publish()

        if core.to_worker is not None:
            core.to_worker(back)
        else:
            back(core)

    if core.to_worker is None:
        run()
    else:
        threading.Thread(target=run, name=name, daemon=True).start()
