"""DeviceManager built from a config dict with simulators, and the diag CLI as a technician runs it."""

import datetime as dt
import json
import subprocess
import sys
import threading
from pathlib import Path

import qrcode
from dev_helpers import wait_for

from devices.config import DevicesConfig
from devices.idcard.simulator import IdCardSimulator
from devices.manager import DeviceManager
from devices.printer.templates import TicketSlip
from devices.state import DeviceState

ROOT = Path(__file__).resolve().parents[2]


def test_manager_with_simulators():
    cards, removed, scans, states, alerts = [], [], [], [], []
    config = DevicesConfig()   # every device simulated
    before = threading.active_count()
    m = DeviceManager(config, base_url="https://hall.example.gov.cn", card_interval=0.05, printer_poll=0.2,
                      on_card=cards.append, on_card_removed=lambda: removed.append(1),
                      on_scan=scans.append, on_state=lambda k, s, r: states.append((k, s, r)),
                      on_alert=lambda k, msg: alerts.append((k, msg)))
    m.start()
    try:
        wait_for(lambda: all(m.state(k)[0] == DeviceState.READY for k in ("idcard", "printer", "scanner", "camera")),
                 timeout=10)
        m.simulators["idcard"].insert("elderly")
        wait_for(lambda: cards)
        assert "李" not in repr(cards[0]) or "李**" in repr(cards[0])
        m.simulators["idcard"].remove()
        wait_for(lambda: removed)
        m.simulators["scanner"].feed("APPT1:K7Q2M9XW")
        wait_for(lambda: scans)
        assert scans[0].kind == "appointment"
        slip = TicketSlip("厅", "A001", "社保", "1号窗口", 0, 0, dt.datetime(2024, 1, 1))
        assert m.print_job("print_ticket", slip).ok
        m.simulators["printer"].set_status(paper_near_end=True)
        wait_for(lambda: alerts, timeout=5)
        m.simulators["printer"].set_status(paper_out=True)
        result = m.print_job("print_ticket", slip)
        assert (result.ok, result.reason) == (False, "paper_out")
        assert m.state("printer") == (DeviceState.ERROR, "paper_out")
    finally:
        m.close()
    wait_for(lambda: threading.active_count() <= before, timeout=5)
    assert ("printer", DeviceState.BUSY, None) in states


def run_cli(*args, timeout=60):
    return subprocess.run([sys.executable, "main.py", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=timeout)


def test_diag_idcard_prints_the_contract_keys():
    sim = IdCardSimulator()
    url = sim.listen_pty()
    sim.insert("rare_name")
    try:
        out = run_cli("diag", "idcard", "--port", url, "--timeout", "2")
        assert out.returncode == 0, out.stderr
        record = json.loads(out.stdout)
        assert list(record)[:10] == ["card_type", "name", "gender", "nation", "birth_date", "address",
                                     "id_number", "issuer", "valid_from", "valid_to"]
        assert record["name"] == "王䶮" and record["nation"] == "壮"
        sim.remove()
        out = run_cli("diag", "idcard", "--port", url, "--timeout", "0.5")
        assert out.returncode == 2 and "no card" in out.stderr
        sim.set_fault("silent")
        out = run_cli("diag", "idcard", "--port", url, "--timeout", "0.5")
        assert out.returncode == 3 and "no complete reply" in out.stderr
    finally:
        sim.close()
    out = run_cli("diag", "idcard", "--port", "/dev/nonexistent-reader")
    assert out.returncode == 5 and "cannot open" in out.stderr


def test_diag_printer_and_scan(tmp_path):
    preview = tmp_path / "ticket.png"
    out = run_cli("diag", "printer", "--port", "sim", "--sample", "ticket", "--preview", str(preview))
    assert out.returncode == 0, out.stderr
    assert preview.stat().st_size > 1000
    out = run_cli("diag", "scan", "--image", str(preview))
    assert out.returncode == 0 and out.stdout.strip() == "https://hall.example.gov.cn/t/Xy7Kq2Lm"
    blank = tmp_path / "blank.png"
    qrcode.make("x").resize((10, 10)).save(blank)
    assert run_cli("diag", "scan", "--image", str(blank)).returncode == 1
    assert run_cli("diag", "ports").returncode == 0


def test_diag_simulate_prints_where_it_listens():
    proc = subprocess.Popen([sys.executable, "main.py", "diag", "simulate", "idcard", "--tcp", "0"], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = proc.stdout.readline()
        assert "listening on socket://127.0.0.1:" in line
        url = line.split("listening on ")[1].strip()
        out = run_cli("diag", "idcard", "--port", url)
        assert out.returncode == 0 and json.loads(out.stdout)["name"] == "张三"
    finally:
        proc.terminate()
        proc.wait(timeout=10)
