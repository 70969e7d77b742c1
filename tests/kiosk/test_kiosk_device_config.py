"""A kiosk configured with devices that are not there, as a deployment writes kiosk.toml: it must
start, show its home screen and explain the missing devices (issue 12, defects 1 and 2)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from kiosk.assembly import assemble_kiosk
from kiosk.config import load_config

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = ROOT / "packaging" / "etc" / "kiosk.toml"


def deployed_config(tmp_path: Path, devices: str) -> Path:
    """packaging/etc/kiosk.toml with data_dir in tmp and the [devices] tables replaced."""
    text = TEMPLATE.read_text(encoding="utf-8")
    head = text[:text.index("[devices.idcard]")]
    tail = text[text.index("[technician]"):]
    head = head.replace('data_dir = "/var/lib/hall-kiosk/kiosk"', f'data_dir = "{tmp_path / "data"}"')
    path = tmp_path / "kiosk.toml"
    path.write_text(head + devices + "\n" + tail, encoding="utf-8")
    return path


def run_kiosk(config: Path, screenshot: Path, quit_after: float = 6.0) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", QT_QUICK_BACKEND="software")
    return subprocess.run([sys.executable, str(ROOT / "main.py"), "kiosk", "--config", str(config),
                           "--screenshot", str(screenshot), "--quit-after", str(quit_after)],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)


def test_documented_evdev_scanner_config_starts_the_kiosk(tmp_path: Path) -> None:
    config = deployed_config(tmp_path, '[devices.scanner]\nkind = "evdev"\nport = "/dev/kiosk-scanner"\n')
    shot = tmp_path / "home.png"
    result = run_kiosk(config, shot)
    assert result.returncode == 0, result.stderr[-2000:]
    assert shot.exists() and shot.stat().st_size > 0


def test_configured_camera_is_the_one_that_photographs(tmp_path: Path, qapp: object) -> None:
    """A kiosk whose [devices.camera] names a camera that is not plugged in must not hand the
    citizen a simulated page as their material: the citizen at the materials step is told the
    camera is missing (and how to go on), and no photograph of a drawn page is offered."""
    from common.i18n import translate
    from tests.acceptance.person import Person

    config = deployed_config(tmp_path, '[devices.camera]\ndevice = "/dev/kiosk-camera-absent"\n')
    person = Person(tmp_path / "data", config=config)
    try:
        assert "camera" not in person.sims          # no simulated camera stands in
        person.tap("自助申报")
        person.tap("住房公积金提取")
        person.wait_for("请将身份证放在读卡区")
        person.place_card("zhang_san")
        person.wait_for("联系电话")
        person.tap("租房")
        person.tap("field_phone")
        person.type("13800138000")
        person.press_key("\n")
        person.type("3000")
        person.press_key("\n")
        person.tap("下一步")
        person.wait_for("稍后补交")
        person.wait_for("高拍仪未连接")               # the step explains itself
        # no 拍照 button that would photograph a drawn page
        assert str(translate("zh_CN", "submit.capture")) not in person.texts(), person.texts()
        assert not person.sees(str(translate("zh_CN", "submit.use"))), person.texts()
        assert not person.sees(str(translate("zh_CN", "submit.material.photo"))), person.texts()
    finally:
        person.leave()


ABSENT = {
    "idcard": '[devices.idcard]\nport = "/dev/kiosk-idcard-absent"\n',
    "printer": '[devices.printer]\nconnection = "serial:/dev/kiosk-printer-absent"\n',
    "camera": '[devices.camera]\ndevice = "/dev/kiosk-camera-absent"\n',
    # a CUPS nobody runs (the discard port on loopback refuses)
    "a4_printer": '[devices.a4_printer]\nconnection = "ipp://127.0.0.1:9/printers/absent"\ntimeout_s = 2\n',
    "keypad": '[devices.keypad]\ndevice = "/dev/kiosk-keypad-absent"\n',
}
SCANNERS = {
    "serial": '[devices.scanner]\nkind = "serial"\nport = "/dev/kiosk-scanner-absent"\n',
    "evdev": '[devices.scanner]\nkind = "evdev"\nport = "/dev/kiosk-scanner-absent"\n',
    "camera": '[devices.scanner]\nkind = "camera"\ncamera_index = 57\n',
    "sim": '[devices.scanner]\nkind = "sim"\n',
    "none": '[devices.scanner]\nkind = "none"\n',
}
CASES = [(kind, SCANNERS[kind]) for kind in SCANNERS] + [
    ("every-device-missing", "".join(ABSENT.values()) + SCANNERS["serial"])]


@pytest.mark.slow
@pytest.mark.parametrize(("name", "devices"), CASES, ids=[c[0] for c in CASES])
def test_kiosk_stays_up_with_each_scanner_kind(tmp_path: Path, name: str, devices: str) -> None:
    """The real ``main.py kiosk`` process from the packaged template: it runs to --quit-after and
    renders its home screen, whatever scanner is configured and whether the devices are there."""
    shot = tmp_path / "home.png"
    result = run_kiosk(deployed_config(tmp_path, devices), shot, quit_after=5)
    assert result.returncode == 0, result.stderr[-2000:]
    assert shot.exists() and shot.stat().st_size > 10_000   # a rendered page, not an empty image
    # what the kiosk pages to the hall's alerts (kiosk/device_trouble.py), one line per bad device
    troubled = set(re.findall(r"device trouble device=(\w+) state=disconnected", result.stderr))
    missing = set(ABSENT) | {"scanner"} if name == "every-device-missing" else \
        {"scanner"} if name in ("serial", "evdev", "camera") else set()
    assert missing <= troubled, (missing - troubled, result.stderr[-3000:])
    if name in ("sim", "none"):   # a simulated scanner is there; "none" is not configured: no trouble
        assert "scanner" not in troubled, result.stderr[-3000:]


def test_missing_devices_reach_the_technician_and_the_hall(tmp_path: Path) -> None:
    """Same template, every device absent, through the real assembly: the technician panel's rows
    say disconnected with a reason and the hall service holds an alert for each device."""
    import time

    config = load_config(deployed_config(tmp_path, "".join(ABSENT.values()) + SCANNERS["evdev"]))
    assembly = assemble_kiosk(config)
    try:
        from queueing.client import HallClient

        staff = HallClient(assembly.hall.url, assembly.hall.tokens["counter"])   # a supervisor's view
        kinds = {"idcard", "printer", "scanner", "camera", "a4_printer", "keypad"}
        deadline = time.monotonic() + 30
        alerts: list[dict] = []
        while time.monotonic() < deadline:
            alerts = staff.alerts()
            if kinds <= {a["kind"] for a in alerts}:
                break
            time.sleep(0.2)
        assert kinds <= {a["kind"] for a in alerts}, alerts
        rows = {r["kind"]: r for r in assembly.technician.device_rows()}
        assert set(rows) == kinds
        for kind in kinds:
            assert rows[kind]["state"] == "disconnected" and rows[kind]["reason"], rows[kind]
            assert rows[kind]["sim"] == ""
        assert assembly.runtime.call(lambda core: core.view())["flow"] == "home"
    finally:
        assembly.stop()
