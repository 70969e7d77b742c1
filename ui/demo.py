"""The demo panel's controls: "insert" a simulated ID card, "scan" a code, empty the printer.

Only the simulators are touched: the card still travels as SAM frames through a pty to the real
reader driver, the code as bytes to the real scanner driver."""

from __future__ import annotations

from typing import Any

from kiosk.runtime import KioskRuntime


class DemoControls:
    def __init__(self, devices: Any, runtime: KioskRuntime) -> None:
        self.devices = devices
        self.runtime = runtime

    def identities(self) -> list[dict[str, str]]:
        sim = self.devices.simulators.get("idcard")
        if sim is None:
            return []
        return [{"key": key, "label": f"{card.name}（{key}）"} for key, card in sim.identities().items()]

    def codes(self) -> list[dict[str, str]]:
        base = self.runtime.core.public_base_url
        return [{"label": "预约码 APPT1:K7Q2M9XW", "value": "APPT1:K7Q2M9XW"},
                {"label": "办事指南 S0101", "value": f"{base}/g/S0101"},
                {"label": "无关二维码 other", "value": "https://example.com/not-ours"}]

    def insert_card(self, key: str) -> None:
        sim = self.devices.simulators.get("idcard")
        if sim is not None and key:
            sim.insert(key)

    def remove_card(self) -> None:
        sim = self.devices.simulators.get("idcard")
        if sim is not None:
            sim.remove()

    def scan(self, text: str) -> None:
        sim = self.devices.simulators.get("scanner")
        if sim is not None and text:
            sim.feed(text)

    def paper_out(self, out: bool) -> None:
        sim = self.devices.simulators.get("printer")
        if sim is not None:
            sim.set_status(paper_out=out)
