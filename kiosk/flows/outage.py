"""暂停服务: the kiosk's home when it cannot keep a citizen's data safely (its offline cache did not
open at start). It says so in plain words with the way forward (a service window, another kiosk);
the header's help button still calls staff, who were alerted at start."""

from __future__ import annotations

from typing import Any

from kiosk.flows.base import Flow, Screen


class OutageFlow(Flow):
    name = "outage"

    def __init__(self, core: Any) -> None:
        super().__init__(core)
        self.state = "outage"

    def handle(self, action: str, args: dict[str, Any]) -> None:
        """Nothing to choose: every task here needs the cache."""

    def screen(self) -> Screen:
        return Screen("message", self.tr("outage.title"), {
            "kind": "warning", "lines": [self.tr("outage.body")], "buttons": []})
