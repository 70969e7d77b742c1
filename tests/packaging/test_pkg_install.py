"""packaging/install.sh in a throwaway root: every role installs, the second run changes
nothing (same files, modes, owners and modification times), and the layout is the documented one."""

from __future__ import annotations

import stat
import subprocess
from pathlib import Path

from tests.packaging.conftest import ROLES


def test_second_run_changes_nothing(installed_root) -> None:
    for role in ROLES:
        out = installed_root.second[role]
        assert out.returncode == 0, out.stdout + out.stderr
        assert out.stdout.strip().endswith(": 0 changes"), out.stdout
        assert "changed:" not in out.stdout, out.stdout
    assert installed_root.after_second == installed_root.after_first


def test_first_run_built_the_release_and_wrote_the_layout(installed_root) -> None:
    root = installed_root.path
    assert "changed: release " in installed_root.first["kiosk"].stdout
    # The shipped kiosk.toml has no PIN: the installer says how to set one, every run, as a reminder.
    for role in ("kiosk", "display"):
        assert f"no technician PIN yet: sudo hall-kiosk set-pin --config /etc/hall-kiosk/{role}.toml" \
            in installed_root.second[role].stdout
    current = (root / "opt/hall-kiosk/current").resolve()
    assert (current / ".complete").is_file() and (current / "venv/bin/python").exists()
    passwd = (root / "etc/passwd").read_text(encoding="utf-8")
    kiosk = next(line.split(":") for line in passwd.splitlines() if line.startswith("kiosk:"))
    uid, home, shell = int(kiosk[2]), kiosk[5], kiosk[6]
    assert uid < 1000 and home == "/var/lib/hall-kiosk/home" and shell == "/usr/sbin/nologin"
    group_lines = (root / "etc/group").read_text(encoding="utf-8").splitlines()
    for group in ("dialout", "input", "video", "audio"):
        line = next(g for g in group_lines if g.startswith(f"{group}:"))
        assert "kiosk" in line.split(":")[3].split(","), group
    for role, data in (("kiosk", "kiosk"), ("display", "display"), ("hall-server", "hall")):
        st = (root / "var/lib/hall-kiosk" / data).stat()
        assert st.st_uid == uid and stat.S_IMODE(st.st_mode) == 0o750, role
        assert (root / f"etc/systemd/system/hall-kiosk-{role}.service").is_file()
    conf = (root / "etc/hall-kiosk/kiosk.toml").stat()
    assert stat.S_IMODE(conf.st_mode) == 0o640 and conf.st_uid == 0  # tokens: not world-readable
    wants = root / "etc/systemd/system/graphical.target.wants/hall-kiosk-kiosk.service"
    assert wants.is_symlink()
    assert (root / "etc/systemd/system/multi-user.target.wants/hall-kiosk-hall-server.service").is_symlink()
    assert str((root / "etc/systemd/system/ctrl-alt-del.target").readlink()) == "/dev/null"
    assert (root / "etc/udev/rules.d/70-hall-kiosk.rules").is_file()


def test_installed_command_runs_and_reads_the_installed_config(installed_root) -> None:
    root = installed_root.path
    version = subprocess.run([str(root / "opt/hall-kiosk/bin/hall-kiosk"), "--version"], capture_output=True,
                             text=True, timeout=60, check=True)
    assert version.stdout.startswith("hall-kiosk ")
    # The shipped templates are valid configurations for the application's own loader.
    py = root / "opt/hall-kiosk/current/venv/bin/python"
    for name in ("kiosk", "display", "counter"):
        check = subprocess.run([str(py), "-P", "-c", "import sys; from kiosk.config import load_config; "
                                "print(load_config(sys.argv[1]).data_dir)", str(root / f"etc/hall-kiosk/{name}.toml")],
                               capture_output=True, text=True, timeout=60, check=False)
        assert check.returncode == 0, check.stderr
        assert check.stdout.strip() == f"/var/lib/hall-kiosk/{name}"


def test_edited_configuration_survives_a_reinstall(installed_root, tmp_path) -> None:
    from tests.packaging.conftest import run_install

    conf = installed_root.path / "etc/hall-kiosk/counter.toml"
    original = conf.read_text(encoding="utf-8")
    conf.write_text(original + "# edited by the technician\n", encoding="utf-8")
    try:
        out = run_install("counter", installed_root.path)
        assert out.returncode == 0 and out.stdout.strip().endswith(": 0 changes"), out.stdout + out.stderr
        assert conf.read_text(encoding="utf-8").endswith("# edited by the technician\n")
    finally:
        conf.write_text(original, encoding="utf-8")


def test_hall_server_gets_a_hall_ca_and_a_server_certificate(installed_root) -> None:
    """Issue 14: the installer makes the hall's TLS files; the unit serves them; clients' CA path."""
    root = installed_root.path
    tls = root / "var/lib/hall-kiosk/hall/tls"
    passwd = (root / "etc/passwd").read_text(encoding="utf-8")
    uid = int(next(line.split(":") for line in passwd.splitlines() if line.startswith("kiosk:"))[2])
    for name, owner in (("server.key", uid), ("ca.key", 0)):
        st = (tls / name).stat()
        assert (stat.S_IMODE(st.st_mode), st.st_uid) == (0o600, owner), name
    assert (root / "etc/hall-kiosk/hall-ca.pem").read_bytes() == (tls / "ca.pem").read_bytes()
    unit = (root / "etc/systemd/system/hall-kiosk-hall-server.service").read_text(encoding="utf-8")
    assert "--tls-cert /var/lib/hall-kiosk/hall/tls/server.pem" in unit and "LimitNOFILE=65536" in unit
    assert "changed: hall CA" in installed_root.first["hall-server"].stdout


def test_release_layout_is_the_one_the_updater_keeps(installed_root) -> None:
    """docs/updates.md: install.sh and kiosk/updates.py share one layout — current and previous
    symlinks beside the releases in /opt/hall-kiosk/releases; /opt/hall-kiosk/current follows it."""
    from kiosk.updates import Releases
    from tests.packaging.conftest import REPO

    root = installed_root.path
    rels = root / "opt/hall-kiosk/releases"
    name = Releases(rels).current()
    assert name and (rels / name / ".complete").is_file() and (rels / name / "venv/bin/python").exists()
    assert str((root / "opt/hall-kiosk/current").readlink()) == "releases/current"
    assert (root / "opt/hall-kiosk/current").resolve() == (rels / name).resolve()
    assert not (root / "opt/hall-kiosk/previous").exists() and not (rels / "staged").exists()
    lib = root / "opt/hall-kiosk/lib/hall_kiosk_release.py"
    assert lib.read_bytes() == (REPO / "kiosk/updates.py").read_bytes() and stat.S_IMODE(lib.stat().st_mode) == 0o644
    units = root / "etc/systemd/system"
    assert (units / "timers.target.wants/hall-kiosk-update.timer").is_symlink()
    assert not list(units.glob("*.wants/hall-kiosk-update.service"))  # only its timer starts it
    # the installed kiosk.toml's typed [updates] names this layout and the installed public key
    py = rels / name / "venv/bin/python"
    got = subprocess.run([str(py), "-P", "-c", "import sys; from kiosk.config import load_config; "
                          "u = load_config(sys.argv[1]).updates; print(u.releases_dir, u.public_key, u.window)",
                          str(root / "etc/hall-kiosk/kiosk.toml")], capture_output=True, text=True, timeout=60)
    assert got.stdout.split() == ["/opt/hall-kiosk/releases", "/etc/hall-kiosk/release.pub", "01:00-05:00"], got.stderr


def test_hall_server_makes_the_release_signing_key(installed_root) -> None:
    """The private key root's only (0600, the service cannot read it), its public half for every
    machine, the published releases' directory outside the service's writable data."""
    from cryptography.hazmat.primitives import serialization

    from common.releases import load_public_key, public_key_pem

    root = installed_root.path
    key, pub = root / "etc/hall-kiosk/release.key", root / "etc/hall-kiosk/release.pub"
    st = key.stat()
    assert (stat.S_IMODE(st.st_mode), st.st_uid, st.st_gid) == (0o600, 0, 0)
    assert stat.S_IMODE(pub.stat().st_mode) == 0o644 and pub.stat().st_uid == 0
    private = serialization.load_pem_private_key(key.read_bytes(), password=None)
    assert public_key_pem(private.public_key()) == public_key_pem(load_public_key(pub.read_bytes()))  # type: ignore[arg-type]
    releases = (root / "var/lib/hall-kiosk/releases").stat()
    assert (stat.S_IMODE(releases.st_mode), releases.st_uid) == (0o755, 0)
    assert "changed: release signing key /etc/hall-kiosk/release.key" in installed_root.first["hall-server"].stdout
    # the kiosk was installed before the hall server in this root: it said what it waits for
    assert "no release key yet" in installed_root.first["kiosk"].stdout


def test_an_imported_release_key_replaces_the_made_one(installed_root, tmp_path) -> None:
    """--release-key: the city's one signing key on every hall server (kiosks trust one key)."""
    import shutil

    from common.releases import make_keys
    from tests.packaging.conftest import INSTALL

    root = installed_root.path
    key, pub = root / "etc/hall-kiosk/release.key", root / "etc/hall-kiosk/release.pub"
    original = tmp_path / "original.key"
    shutil.copy2(key, original)
    original_pub = pub.read_bytes()
    make_keys(tmp_path / "city.key", tmp_path / "city.pub")

    def install(with_key: Path) -> subprocess.CompletedProcess[str]:
        return subprocess.run(["bash", str(INSTALL), "hall-server", "--root", str(root), "--release-key",
                               str(with_key)], capture_output=True, text=True, timeout=600, check=False)

    try:
        out = install(tmp_path / "city.key")
        assert out.returncode == 0, out.stdout + out.stderr
        assert key.read_bytes() == (tmp_path / "city.key").read_bytes() and stat.S_IMODE(key.stat().st_mode) == 0o600
        assert pub.read_bytes() == (tmp_path / "city.pub").read_bytes()
        again = install(tmp_path / "city.key")
        assert again.stdout.strip().endswith(": 0 changes"), again.stdout
    finally:
        assert install(original).returncode == 0
    assert pub.read_bytes() == original_pub


def test_the_layout_before_fleet_updates_is_converted(installed_root) -> None:
    """An install of the old layout (/opt/hall-kiosk/current -> releases/<r>, previous as a file)
    becomes the updater's on the next run of install.sh."""
    from tests.packaging.conftest import run_install

    root = installed_root.path
    opt, rels = root / "opt/hall-kiosk", root / "opt/hall-kiosk/releases"
    name = str((rels / "current").readlink())
    (rels / "current").unlink()
    (opt / "current").unlink()
    (opt / "current").symlink_to(f"releases/{name}")
    (opt / "previous").write_text(f"releases/{name}\n", encoding="utf-8")
    out = run_install("kiosk", root)
    assert out.returncode == 0, out.stdout + out.stderr
    assert f"changed: current release {name}" in out.stdout
    assert str((rels / "current").readlink()) == name and str((opt / "current").readlink()) == "releases/current"
    assert not (opt / "previous").exists()
