"""The scanner simulator's faults sent over a real pty, and how the serial driver degrades: the
driver cannot tell the simulator from a scanner on a USB CDC port."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

from dev_helpers import wait_for

from devices.scanner.serial_scanner import SerialScanner
from devices.scanner.simulator import ScannerFault, ScannerSimulator
from devices.state import DeviceState

ROOT = Path(__file__).resolve().parents[2]


def _driver(sim: ScannerSimulator, scans: list, states: list) -> SerialScanner:
    scanner = SerialScanner(sim.url, on_scan=scans.append, on_state=lambda s, r: states.append(s))
    scanner.start()
    wait_for(lambda: scanner.state == DeviceState.READY)
    return scanner


def test_simulator_lists_its_faults() -> None:
    assert ScannerSimulator.FAULTS == ("disconnect", "garbage", "slow", "duplicate")
    assert set(ScannerSimulator.FAULTS) == {f.value for f in ScannerFault}


def test_garbage_is_rejected_with_a_reason_and_the_scanner_stays_ready(scanner_sim) -> None:
    scans, states = [], []
    scanner = _driver(scanner_sim, scans, states)
    try:
        scanner_sim.set_fault("garbage")
        scanner_sim.feed("APPT1:K7Q2M9XW")
        wait_for(lambda: scans)
        assert scans[0].kind == "rejected" and "binary" in (scans[0].reason or "")
        assert scanner.state == DeviceState.READY
        scanner_sim.set_fault(None)
        scanner_sim.feed("APPT1:K7Q2M9XW")
        wait_for(lambda: len(scans) == 2)
        assert (scans[1].kind, scans[1].value) == ("appointment", "K7Q2M9XW")
    finally:
        scanner.stop()


def test_slow_bytes_still_make_one_whole_code(scanner_sim) -> None:
    scans, states = [], []
    scanner = _driver(scanner_sim, scans, states)
    try:
        scanner_sim.set_fault("slow")
        started = time.monotonic()
        scanner_sim.feed("APPT1:SLOWCODE1")
        assert time.monotonic() - started > 0.3   # it really trickled
        wait_for(lambda: scans)
        time.sleep(0.3)
        assert [(s.kind, s.value) for s in scans] == [("appointment", "SLOWCODE1")]
    finally:
        scanner.stop()


def test_duplicate_reads_reach_the_kiosk_once(scanner_sim) -> None:
    scans, states = [], []
    scanner = _driver(scanner_sim, scans, states)
    try:
        scanner_sim.set_fault("duplicate")
        scanner_sim.feed("APPT1:TWICE0001")
        wait_for(lambda: scans)
        time.sleep(0.4)
        assert [s.value for s in scans] == ["TWICE0001"]
    finally:
        scanner.stop()


def test_disconnect_then_replug(scanner_sim) -> None:
    scans, states = [], []
    scanner = _driver(scanner_sim, scans, states)
    try:
        scanner_sim.set_fault("disconnect")
        wait_for(lambda: scanner.state == DeviceState.DISCONNECTED, timeout=10)
        scanner_sim.feed("APPT1:LOST00001")   # nobody hears an unplugged scanner
        scanner_sim.set_fault(None)
        wait_for(lambda: scanner.state == DeviceState.READY, timeout=15)
        scanner_sim.feed("APPT1:BACK00001")
        wait_for(lambda: scans)
        assert [s.value for s in scans] == ["BACK00001"]
        assert DeviceState.DISCONNECTED in states
    finally:
        scanner.stop()


def test_diag_simulate_reads_the_fault_list_from_the_simulator() -> None:
    for device, sim_faults in (("scanner", ScannerSimulator.FAULTS),):
        out = subprocess.run([sys.executable, "main.py", "diag", "simulate", device, "--fault", "list"],
                             cwd=ROOT, capture_output=True, text=True, timeout=60)
        assert out.returncode == 0 and tuple(out.stdout.split()) == sim_faults
    bad = subprocess.run([sys.executable, "main.py", "diag", "simulate", "printer", "--fault", "jammed"],
                         cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert bad.returncode == 2 and "paper_out" in bad.stderr
