"""The simulated A4 printer (``[devices.a4_printer] connection = "sim"``): it answers with the
IPP ``printer-state-reasons`` a real printer sends for each fault, so the driver's status path is
the real one, and keeps the PDFs it was given (``jobs``) for the screen and the tests."""

from __future__ import annotations

import threading
from typing import Any

from devices.a4.driver import A4Printer, A4TransportError
from devices.simport import known_fault

#: fault → (printer-state, printer-state-reasons)
_FAULT_REASONS: dict[str, tuple[int, list[str]]] = {
    "paper_out": (5, ["media-empty-error"]),
    "paper_low": (3, ["media-low-warning"]),
    "toner_out": (5, ["toner-empty-error"]),
    "toner_low": (3, ["toner-low-warning"]),
    "jam": (5, ["media-jam-error"]),
    "door_open": (5, ["door-open-error"]),
    "offline": (5, ["offline-report", "paused"]),
}


class A4Simulator:
    FAULTS: tuple[str, ...] = (*_FAULT_REASONS, "unreachable")

    def __init__(self) -> None:
        self._fault: str | None = None
        self._lock = threading.Lock()
        self.jobs: list[tuple[str, bytes]] = []

    def set_fault(self, name: str | None) -> None:
        self._fault = known_fault(name, self.FAULTS)

    @property
    def fault(self) -> str | None:
        return self._fault

    def attributes(self) -> dict[str, Any]:
        if self._fault == "unreachable":
            raise A4TransportError("CUPS request failed: connection refused (simulated)")
        state, reasons = _FAULT_REASONS.get(self._fault or "", (3, ["none"]))
        return {"printer-state": state, "printer-state-reasons": reasons,
                "printer-is-accepting-jobs": True, "printer-state-message": ""}

    def accept(self, pdf: bytes, job_name: str) -> int:
        with self._lock:
            if self._fault == "unreachable":
                raise A4TransportError("CUPS request failed: connection refused (simulated)")
            self.jobs.append((job_name, pdf))
            return len(self.jobs)

    def close(self) -> None:
        self.jobs.clear()


class SimulatedA4Printer(A4Printer):
    simulator: A4Simulator

    def __init__(self, simulator: A4Simulator | None = None, **kw: Any) -> None:
        super().__init__(**kw)
        self.simulator = simulator or A4Simulator()

    def _attributes(self) -> dict[str, Any]:
        return self.simulator.attributes()

    def _submit(self, pdf: bytes, job_name: str) -> int:
        return self.simulator.accept(pdf, job_name)
