"""The audit log under faults: a torn last line, two writer processes, a broken chain at start,
and the chain head reaching the platform as an ``audit_head`` record.

Every case acts from outside: bytes written into the real file, real processes appending, a real
kiosk started by :func:`assemble_kiosk` against the reference platform and hall service on
loopback; what is checked is the file, the hall's alerts and the platform's stored records."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

from kiosk.assembly import assemble_kiosk
from kiosk.audit import AuditLog
from queueing.client import HallClient
from tests.kiosk.conftest import make_config

ROOT = Path(__file__).resolve().parents[2]


def _audit_path(tmp_path: Path) -> Path:
    return tmp_path / "data" / "kiosk" / "audit.jsonl"


def _hall_alerts(assembly: object) -> list[dict[str, object]]:
    hall = assembly.hall  # type: ignore[attr-defined]
    return HallClient(hall.url, hall.tokens["admin"]).alerts()


def _wait(predicate: object, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():  # type: ignore[operator]
            return
        time.sleep(0.1)
    raise AssertionError("timed out")


def test_torn_last_line_is_cut_off_and_alerted(tmp_path: Path) -> None:
    path = _audit_path(tmp_path)
    log = AuditLog(path)
    log.record("tech-1", "config.saved")
    log.record("tech-1", "sync.now")
    with open(path, "ab") as fh:  # a power cut in the middle of the third line
        fh.write(b'{"action":"pin.ok","actor":"tech')
    assembly = assemble_kiosk(make_config(tmp_path), start_devices=False)
    try:
        assert assembly.audit is not None
        assert assembly.audit.verify() >= 2
        assert path.read_bytes().endswith(b"\n")
        torn = list(path.parent.glob("audit.jsonl.torn-*"))
        assert [p.read_bytes() for p in torn] == [b'{"action":"pin.ok","actor":"tech']
        _wait(lambda: any(a["kind"] == "audit" for a in _hall_alerts(assembly)))
        assembly.audit.record("tech-2", "sync.now")
        assert AuditLog(path).verify() == len(AuditLog(path).entries())
    finally:
        assembly.stop()


def test_broken_chain_at_start_is_an_alert_not_a_crash(tmp_path: Path) -> None:
    path = _audit_path(tmp_path)
    log = AuditLog(path)
    log.record("tech-1", "dead_letter.discarded", record="abc")
    log.record("tech-1", "sync.now")
    path.write_text(path.read_text().replace("abc", "xyz"))
    assembly = assemble_kiosk(make_config(tmp_path), start_devices=False)
    try:
        _wait(lambda: any(a["kind"] == "audit" and "line 1" in str(a["message"])
                          for a in _hall_alerts(assembly)))
    finally:
        assembly.stop()


WRITER = """
import sys
from kiosk.audit import AuditLog
log = AuditLog(sys.argv[1])
for i in range(int(sys.argv[3])):
    log.record(sys.argv[2], "test.append", n=i)
"""


def test_two_writer_processes_keep_one_chain(tmp_path: Path) -> None:
    path = tmp_path / "audit.jsonl"
    AuditLog(path).record("setup", "start")
    procs = [subprocess.Popen([sys.executable, "-c", WRITER, str(path), who, "150"], cwd=ROOT)
             for who in ("kiosk", "technician")]
    for proc in procs:
        assert proc.wait(60) == 0
    log = AuditLog(path)
    assert log.verify() == 301
    seqs = [e["seq"] for e in log.entries()]
    assert seqs == list(range(1, 302))
    assert {e["actor"] for e in log.entries()} == {"setup", "kiosk", "technician"}


def test_chain_head_reaches_the_platform(tmp_path: Path) -> None:
    path = _audit_path(tmp_path)
    log = AuditLog(path)
    log.record("tech-1", "config.saved")
    assembly = assemble_kiosk(make_config(tmp_path), start_devices=False)
    try:
        running = assembly.platform.running
        assert running is not None

        def heads() -> list[dict[str, object]]:
            return [r for r in running.admin().records(assembly.config.kiosk.id) if r["kind"] == "audit_head"]

        _wait(lambda: bool(heads()), timeout=30)
        record = running.admin().record(str(heads()[0]["id"]))
        payload = record["payload"]
        assert payload["seq"] >= 1 and len(payload["hash"]) == 64
        entries = AuditLog(path).entries()
        assert any(e["seq"] == payload["seq"] and e["hash"] == payload["hash"] for e in entries)
        assert payload["verified"] is True
        assert json.dumps(payload, ensure_ascii=False).count("tech-1") == 0  # head only, no entries
    finally:
        assembly.stop()


def test_flipped_bytes_in_the_log_are_an_alert(tmp_path: Path) -> None:
    path = _audit_path(tmp_path)
    log = AuditLog(path)
    for n in range(3):
        log.record("tech-1", "sync.now", n=n)
    data = bytearray(path.read_bytes())
    data[10:14] = b"\xff\xfe\x00\xc3"  # not UTF-8, not JSON
    path.write_bytes(bytes(data))
    assembly = assemble_kiosk(make_config(tmp_path), start_devices=False)
    try:
        assert assembly.audit is not None
        _wait(lambda: any(a["kind"] == "audit" and "line 1" in str(a["message"]) for a in _hall_alerts(assembly)))
        assert [e["details"].get("n") for e in assembly.audit.entries()][:2] == [1, 2]
    finally:
        assembly.stop()
