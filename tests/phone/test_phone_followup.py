"""The phone page's sub-scores and its one 追评, over real HTTP against a running hall service,
as a phone's browser posts its forms: a rating with two of the three sub-scores, then the same
address offers the 追评; an empty one is asked again, the first is stored, a second is refused in
words (409) and changes nothing."""

from __future__ import annotations

import requests

from queueing.client import HallClient
from tests.phone.test_phone_pages import counter_for, get, text_of


def test_sub_scores_and_exactly_one_followup(hall, kiosk, counter) -> None:
    a = kiosk.issue_ticket("S0101")
    cid = counter_for(hall, "S0101")
    counter.call_next(cid)
    counter.finish(cid)
    rate = hall.base_url + a["public_path"] + "/rate"
    form = text_of(requests.get(rate, timeout=10).text)
    assert "服务态度" in form and "办事效率" in form and "服务水平" in form and "可不填" in form
    ok = requests.post(rate, data={"level": "4", "attitude": "5", "competence": "3"}, timeout=10)
    assert ok.status_code == 200 and "感谢您的评价" in ok.text
    admin = HallClient(hall.base_url, hall.token("admin"))
    rated = next(r for r in admin.ratings() if r["number"] == a["ticket"]["number"])
    assert (rated["level"], rated["attitude"], rated["efficiency"], rated["competence"]) == (4, 5, None, 3)

    assert 'id="followup"' in get(hall.base_url, a["public_path"]).text  # the ticket page links it
    offered = requests.get(rate, timeout=10)
    assert offered.status_code == 200 and 'name="comment"' in offered.text
    assert "每条评价只能追评一次" in text_of(offered.text)
    action = hall.base_url + a["public_path"] + "/followup"
    empty = requests.post(action, data={"comment": "  "}, timeout=10)
    assert empty.status_code == 422 and "请写下追评内容" in empty.text
    first = requests.post(action, data={"comment": "证照三天后才拿到", "level": "2"}, timeout=10)
    assert first.status_code == 200 and "追评已收到" in first.text
    second = requests.post(action, data={"comment": "再说一次"}, timeout=10)
    assert second.status_code == 409 and "这条评价已经追评过了，每条评价只能追评一次" in text_of(second.text)
    rated = next(r for r in admin.ratings() if r["number"] == a["ticket"]["number"])
    assert (rated["followup_comment"], rated["followup_level"]) == ("证照三天后才拿到", 2)
    assert "您已追评" in text_of(requests.get(rate, timeout=10).text)
    en = requests.post(action + "?lang=en", data={"comment": "again"}, timeout=10)
    assert en.status_code == 409 and "already has its follow-up" in en.text
