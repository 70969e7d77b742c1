"""Session wipe and idle phases, the audit hash chain, the technician PIN lockout."""

from pathlib import Path

import pytest

from kiosk.audit import AuditError, AuditLog
from kiosk.pin import PinGuard, hash_pin
from kiosk.session import IdlePhase, IdlePolicy, IdleWatch, Session


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_idle_watch_counts_down_then_expires() -> None:
    clock = Clock()
    watch = IdleWatch(IdlePolicy(idle_seconds=60, form_idle_seconds=45, elder_idle_seconds=120,
                                 countdown_seconds=15), clock)
    assert watch.phase() == (IdlePhase.ACTIVE, 0)
    clock.now += 50
    assert watch.phase() == (IdlePhase.COUNTDOWN, 10)
    assert watch.phase(elder=True) == (IdlePhase.ACTIVE, 0)
    assert watch.phase(in_form=True)[0] is IdlePhase.EXPIRED
    watch.touch()
    assert watch.phase() == (IdlePhase.ACTIVE, 0)
    clock.now += 121
    assert watch.phase(elder=True)[0] is IdlePhase.EXPIRED


def test_wipe_removes_files_and_fields(tmp_path: Path) -> None:
    session = Session(tmp_path / "sessions")
    photo = session.keep_file("page.jpg", b"\xff\xd8 photo of a document")
    session.photos["material-1"] = photo
    session.values["phone"] = "13800138000"
    session.card = object()
    assert photo.exists() and oct(photo.stat().st_mode & 0o777) == "0o600"
    assert session.wipe() == 1
    assert not photo.exists() and not photo.parent.exists()
    assert session.is_empty()
    assert list((tmp_path / "sessions").iterdir()) == []


def test_audit_chain_detects_changes(tmp_path: Path) -> None:
    log = AuditLog(tmp_path / "audit.jsonl")
    log.record("tech-1", "config.saved", keys=["devices.printer.paper_mm"])
    log.record("tech-1", "dead_letter.discarded", record="abc")
    assert log.verify() == 2
    again = AuditLog(tmp_path / "audit.jsonl")
    assert again.head() == log.head()
    again.record("tech-2", "sync.now")
    assert again.verify() == 3
    lines = (tmp_path / "audit.jsonl").read_text().splitlines()
    lines[1] = lines[1].replace("abc", "xyz")
    (tmp_path / "audit.jsonl").write_text("\n".join(lines) + "\n")
    with pytest.raises(AuditError, match="line 2"):
        again.verify()


def test_pin_lockout_survives_restart(tmp_path: Path) -> None:
    now = [1000.0]
    audit = AuditLog(tmp_path / "audit.jsonl")
    stored = hash_pin("246810")
    guard = PinGuard(stored, tmp_path / "pin.json", audit, max_attempts=3, lockout_seconds=300,
                     clock=lambda: now[0])
    assert guard.check("000000").attempts_left == 2
    assert guard.check("111111").attempts_left == 1
    assert guard.check("222222").locked_seconds == 300
    restarted = PinGuard(stored, tmp_path / "pin.json", audit, max_attempts=3, lockout_seconds=300,
                         clock=lambda: now[0])
    assert not restarted.check("246810").ok  # right PIN, but locked
    now[0] += 301
    assert restarted.check("246810").ok
    actions = [e["action"] for e in audit.entries()]
    assert actions == ["pin.failed", "pin.failed", "pin.locked", "pin.refused_locked", "pin.ok"]
    assert "246810" not in (tmp_path / "audit.jsonl").read_text()
    assert audit.verify() == 5
