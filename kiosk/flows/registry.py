"""Which flow class a home-screen choice starts."""

from __future__ import annotations

from typing import Any

from kiosk.flows.base import Flow


def create(name: str, core: Any, **kwargs: Any) -> Flow:
    from kiosk.elicences import ElicenceCopyFlow
    from kiosk.flows.booking import BookingFlow
    from kiosk.flows.checkin import CheckinFlow
    from kiosk.flows.guide import GuideFlow
    from kiosk.flows.progress import ProgressFlow
    from kiosk.flows.rating import RatingFlow
    from kiosk.flows.submit import SubmitFlow
    from kiosk.flows.ticket import TicketFlow

    flows: dict[str, type[Flow]] = {"ticket": TicketFlow, "checkin": CheckinFlow, "guide": GuideFlow,
                                    "submit": SubmitFlow, "progress": ProgressFlow, "rating": RatingFlow,
                                    "booking": BookingFlow, "elicence_copy": ElicenceCopyFlow}
    if name not in flows:
        raise ValueError(f"unknown flow {name!r}")
    return flows[name](core, **kwargs)
