"""The submitting step under faults, as a citizen meets it: with the platform hung the tap on
确认提交 shows 正在提交 at once and the receipt soon after (the kiosk answers other taps meanwhile);
a cache that cannot be written says 未保存 and keeps what was typed; a cache that cannot open gives
an out-of-service screen; a kiosk killed right after a photo leaves no readable image on disk, and
the next start wipes what an earlier kiosk left behind."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from common.i18n import translate
from tests.acceptance.person import Person
from tests.acceptance.test_accept_hung_platform import hung_platform, kiosk_toml  # noqa: F401 - fixture

ROOT = Path(__file__).resolve().parents[2]


def zh(key: str, **kw: object) -> str:
    return str(translate("zh_CN", key, **kw))


def to_materials(person: Person) -> None:
    """自助申报 of 住房公积金提取 with the card and the form typed on the keyboard: the materials."""
    person.tap("自助申报")
    person.tap("住房公积金提取")
    person.wait_for("请将身份证放在读卡区")
    person.place_card(next(iter(person.sims["idcard"].identities())))
    person.wait_for("联系电话")
    person.tap("租房")
    person.tap("field_phone")
    person.type("13812345678")
    person.press_key("\n")
    person.type("3000")
    person.press_key("\n")
    person.tap("下一步")
    person.wait_for("稍后补交")


def to_review(person: Person, *, photo: bool = False) -> None:
    """The materials (:func:`to_materials`) with one owed (or photographed), the commitment
    accepted: the review screen."""
    to_materials(person)
    if photo:
        take_photo(person)
    else:
        person.tap("稍后补交")
    person.tap("下一步")
    person.tap("我已阅读，我承诺")
    person.wait_for("请核对申请信息")


def take_photo(person: Person) -> None:
    person.tap(zh("submit.capture"))          # the material's 拍照: the live preview
    person.wait_for(zh("submit.camera.hint"))
    person.tap(zh("submit.capture"))          # shoot
    person.wait_for(zh("submit.use"), timeout=15)
    person.tap(zh("submit.use"))
    person.wait_for(zh("submit.material.photo"))


def test_submitting_while_the_platform_hangs(people: Callable[..., Person], tmp_path: Path,
                                             hung_platform: str) -> None:  # noqa: F811 - fixture
    person = people(config=kiosk_toml(tmp_path / "hung.toml", hung_platform))
    to_review(person)
    started = time.monotonic()
    person.tap(zh("submit.submit"), settle=0.05)
    person.wait_for(zh("submit.submitting"), timeout=1.0)
    # the worker is free while submitting: the language button answers at once (the screen is
    # English, still submitting or already the receipt)
    person.tap("header_language", settle=0.05)
    person.wait_for(translate("en", "common.language"), timeout=1.0)
    person.tap("header_language", settle=0.05)
    person.wait_for(zh("submit.done.title"), timeout=8.0)
    took = time.monotonic() - started
    assert person.sees(zh("submit.done.later")), person.texts()
    print(f"receipt {took:.1f} s after the tap with a hung platform")
    assert took < 6.0, f"the receipt came {took:.1f} s after the tap"


def test_home_while_submitting_keeps_the_citizen_for_the_receipt(person: Person) -> None:
    """A citizen taps 返回首页 (and 返回) while 正在提交 (a slow platform: the kiosk waits for its
    number): the kiosk says in words that the receipt is on its way and stays; the receipt is then
    shown and printed for this citizen."""
    to_review(person)
    person.assembly.platform.running.admin().set_faults([{"fault": "delay", "seconds": 6, "path": "/v1/records"}])
    before = len(person.sims["printer"].pages())
    person.tap(zh("submit.submit"), settle=0.05)
    person.wait_for(zh("submit.submitting"), timeout=1.0)
    person.tap(zh("common.home"), settle=0.2)
    person.wait_for(zh("notice.submitting"), timeout=1.0)
    assert not person.sees(zh("home.title")), person.texts()
    person.tap(zh("common.back"), settle=0.2)
    assert not person.sees(zh("home.title")), person.texts()
    person.wait_for(zh("submit.done.title"), timeout=8.0)
    assert not person.sees(zh("notice.submitting"))
    assert len(person.sims["printer"].pages()) == before + 1  # printed for the citizen who sees it
    person.tap(zh("common.finish"))
    person.wait_for(zh("home.title"))


def _wal(person: Person) -> Path:
    return Path(person.assembly.cache.path).with_name(Path(person.assembly.cache.path).name + "-wal")


def test_a_write_error_says_not_saved_and_keeps_the_form(person: Person) -> None:
    to_review(person)
    wal = _wal(person)
    assert wal.exists()
    subprocess.run(["chattr", "+i", str(wal)], check=True)  # every write of the cache now fails
    try:
        person.tap(zh("submit.submit"))
        person.wait_for("未保存", timeout=5)
        assert person.sees(zh("submit.error")), person.texts()  # retry, or go to a counter
        from queueing.client import HallClient

        staff = HallClient(person.assembly.hall.url, person.assembly.hall.tokens["admin"])
        alerts = staff.alerts()
        assert any("申请未能保存" in str(a.get("message")) for a in alerts), alerts  # the staff's words
    finally:
        subprocess.run(["chattr", "-i", str(wal)], check=True)
    person.tap(zh("common.retry"))
    person.wait_for("请核对申请信息")
    assert person.sees("138****78") and person.sees("3000"), person.texts()
    person.tap(zh("submit.submit"))
    person.wait_for(zh("submit.done.title"), timeout=10)


def test_a_cache_that_cannot_open_gives_an_out_of_service_screen(tmp_path: Path, qapp: object) -> None:
    # the cache's file is in the way (here: a directory of that name), as after a bad disk
    (tmp_path / "data" / "kiosk" / "offline-cache.db").mkdir(parents=True)
    person = Person(tmp_path / "data")
    try:
        person.wait_for("暂停服务", timeout=20)
        assert person.sees(zh("outage.body")), person.texts()
    finally:
        person.leave()


_PHOTO_THEN_WAIT = textwrap.dedent("""
    import sys, time
    from pathlib import Path
    from tests.acceptance.person import Person
    from tests.acceptance.test_accept_submit_faults import take_photo
    person = Person(Path(sys.argv[1]))
    person.tap("自助申报")
    person.tap("住房公积金提取")
    person.wait_for("请将身份证放在读卡区")
    person.place_card(next(iter(person.sims["idcard"].identities())))
    person.wait_for("联系电话")
    person.tap("租房")
    person.tap("field_phone")
    person.type("13812345678")
    person.press_key("\\n")
    person.type("3000")
    person.press_key("\\n")
    person.tap("下一步")
    person.wait_for("稍后补交")
    take_photo(person)
    print("PHOTO TAKEN", flush=True)
    while True:
        person.wait(1)
""")


def _images(root: Path) -> list[Path]:
    found = []
    for path in root.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            if data.startswith((b"\xff\xd8\xff", b"\x89PNG")) or b"JFIF\x00" in data or b"\x89PNG\r\n\x1a\n" in data:
                found.append(path)
    return found


@pytest.mark.slow
def test_a_kiosk_killed_after_a_photo_leaves_no_image(tmp_path: Path) -> None:
    data = tmp_path / "data"
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "QT_QUICK_BACKEND": "software",
           "QT_IM_MODULE": "qtvirtualkeyboard", "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen([sys.executable, "-c", _PHOTO_THEN_WAIT, str(data)], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, text=True, start_new_session=True)
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert "PHOTO TAKEN" in line, line
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(10)
    assert _images(data) == []


def test_the_next_start_wipes_what_a_crashed_kiosk_left(tmp_path: Path, qapp: object) -> None:
    # what a kiosk killed mid-session left (an earlier version kept photos in session folders)
    leftover = tmp_path / "data" / "kiosk" / "sessions" / "session-0badc0de-x"
    leftover.mkdir(parents=True)
    (leftover / "material-1.jpg").write_bytes(b"\xff\xd8\xff\xe0\x00\x10JFIF\x00 a page")
    person = Person(tmp_path / "data")
    try:
        person.wait_for(zh("home.title"), timeout=20)
        assert not leftover.exists()
        assert _images(tmp_path / "data") == []
    finally:
        person.leave()
