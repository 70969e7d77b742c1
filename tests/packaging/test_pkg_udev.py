"""The installed udev rules applied by udev itself to emulated devices: each supported kind of
reader, printer and scanner gets its stable /dev/kiosk-* name, group kiosk and mode 0660, and a
device of an unknown model gets none of them.

The devices are described in umockdev's format (a sysfs tree with the USB ids a real unit shows
in ``udevadm info --attribute-walk``) and ``udevadm test`` runs the rules on them. It runs in its
own mount namespace with /dev read-only and a private /run, so it changes nothing on this machine;
/etc/udev/rules.d and /etc/group there are the installed root's."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from tests.packaging.conftest import need, need_root

USB = "/devices/pci0000:00/0000:00:14.0/usb1"

NAMESPACE = """set -e
mount --make-rprivate /
mount --rbind /dev /dev
mount -o remount,bind,ro /dev
mount -t tmpfs tmpfs /run
mount --bind "$RULES" /etc/udev/rules.d
mount --bind "$GROUP_FILE" /etc/group
exec umockdev-run -d "$DEVICE" -- udevadm -d test --action=add "$SYSPATH"
"""


def _usb_device(port: str, vendor: str, product: str, busdev: int) -> str:
    return (f"P: {USB}/{port}\nN: bus/usb/001/{busdev:03d}\nE: DEVNAME=/dev/bus/usb/001/{busdev:03d}\n"
            f"E: DEVTYPE=usb_device\nE: DRIVER=usb\nE: SUBSYSTEM=usb\nE: MAJOR=189\nE: MINOR={busdev}\n"
            f"A: idVendor={vendor}\nA: idProduct={product}\nA: serial=0001\nA: busnum=1\nA: devnum={busdev}\n"
            f"A: dev=189:{busdev}\n\n"
            f"P: {USB}/{port}/{port}:1.0\nE: DEVTYPE=usb_interface\nE: SUBSYSTEM=usb\nA: bInterfaceClass=ff\n\n")


def _node(path: str, name: str, subsystem: str, major: int, minor: int) -> str:
    return (f"P: {path}\nN: {name}\nE: DEVNAME=/dev/{name}\nE: SUBSYSTEM={subsystem}\n"
            f"E: MAJOR={major}\nE: MINOR={minor}\nA: dev={major}:{minor}\n")


def _tty(vendor: str, product: str, kernel: str = "ttyUSB0", major: int = 188) -> tuple[str, str]:
    path = f"{USB}/1-2/1-2:1.0/{kernel}/tty/{kernel}"
    return _usb_device("1-2", vendor, product, 5) + _node(path, kernel, "tty", major, 0), path


def _usblp(vendor: str, product: str) -> tuple[str, str]:
    path = f"{USB}/1-3/1-3:1.0/usbmisc/lp0"
    return _usb_device("1-3", vendor, product, 6) + _node(path, "usb/lp0", "usbmisc", 180, 0), path


def _printer_usb_device(vendor: str, product: str) -> tuple[str, str]:
    return _usb_device("1-3", vendor, product, 6), f"{USB}/1-3"


def _evdev(vendor: str, product: str) -> tuple[str, str]:
    hid = f"{USB}/1-4/1-4:1.0/0003:{vendor.upper()}:{product.upper()}.0001"
    path = f"{hid}/input/input5/event5"
    return (_usb_device("1-4", vendor, product, 7) + f"P: {hid}\nE: SUBSYSTEM=hid\n\n"
            f"P: {hid}/input/input5\nE: SUBSYSTEM=input\nA: name=Newland scanner\n\n"
            + _node(path, "input/event5", "input", 13, 69)), path


CASES = {
    # name: (device description, expected link or None)
    "idcard reader on a CP210x bridge": (_tty("10c4", "ea60"), "kiosk-idcard"),
    "thermal printer, kernel usblp node": (_usblp("0416", "5011"), "kiosk-printer"),
    "thermal printer, raw USB for libusb": (_printer_usb_device("0416", "5011"), "kiosk-printer-usb"),
    "printer on a PL2303 bridge": (_tty("067b", "2303"), "kiosk-printer"),
    "Newland scanner, keyboard wedge (evdev)": (_evdev("1eab", "1d06"), "kiosk-scanner"),
    "Newland scanner, USB virtual COM": (_tty("1eab", "1d06", "ttyACM0", 166), "kiosk-scanner"),
    "unknown FTDI serial adapter": (_tty("0403", "6001"), None),
}


def _kiosk_gid(root: Path) -> int:
    for line in (root / "etc/group").read_text(encoding="utf-8").splitlines():
        fields = line.split(":")
        if fields[0] == "kiosk":
            return int(fields[2])
    raise AssertionError("the installer made no kiosk group")


def _udev_test(root: Path, tmp_path: Path, description: str, syspath: str) -> str:
    device = tmp_path / "device.umockdev"
    device.write_text(description, encoding="utf-8")
    env = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "RULES": str(root / "etc/udev/rules.d"),
           "GROUP_FILE": str(root / "etc/group"), "DEVICE": str(device), "SYSPATH": syspath}
    out = subprocess.run(["unshare", "-m", "sh", "-c", NAMESPACE], env=env, capture_output=True, text=True,
                         timeout=60, check=False)
    return out.stdout + out.stderr


@pytest.mark.parametrize("case", list(CASES))
def test_udev_gives_each_device_its_name_and_the_kiosk_group(installed_root, tmp_path: Path, case: str) -> None:
    need_root()
    need("udevadm", "udev")
    need("umockdev-run", "umockdev")
    (description, syspath), link = CASES[case]
    root = installed_root.path
    log = _udev_test(root, tmp_path, description, syspath)
    assert "70-hall-kiosk.rules" in log, log[-3000:]  # the installed rules were read
    ours = [line for line in log.splitlines() if "70-hall-kiosk.rules:" in line]
    links = re.findall(r"70-hall-kiosk\.rules:\d+ LINK '([^']+)'", log)
    if link is None:
        assert not ours, "\n".join(ours)
        return
    assert links == [link], log[-3000:]
    groups = [int(g) for g in re.findall(r"70-hall-kiosk\.rules:\d+ GROUP (\d+)", log)]
    assert groups == [_kiosk_gid(root)], "\n".join(ours)
    assert re.findall(r"70-hall-kiosk\.rules:\d+ MODE (\d+)", log) == ["0660"], "\n".join(ours)
    assert not list(Path("/dev").glob("kiosk-*")), "the test must not touch this machine's /dev"
