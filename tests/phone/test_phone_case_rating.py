"""The rating's 追评 after the service day, and the rating stages (一事多评), over real HTTP as a
phone's browser posts its forms against a running hall service:

- a ticket finished at the counter with the receipt's number as its 办件编号 is rated on the phone;
  the next day the ticket's link is dead (410), the receipt's QR page (``/a/<token>``, which does
  not expire) shows the rating and takes its one 追评; a second is refused in words.
- in a hall rating 受理 and 办结, the phone page rates the stage the ticket is at and says which."""

from __future__ import annotations

from pathlib import Path

import requests

from queueing.client import HallClient
from queueing.embedded import start_hall_service
from queueing.hallconfig import sample_hall_toml
from queueing.public_tokens import application_token
from tests.phone.test_phone_pages import counter_for, get, text_of

RECEIPT = "SG2026120200017"


def test_followup_from_the_receipt_after_the_ticket_day(hall, kiosk, counter, clock) -> None:
    a = kiosk.issue_ticket("S0101")
    cid = counter_for(hall, "S0101")
    counter.call_next(cid)
    counter.finish(cid, case_no=RECEIPT)
    rate = hall.base_url + a["public_path"] + "/rate"
    assert requests.post(rate, data={"level": "4"}, timeout=10).status_code == 200

    clock.offset = 86400.0  # the next service day: the ticket's QR has expired
    assert get(hall.base_url, a["public_path"]).status_code == 410
    page_path = "/a/" + application_token(hall.credentials["hall_key"], RECEIPT)
    page = get(hall.base_url, page_path)
    shown = text_of(page.text)
    assert page.status_code == 200 and "本办件的评价" in shown and "办结环节 满意" in shown, shown
    assert 'action="/a/' in page.text and 'name="comment"' in page.text  # its one 追评 offered

    action = hall.base_url + page_path + "/followup"
    assert requests.post(action, data={"stage": "finish", "comment": " "}, timeout=10).status_code == 422
    first = requests.post(action, data={"stage": "finish", "comment": "三天后才拿到证", "level": "2"}, timeout=10)
    assert first.status_code == 200 and "追评已收到" in first.text
    second = requests.post(action, data={"stage": "finish", "comment": "再说一次"}, timeout=10)
    assert second.status_code == 409 and "这条评价已经追评过了，每条评价只能追评一次" in text_of(second.text)
    admin = HallClient(hall.base_url, hall.token("admin"))
    rated = next(r for r in admin.ratings(day_from="2000-01-01", day_to="2100-01-01")
                 if r["number"] == a["ticket"]["number"])
    assert (rated["followup_comment"], rated["followup_level"]) == ("三天后才拿到证", 2)
    after = text_of(get(hall.base_url, page_path).text)
    assert "办结环节 满意 · 您已追评" in after and 'name="comment"' not in after


def test_two_stage_hall_rates_the_stage_the_ticket_is_at(tmp_path: Path) -> None:
    data = tmp_path / "hall"
    data.mkdir()
    toml = sample_hall_toml().replace('stages = ["finish"]', 'stages = ["accept", "finish"]', 1)
    (data / "hall.toml").write_text(toml, encoding="utf-8")
    hall = start_hall_service(data, heartbeat=2.0)
    try:
        kiosk = HallClient(hall.base_url, hall.token("kiosk"))
        counter = HallClient(hall.base_url, hall.token("counter"))
        a = kiosk.issue_ticket("S0101")
        cid = counter_for(hall, "S0101")
        counter.call_next(cid)
        counter.start(cid)  # 受理: the citizen is being served
        rate = hall.base_url + a["public_path"] + "/rate"
        form = requests.get(rate, timeout=10)
        assert form.status_code == 200 and "正在评价：受理环节" in text_of(form.text), text_of(form.text)
        assert 'id="rate"' in get(hall.base_url, a["public_path"]).text
        assert requests.post(rate, data={"stage": "accept", "level": "5"}, timeout=10).status_code == 200
        assert "已经评价过了" in text_of(requests.get(rate, timeout=10).text)

        counter.finish(cid, case_no=RECEIPT)
        form = requests.get(rate + "?lang=en", timeout=10)
        assert "You are rating: completion (办结)" in text_of(form.text), text_of(form.text)
        assert requests.post(rate, data={"stage": "accept", "level": "3"}, timeout=10).status_code == 200
        assert requests.post(rate, data={"stage": "finish", "level": "3"}, timeout=10).status_code == 200
        stages = HallClient(hall.base_url, hall.token("admin")).case_ratings(RECEIPT)
        assert [(r["stage"], r["level"]) for r in stages] == [("accept", 5), ("finish", 3)], stages
    finally:
        hall.stop()
