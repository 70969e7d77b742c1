"""Every configuration a person is shown loads with the real loader and starts its role: the
templates in packaging/etc/ and every ```toml block of README.md and docs/**/*.md (the Chinese
operator guides in docs/zh/ too, blocks indented under a list item included). Each Qt role runs
as a real ``main.py <role> --config FILE --data-dir TMP --screenshot out.png --quit-after 3``
subprocess, offscreen; a hall.toml fragment is added to the sample hall and a real ``main.py
hall-server`` must answer its health check. Device paths that do not exist here are left as
they are: a kiosk with missing devices must stay up and show its home screen."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import time
import tomllib
from pathlib import Path

import pytest
import requests

from kiosk.config import load_config, load_layers

REPO = Path(__file__).resolve().parents[2]
TEMPLATES = {"kiosk.toml": ["kiosk"], "counter.toml": ["counter", "--counter", "W01"], "display.toml": ["display"]}
# a ```toml fence, at the margin or indented under a list item (its closing fence indented alike)
_BLOCK = re.compile(r"^([ \t]*)```toml\n(.*?)^\1```", re.S | re.M)


def _examples() -> list[tuple[str, str]]:
    found = []
    for doc in [REPO / "README.md", *sorted((REPO / "docs").rglob("*.md"))]:
        text = doc.read_text(encoding="utf-8")
        for n, match in enumerate(_BLOCK.finditer(text)):
            indent = match.group(1)
            body = "".join(line.removeprefix(indent) for line in match.group(2).splitlines(keepends=True))
            found.append((f"{doc.relative_to(REPO)}#{n}", body))
    return found


# a hall.toml fragment (the hall service's tables) rather than a kiosk.toml example
_HALL_TABLES = re.compile(r"^\[\[?(sms|hall|policy|rating|services|counters|zones)\]\]?$", re.M)
EXAMPLES = [(n, t) for n, t in _examples() if not _HALL_TABLES.search(t)]
HALL_EXAMPLES = [(n, t) for n, t in _examples() if _HALL_TABLES.search(t)]


def test_the_docs_have_toml_examples() -> None:
    assert {name.split("#")[0] for name, _ in EXAMPLES} >= {"README.md", "docs/deploy.md", "docs/zh/technician.md"}
    assert {name.split("#")[0] for name, _ in HALL_EXAMPLES} >= {"README.md", "docs/zh/technician.md"}


def _start(role: list[str], config: Path, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    shot = tmp_path / "out.png"
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "QT_QUICK_BACKEND": "software"}
    env.pop("HALL_KIOSK_CONFIG", None)
    out = subprocess.run([sys.executable, str(REPO / "main.py"), *role, "--config", str(config), "--data-dir",
                          str(tmp_path / "data"), "--screenshot", str(shot), "--quit-after", "3"],
                         capture_output=True, text=True, timeout=180, env=env, cwd=tmp_path, check=False)
    assert out.returncode == 0, out.stderr[-3000:]
    assert shot.stat().st_size > 10_000, "no screenshot of the window"
    return out


@pytest.mark.parametrize("name", sorted(TEMPLATES))
def test_template_loads_and_its_role_starts(tmp_path: Path, name: str) -> None:
    template = REPO / "packaging" / "etc" / name
    config = load_config(template, data_dir=str(tmp_path / "data"))
    assert config.data_dir == str(tmp_path / "data")
    _start(TEMPLATES[name], template, tmp_path)


def _without_missing_files(text: str) -> str:
    """A CA bundle that is not on this machine is blanked (a missing one has its own test below:
    test_a_missing_ca_bundle_does_not_stop_the_kiosk); devices stay."""
    return re.sub(r'^(ca_bundle|client_cert|client_key) = "(/[^"]+)"',
                  lambda m: m.group(0) if Path(m.group(2)).exists() else f'{m.group(1)} = ""', text, flags=re.M)


@pytest.mark.parametrize(("name", "text"), EXAMPLES, ids=[name for name, _ in EXAMPLES])
def test_docs_example_loads_and_the_kiosk_starts(tmp_path: Path, name: str, text: str) -> None:
    tomllib.loads(text)  # valid TOML as printed
    example = tmp_path / "example.toml"
    example.write_text(_without_missing_files(text), encoding="utf-8")
    load_config(example, data_dir=str(tmp_path / "data"))
    # as a drop-in over the kiosk template too (docs/deploy.md shows one)
    if "data_dir" not in text and "version" not in text:
        drop_ins = tmp_path / "data" / "kiosk.d"
        drop_ins.mkdir(parents=True)
        (drop_ins / "10-example.toml").write_text(text, encoding="utf-8")
        base, merged, layers = load_layers(REPO / "packaging" / "etc" / "kiosk.toml", data_dir=str(tmp_path / "data"))
        assert layers and merged != base
    _start(["kiosk"], example, tmp_path)


def test_a_missing_ca_bundle_does_not_stop_the_kiosk(tmp_path: Path) -> None:
    """A configured CA bundle that is not there: the kiosk starts offline-capable, the log tells
    staff what to fix, the technician's `cache status` shows the alert, and a submission stored
    before (the citizen's application from the last run) is still there, unsent."""
    import json

    from offline_cache.store import OfflineCache

    example = tmp_path / "kiosk.toml"
    example.write_text('version = 1\n[platform]\nurl = "https://platform.invalid/kiosk"\n'
                       'ca_bundle = "/nonexistent/platform-ca.pem"\n', encoding="utf-8")
    kiosk_dir = tmp_path / "data" / "kiosk"
    earlier = OfflineCache(kiosk_dir / "offline-cache.db")
    record = earlier.enqueue("application", {"service_id": "S0101", "name": "张三"}, personal_fields={"name"})
    earlier.close()
    out = _start(["kiosk"], example, tmp_path)
    assert "TLS configuration" in out.stderr and "/nonexistent/platform-ca.pem" in out.stderr
    assert "ALERT platform_tls_config" in out.stderr
    status = subprocess.run([sys.executable, str(REPO / "main.py"), "cache", "--data-dir", str(kiosk_dir),
                             "--json", "status"], capture_output=True, text=True, timeout=60, check=True)
    info = json.loads(status.stdout)
    assert [a["code"] for a in info["alerts"]].count("platform_tls_config") == 1
    # the application kept from the last run, and the day's audit_head the kiosk enqueued at start
    assert info["counts"]["pending"] == 2 and "TLS configuration" in (info["last_error"] or "")
    kept = OfflineCache(kiosk_dir / "offline-cache.db")
    assert kept.get(record) is not None and kept.get(record).state == "pending"
    kept.close()


@pytest.mark.parametrize(("name", "text"), HALL_EXAMPLES, ids=[name for name, _ in HALL_EXAMPLES])
def test_docs_hall_example_loads(tmp_path: Path, name: str, text: str) -> None:
    """A hall.toml fragment in the docs, added to the sample hall, loads as the hall service reads it."""
    from queueing.hallconfig import load_hall, load_sms

    load_hall(tmp_path)  # writes the sample hall.toml
    hall_toml = tmp_path / "hall.toml"
    hall_toml.write_text(hall_toml.read_text(encoding="utf-8") + "\n" + text, encoding="utf-8")
    load_hall(tmp_path)
    if load_sms(tmp_path).enabled:   # as the guide says: the gateway's secret goes to credentials.json
        (tmp_path / "credentials.json").write_text(json.dumps({"sms_secret": "gateway-secret"}), encoding="utf-8")
    _serve_hall(tmp_path)


def _serve_hall(data_dir: Path) -> None:
    """``main.py hall-server`` on a free loopback port over ``data_dir``: it must answer
    /api/v1/health, then it is stopped."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    log = data_dir / "hall-server.log"
    with log.open("wb") as out:
        proc = subprocess.Popen([sys.executable, str(REPO / "main.py"), "hall-server", "--host", "127.0.0.1",
                                 "--port", str(port), "--data-dir", str(data_dir)], cwd=data_dir, stdout=out,
                                stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                assert proc.poll() is None, log.read_text("utf-8", "replace")[-3000:]
                try:
                    if requests.get(f"http://127.0.0.1:{port}/api/v1/health", timeout=1).ok:
                        return
                except requests.RequestException:
                    time.sleep(0.2)
            raise AssertionError("hall-server did not answer: " + log.read_text("utf-8", "replace")[-3000:])
        finally:
            proc.terminate()
            proc.wait(timeout=30)
