"""Fleet updates end to end: a real hall-server process serves a signed release; three kiosks
(each its own releases dir, driven by ``python -m kiosk.updates`` as their systemd unit runs it)
fetch it over HTTP. One kiosk gets a broken release and rolls back by itself; a bad signature,
a truncated bundle and a full disk are refused and lose nothing."""

from __future__ import annotations

import base64
import json
import subprocess
import sys
from pathlib import Path

import pytest
from hall_process import HallProcess
from queue_helpers import ROOT

from common.releases import SIGNATURE, make_keys, pack

NIGHT = "2026-12-03T02:30:00"


def release(tmp: Path, version: str, *, broken: bool = False) -> Path:
    """A release folder whose program reaches home (runs ``kiosk.updates home``) unless broken."""
    folder = tmp / f"src-{version}"
    folder.mkdir()
    body = "raise SystemExit(3)\n" if broken else (
        "import subprocess, sys\n"
        "subprocess.run([sys.executable, '-m', 'kiosk.updates', 'home', '--releases', sys.argv[1]], check=True)\n")
    (folder / "start.py").write_text(body, "utf-8")
    (folder / "VERSION").write_text(version, "utf-8")
    return folder


def kiosk(action: str, releases: Path, *extra: str) -> str:
    out = subprocess.run([sys.executable, "-m", "kiosk.updates", action, "--releases", str(releases), *extra],
                         cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    return out.stdout.strip() + "\n" + out.stderr


def start_kiosk(releases: Path) -> int:
    """One start as systemd does it: ExecStartPre ``boot``, then the current release's program."""
    version = kiosk("boot", releases).split("\n", 1)[0]
    return subprocess.run([sys.executable, str(releases / version / "start.py"), str(releases)],
                          cwd=ROOT, timeout=60).returncode


def publish(hall_releases: Path, src: Path, version: str, key: Path) -> None:
    pack(src, version, hall_releases, key.read_bytes())
    (hall_releases / "latest").write_text(version, "utf-8")


@pytest.mark.slow
def test_three_kiosks_update_and_one_rolls_back(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    make_keys(tmp_path / "keys/release.key", tmp_path / "keys/release.pub")
    key = tmp_path / "keys/release.key"
    hall_rel = tmp_path / "hall-releases"
    monkeypatch.setenv("HALL_RELEASES_DIR", str(hall_rel))
    publish(hall_rel, release(tmp_path, "1.0.0"), "1.0.0", key)
    with HallProcess(tmp_path / "hall") as hall:
        token = tmp_path / "kiosk.token"
        token.write_text(hall.token("kiosk"), "utf-8")
        check = ["--hall-url", hall.base_url, "--token-file", str(token),
                 "--public-key", str(tmp_path / "keys/release.pub")]
        kiosks = [tmp_path / f"kiosk{i}" / "releases" for i in range(3)]
        # by day nothing happens; at night every kiosk takes 1.0.0
        assert kiosk("check", kiosks[0], *check, "--now", "2026-12-03T10:00:00").split("\n")[0] == ""
        for k in kiosks:
            assert kiosk("check", k, *check, "--now", NIGHT).split("\n")[0] == "1.0.0"
            assert start_kiosk(k) == 0
        # 1.1.0 rolls out to kiosks 0 and 1; kiosk 2 is handed a broken 1.1.0 by its own hall dir
        publish(hall_rel, release(tmp_path, "1.1.0"), "1.1.0", key)
        for k in kiosks[:2]:
            assert kiosk("check", k, *check, "--now", NIGHT).split("\n")[0] == "1.1.0"
            assert start_kiosk(k) == 0
            assert (k / "current").readlink().name == "1.1.0" and not (k / "pending").exists()
        broken_src = release(tmp_path, "1.1.0b", broken=True)
        pack(broken_src, "1.2.0", hall_rel, key.read_bytes())
        (hall_rel / "latest").write_text("1.2.0", "utf-8")
        k = kiosks[2]
        assert kiosk("check", k, *check, "--now", NIGHT).split("\n")[0] == "1.2.0"
        assert start_kiosk(k) != 0  # the broken release never reaches home
        assert start_kiosk(k) != 0
        assert start_kiosk(k) == 0  # third start: the boot check went back to 1.0.0
        assert (k / "current").readlink().name == "1.0.0"
        assert "rolled back from 1.2.0" in (k / "status.json").read_text("utf-8")

        # a bad signature is refused, the running release untouched
        sig = hall_rel / "1.2.0" / SIGNATURE
        raw = bytearray(base64.b64decode(sig.read_bytes()))
        raw[0] ^= 1
        sig.write_bytes(base64.b64encode(bytes(raw)))
        out = kiosk("check", kiosks[0], *check, "--now", NIGHT)
        assert out.split("\n")[0] == "" and "bad release signature" in out
        assert (kiosks[0] / "current").readlink().name == "1.1.0"
        assert json.loads((kiosks[0] / "status.json").read_text("utf-8"))["problem"] == "bad_signature"

        # a truncated bundle is refused
        pack(release(tmp_path, "1.3.0"), "1.3.0", hall_rel, key.read_bytes())
        (hall_rel / "latest").write_text("1.3.0", "utf-8")
        bundle = next((hall_rel / "1.3.0").glob("release-*.tar.gz"))
        bundle.write_bytes(bundle.read_bytes()[:-10])
        out = kiosk("check", kiosks[1], *check, "--now", NIGHT)
        assert out.split("\n")[0] == "" and "truncated" in out
        assert (kiosks[1] / "current").readlink().name == "1.1.0" and not (kiosks[1] / "1.3.0").exists()
        assert not list(kiosks[1].glob(".staging-*"))


def test_publish_cli_and_full_disk_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The release builder's CLI makes the keys and publishes; a signed release larger than the
    kiosk's free disk is refused before a byte is written."""
    keys = tmp_path / "keys"
    hall_rel = tmp_path / "hall-releases"
    run = [sys.executable, "-m", "common.releases"]
    subprocess.run([*run, "keys", "--private", str(keys / "r.key"), "--public", str(keys / "r.pub")],
                   cwd=ROOT, check=True, timeout=60)
    assert (keys / "r.key").stat().st_mode & 0o077 == 0
    # a folder the launcher could not start (neither a one-folder build nor a venv release) is refused
    src = release(tmp_path, "2.0.0")
    publish = [*run, "publish", str(src), "--version", "2.0.0", "--key", str(keys / "r.key"),
               "--releases", str(hall_rel)]
    refused = subprocess.run(publish, cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert refused.returncode == 2 and "no release a kiosk can start" in refused.stderr
    assert not hall_rel.exists()
    (src / "hall-kiosk").write_text("#!/bin/sh\nexit 0\n", "utf-8")  # what a one-folder build has at its top
    (src / "hall-kiosk").chmod(0o755)
    subprocess.run(publish, cwd=ROOT, check=True, timeout=60)
    # a signed manifest claiming a petabyte: the disk check refuses it
    from cryptography.hazmat.primitives import serialization

    from common.releases import MANIFEST, Manifest
    signer = serialization.load_pem_private_key((keys / "r.key").read_bytes(), password=None)
    huge = Manifest("2.0.0", "release-2.0.0.tar.gz", 10**15, "0" * 64).to_bytes()
    (hall_rel / "2.0.0" / MANIFEST).write_bytes(huge)
    (hall_rel / "2.0.0" / SIGNATURE).write_bytes(base64.b64encode(signer.sign(huge)))  # type: ignore[union-attr,call-arg]
    monkeypatch.setenv("HALL_RELEASES_DIR", str(hall_rel))
    with HallProcess(tmp_path / "hall") as hall:
        token = tmp_path / "kiosk.token"
        token.write_text(hall.token("kiosk"), "utf-8")
        k = tmp_path / "kiosk" / "releases"
        out = kiosk("check", k, "--hall-url", hall.base_url, "--token-file", str(token),
                    "--public-key", str(keys / "r.pub"), "--now", NIGHT)
        assert out.split("\n")[0] == "" and "disk full" in out
        assert not (k / "2.0.0").exists() and not (k / "current").exists()
