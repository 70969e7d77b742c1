"""Fixtures: simulators behind real ptys and sockets, closed after each test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from devices.idcard.simulator import IdCardSimulator
from devices.printer.simulator import PrinterSimulator
from devices.scanner.simulator import ScannerSimulator


@pytest.fixture
def idsim() -> Iterator[IdCardSimulator]:
    sim = IdCardSimulator(pace=False)
    sim.listen_pty()
    yield sim
    sim.close()


@pytest.fixture
def idsim_tcp() -> Iterator[IdCardSimulator]:
    sim = IdCardSimulator(pace=False)
    sim.listen_tcp()
    yield sim
    sim.close()


@pytest.fixture
def printer_sim() -> Iterator[PrinterSimulator]:
    sim = PrinterSimulator(80)
    sim.listen_pty()
    yield sim
    sim.close()


@pytest.fixture
def scanner_sim() -> Iterator[ScannerSimulator]:
    sim = ScannerSimulator()
    sim.listen_pty()
    yield sim
    sim.close()
