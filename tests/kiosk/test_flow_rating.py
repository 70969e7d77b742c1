"""好差评 at the kiosk: a finished ticket is rated; the rating reaches the hall service and,
through the hall's outbox, the platform; a bad rating is rectified from the dashboard's data."""

from __future__ import annotations

import time

from queueing.credentials import DEMO_STAFF_PIN
from tests.kiosk.conftest import Kiosk


def _finished_ticket(kiosk: Kiosk) -> str:
    kiosk.act("start", flow="ticket")
    kiosk.act("choose", id="assist")
    view = kiosk.act("choose", id="S0501")
    number = view["screen"]["number"]
    counter = kiosk.staff()
    counter.call_next("H03", staff_id="s-01")
    counter.start("H03", staff_id="s-01")
    counter.finish("H03", staff_id="s-01")
    kiosk.act("home")
    return number


def _type(kiosk: Kiosk, text: str) -> dict:
    for key in text:
        kiosk.act("key", key=key)
    return kiosk.act("ok")


def test_bad_rating_needs_a_reason_and_reaches_hall_and_platform(kiosk: Kiosk) -> None:
    number = _finished_ticket(kiosk)
    kiosk.act("start", flow="rating")
    kiosk.act("choose", id="rate")
    view = _type(kiosk, "E999")
    assert view["state"] == "identify" and view["screen"]["problem"]  # unknown number explained
    for _ in range(4):
        kiosk.act("key", key="del")
    view = _type(kiosk, number)
    assert view["state"] == "levels" and len(view["screen"]["choices"]) == 5
    view = kiosk.act("choose", id="dissatisfied")
    assert view["state"] == "reasons"
    view = kiosk.act("send")
    assert view["state"] == "reasons"  # no reason chosen yet: not sent
    kiosk.act("toggle", id="slow")
    kiosk.act("comment", text="等了很久")
    view = kiosk.act("send")
    assert view["state"] == "thanks"

    admin = kiosk.staff("admin")
    bad = admin.ratings(bad=True)
    assert [(r["number"], r["level"], r["reason"]) for r in bad] == [(number, 2, "slow")]
    assert bad[0]["rectification"] is None
    # the demo hall's first counter account is its supervisor (queueing.credentials.seed_demo_staff)
    first = next(iter(kiosk.assembly.hall.running.service.engine.hall.counters))
    admin.sign_in(f"s-{first}", DEMO_STAFF_PIN)
    admin.rectify(bad[0]["ticket_id"], "已约谈窗口人员并增开窗口")
    assert admin.ratings(bad=True)[0]["rectification"]["response"].startswith("已约谈")

    # The same ticket cannot be rated twice.
    kiosk.act("home")
    kiosk.act("start", flow="rating")
    kiosk.act("choose", id="rate")
    view = _type(kiosk, number)
    assert view["state"] == "identify" and "已经评价" in view["screen"]["problem"]

    platform = kiosk.assembly.platform.running
    deadline = time.monotonic() + 20
    kinds: list[str] = []
    while time.monotonic() < deadline:
        kiosk.assembly.hall.sync.sync_now()
        records = [r for r in platform.store.list_records() if r["device_id"].startswith("hall-")]
        kinds = [r["kind"] for r in records]
        if kinds.count("rating") >= 2:  # the rating and its rectification
            break
        time.sleep(0.2)
    assert kinds.count("rating") >= 2 and "ticket_event" in kinds
    ids = [r["id"] for r in platform.store.list_records()]
    assert len(ids) == len(set(ids))


def test_a_ticket_rated_meanwhile_on_the_phone_is_explained(kiosk: Kiosk) -> None:
    """The citizen has the levels on the kiosk while the same ticket is rated from its QR on a
    phone: the hall service answers ``already_rated`` and the kiosk says so (not "try later")."""
    import requests

    kiosk.act("start", flow="ticket")
    kiosk.act("choose", id="assist")
    done = kiosk.act("choose", id="S0501")
    number, qr = done["screen"]["number"], done["screen"]["qr"]
    counter = kiosk.staff()
    counter.call_next("H03", staff_id="s-01")
    counter.start("H03", staff_id="s-01")
    counter.finish("H03", staff_id="s-01")
    kiosk.act("home")
    kiosk.act("start", flow="rating")
    kiosk.act("choose", id="rate")
    view = _type(kiosk, number)
    assert view["state"] == "levels"
    token = qr.rstrip("/").rsplit("/t/", 1)[-1]
    phone = requests.post(f"{kiosk.assembly.hall.url}/t/{token}/rate", data={"level": "5"}, timeout=10)
    assert phone.status_code == 200
    view = kiosk.act("choose", id="satisfied")
    assert view["state"] == "error"
    assert view["screen"]["title"] == "这个号已经评价过了，谢谢"
    assert [r["level"] for r in kiosk.staff("admin").ratings() if r["number"] == number] == [5]
