"""The home screen: the six things a citizen can do here, plus language, elder mode and help.

Elder mode shows every one of them too, bigger: six fit one screen at every supported size (the
elder layout holds no more, so a seventh choice would need a 更多 page), and nothing a citizen can
do is hidden from an older one."""

from __future__ import annotations

from typing import Any

from kiosk.flows.base import Flow, Screen, choice

HOME_CHOICES = ("ticket", "checkin", "guide", "submit", "progress", "rating")


class HomeFlow(Flow):
    name = "home"

    def __init__(self, core: Any) -> None:
        super().__init__(core)
        self.state = "home"

    def handle(self, action: str, args: dict[str, Any]) -> None:
        if action == "choose" and args.get("id") in HOME_CHOICES:
            self.core.start_flow(args["id"])

    def screen(self) -> Screen:
        tr = self.tr
        works = self.core.what_works()
        choices = [choice(name, tr(f"home.{name}"), tr(f"home.{name}.sub"), enabled=works.get(name, True))
                   for name in HOME_CHOICES]
        return Screen("menu", tr("home.title", hall=self.core.hall_name), {
            "choices": choices, "lines": [tr("home.subtitle")], "home": True}, speech=tr("speech.home"))
