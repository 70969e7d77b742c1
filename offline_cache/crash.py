"""Named crash points for the fault tests: when ``OFFLINE_CACHE_CRASH_AT`` names the point the
code has reached, the process ends at once with ``os._exit`` (no cleanup, no flush) — the same
as ``kill -9`` at exactly that instant. Unset in production, where this costs one dict lookup.

Points: ``enqueue_before_commit``, ``after_claim``, ``mid_attachment``,
``after_send_before_ack``, ``ack_before_commit``, ``after_ack``.
"""

from __future__ import annotations

import os

ENV = "OFFLINE_CACHE_CRASH_AT"
EXIT_CODE = 137  # what a shell reports for a process killed by SIGKILL
POINTS = ("enqueue_before_commit", "after_claim", "mid_attachment", "after_send_before_ack",
          "ack_before_commit", "after_ack")


def crash_point(name: str) -> None:
    wanted = os.environ.get(ENV)
    if wanted and name in wanted.split(","):
        os._exit(EXIT_CODE)
