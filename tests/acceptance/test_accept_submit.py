"""自助申报 of 住房公积金提取 as a citizen does it, from the card to the printed receipt: the form
checked while it is typed on the keyboard, 下一步 held until the form and the materials are
complete, a photograph retaken and used, the phone number masked on the review, a double tap on
确认提交 giving one receipt; nothing personal in the kiosk's files. The platform is unreachable
while the citizen submits: the receipt says the application will be sent, and once the platform
is back it holds the application exactly once. (The receipt's platform number shown online and
followed by 办件查询 is test_accept_progress.py.)"""

from __future__ import annotations

import time
from pathlib import Path

from tests.acceptance.person import Person
from tests.acceptance.test_accept_submit_faults import zh

SECRETS = ("110101199003070514", "张三", "13800138000", "13812345678", "示例胡同")


def _applications(person: Person) -> list[dict[str, object]]:
    """What the platform (the program on the other side) holds from this kiosk."""
    store = person.assembly.platform.running.store
    return [r for r in store.list_records() if r["device_id"] == "kiosk-01" and r["kind"] == "application"]


def _on(person: Person, title: str) -> None:
    person.wait(0.5)
    assert person.sees(title), person.texts()


def test_a_submission_from_card_to_receipt_with_the_platform_down_then_back(person: Person) -> None:
    platform = person.assembly.platform.running
    platform.admin().set_faults([{"fault": "error", "status": 503, "path": "/v1/"}])
    person.tap("自助申报")
    person.tap("住房公积金提取")
    person.wait_for("请将身份证放在读卡区")
    person.place_card("zhang_san")
    person.wait_for("联系电话")
    assert person.sees("张*") and person.sees("110101********"), person.texts()  # masked
    assert not person.sees("张三") and not person.sees("110101199003070514")
    person.tap(zh("common.next"))                  # nothing filled in: the form stays
    _on(person, "联系电话")
    assert not person.sees(zh("submit.materials")), person.texts()
    person.tap("租房")
    person.tap("field_phone")
    person.type("1380013")
    person.wait_for(zh("form.error.phone"), timeout=3)   # checked as it is typed
    person.type("8000")
    person.press_key("\n")
    person.wait(0.3)
    assert not person.sees(zh("form.error.phone")), person.texts()
    person.type("3000")
    person.press_key("\n")
    person.tap(zh("common.next"))
    person.wait_for(zh("submit.material.card"))   # the ID card itself was read
    person.tap(zh("common.next"))                  # a core material missing: the step stays
    _on(person, zh("submit.material.missing"))
    assert not person.sees(zh("submit.accept")), person.texts()
    person.tap(zh("submit.capture"))              # the live preview
    person.wait_for(zh("submit.camera.hint"))
    person.tap(zh("submit.capture"))              # shoot
    person.wait_for(zh("submit.retake"), timeout=15)
    person.tap(zh("submit.retake"))               # back to the live preview
    person.wait_for(zh("submit.camera.hint"))
    person.tap(zh("submit.capture"))
    person.wait_for(zh("submit.use"), timeout=15)
    person.tap(zh("submit.use"))
    person.wait_for(zh("submit.material.photo"))
    person.tap(zh("common.next"))
    person.tap(zh("submit.accept"))
    person.wait_for(zh("submit.review"))
    assert person.sees("138****00") and not person.sees("13800138000"), person.texts()
    submit = zh("submit.submit")
    person.tap(submit, settle=0.0)                # a double tap on 确认提交
    if person.sees(submit):
        person.tap(submit, settle=0.0)
    person.wait_for(zh("submit.done.title"), timeout=15)
    assert person.sees("本机编号") and person.sees("自动提交"), person.texts()   # sent later
    assert len(person.sims["printer"].pages()) == 1    # one receipt
    assert _applications(person) == []
    platform.admin().clear_faults()                    # the platform is back
    deadline = time.monotonic() + 30
    while not _applications(person) and time.monotonic() < deadline:
        person.wait(0.5)
    person.wait(3.0)   # further sync rounds bring no second copy
    stored = _applications(person)
    assert len(stored) == 1 and str(stored[0]["receipt_no"]).startswith("SG"), stored
    for path in (Path(person.assembly.config.data_dir) / "kiosk").rglob("*"):   # the kiosk's own files
        if path.is_file():
            blob = path.read_bytes()
            for secret in SECRETS:
                assert secret.encode() not in blob, (secret, path)
