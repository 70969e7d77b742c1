"""A whole kiosk for flow tests: the reference platform and the hall service in-process (real
HTTP on loopback), simulated devices behind real ptys, the kiosk core on its worker thread."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from kiosk.assembly import Assembly, assemble_kiosk
from kiosk.config import Config


class Kiosk:
    def __init__(self, assembly: Assembly) -> None:
        self.assembly = assembly
        self.runtime = assembly.runtime
        self.sims = assembly.devices.simulators if assembly.devices else {}

    def view(self) -> dict[str, Any]:
        return self.runtime.call(lambda core: core.view())

    def act(self, action: str, **args: Any) -> dict[str, Any]:
        self.runtime.call(lambda core: core.act(action, **args))
        return self.view()

    def wait(self, predicate: Callable[[dict[str, Any]], bool], timeout: float = 15.0) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        view = self.view()
        while time.monotonic() < deadline:
            view = self.view()
            if predicate(view):
                return view
            time.sleep(0.05)
        raise AssertionError(f"timed out in {view['flow']}/{view['state']}: {view['screen'].get('title')}")

    def wait_state(self, *states: str, timeout: float = 15.0) -> dict[str, Any]:
        return self.wait(lambda v: v["state"] in states, timeout)

    def insert_card(self, key: str) -> None:
        self.sims["idcard"].insert(key)

    def remove_card(self) -> None:
        self.sims["idcard"].remove()
        self.wait(lambda v: self.runtime.call(lambda c: not c.card_present))

    def scan(self, text: str) -> None:
        self.sims["scanner"].feed(text)

    def staff(self, role: str = "counter") -> Any:
        from queueing.client import HallClient

        return HallClient(self.assembly.hall.url, self.assembly.hall.tokens[role])


def make_config(tmp_path: Path) -> Config:
    config = Config()
    config.data_dir = str(tmp_path / "data")
    config.platform.sync_interval_s = 1.0
    return config


@pytest.fixture
def kiosk(tmp_path: Path) -> Iterator[Kiosk]:
    assembly = assemble_kiosk(make_config(tmp_path))
    try:
        yield Kiosk(assembly)
    finally:
        assembly.stop()
