"""What every flow shares: the screen description, the action/event hooks, and access to the
kiosk core's services (hall client, devices, cache, catalogue, translator, session)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from kiosk.app import KioskCore


@dataclass
class Screen:
    """A view model: ``template`` picks the QML page, the rest fills it.

    templates: menu, card, message, ticket, form, guide, search, camera, review, rating, reasons, scores, keypad, text
    """

    template: str
    title: str
    data: dict[str, Any] = field(default_factory=dict)
    speech: str = ""  # what elder mode says aloud for this step (defaults to the title)

    def as_dict(self) -> dict[str, Any]:
        return {"template": self.template, "title": self.title, "speech": self.speech or self.title, **self.data}


def choice(id: str, label: str, sublabel: str = "", *, enabled: bool = True, accent: str = "") -> dict[str, Any]:  # noqa: A002
    """One big button of a menu screen."""
    return {"id": id, "label": label, "sublabel": sublabel, "enabled": enabled, "accent": accent}


class Flow:
    """Base class. Subclasses set ``name``, keep ``state`` and implement :meth:`screen`."""

    name = "flow"
    #: a flow whose screens hold a citizen's typed data uses the shorter idle time
    in_form = False
    #: the flow wants card reads / scans delivered to it
    wants_card = False
    wants_scan = False

    @property
    def holds_citizen(self) -> str:
        """While the flow finishes something for the citizen who is here (a submission whose
        receipt is on its way), the words that say so: 返回首页, 返回 and the idle wipe wait."""
        return ""

    def __init__(self, core: KioskCore) -> None:
        self.core = core
        self.state = "start"
        self.history: list[str] = []

    @property
    def tr(self) -> Callable[..., str]:
        return self.core.translator.tr

    def goto(self, state: str) -> None:
        if state != self.state:
            self.history.append(self.state)
            self.state = state

    def back(self) -> bool:
        """Go one step back; False when there is nothing to go back to (the core goes home)."""
        while self.history:
            previous = self.history.pop()
            if previous not in self.transient_states():
                self.state = previous
                return True
        return False

    def transient_states(self) -> set[str]:
        """States that ``back`` skips (results, work in progress)."""
        return set()

    def handle(self, action: str, args: dict[str, Any]) -> None:
        raise NotImplementedError

    def on_card(self, card: Any) -> None:
        """A card was read while this flow is showing."""

    def on_scan(self, payload: Any) -> None:
        """A code was scanned while this flow is showing."""

    def screen(self) -> Screen:
        raise NotImplementedError

    def message(self, title: str, lines: list[str], *, kind: str = "info", buttons: list[dict[str, Any]] | None = None,
                **extra: Any) -> Screen:
        return Screen("message", title, {"kind": kind, "lines": lines,
                                         "buttons": buttons or [choice("home", self.tr("common.home"))],
                                         **extra})
