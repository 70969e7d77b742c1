"""The phone pages over real HTTP against a running hall service (and the reference platform):
every state of a ticket page, the token-scoped event stream, the rating form, forged and
expired links, the application and guide pages, the page budget and the privacy rules."""

from __future__ import annotations

import hashlib
import json
import re
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
import requests

from offline_cache.client import PlatformClient
from queueing.client import HallClient, HallServiceError, parse_sse
from queueing.public_tokens import application_token

ID_NUMBER = "11010519491231002X"
ROOT = Path(__file__).resolve().parents[2]


def get(base: str, path: str) -> requests.Response:
    return requests.get(base + path, timeout=10)


def text_of(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<style>.*?</style>|<script.*?</script>|<[^>]+>", " ", html, flags=re.S))


def counter_for(hall, service_id: str) -> str:
    return next(c.id for c in hall.engine.hall.counters.values() if service_id in c.services)


def test_issue_answer_carries_the_page_path_and_keeps_every_key(hall, kiosk: HallClient) -> None:
    answer = kiosk.issue_ticket("S0101", id_number=ID_NUMBER)
    assert {"ticket", "waiting_ahead", "eta_minutes", "track_token", "public_path"} <= set(answer)
    assert re.fullmatch(r"/t/[0-9a-f]{48}", answer["public_path"])
    assert "public_url" not in answer  # no public base URL configured
    page = get(hall.base_url, answer["public_path"])
    assert page.status_code == 200 and "text/html" in page.headers["content-type"]
    body = page.text
    assert answer["ticket"]["number"] in body and "社会保障卡申领" in body
    # nothing personal and no internal ids on a ticket page
    assert ID_NUMBER not in body and answer["ticket"]["id"] not in body
    assert hall.engine.person_hash(ID_NUMBER) not in body
    assert page.headers["Cache-Control"] == "no-store" and page.headers["Referrer-Policy"] == "no-referrer"


def test_ticket_page_follows_the_whole_life_of_a_ticket(hall, kiosk, counter) -> None:
    first = kiosk.issue_ticket("S0101")
    mine = kiosk.issue_ticket("S0101")
    path = mine["public_path"]
    page = text_of(get(hall.base_url, path).text)
    assert "请耐心等候" in page and "前面还有 1 人" in page
    en = text_of(get(hall.base_url, path + "?lang=en").text)
    assert "1 ahead of you" in en and "Social security card application" in en
    cid = counter_for(hall, "S0101")
    called = counter.call_next(cid)
    assert called["ticket"]["id"] == first["ticket"]["id"]
    assert "下一位就是您" in text_of(get(hall.base_url, path).text)
    counter.finish(cid)
    counter.call_next(cid)
    name = hall.engine.hall.counters[cid].name
    assert f"轮到您了，请到 {name}" in text_of(get(hall.base_url, path).text)
    counter.recall(cid)
    assert "第 2 次呼叫" in text_of(get(hall.base_url, path).text)
    counter.start(cid)
    assert f"正在 {name} 为您办理" in text_of(get(hall.base_url, path).text)
    counter.finish(cid)
    done = get(hall.base_url, path).text
    assert "办理完成" in text_of(done) and f'href="{path}/rate"' in done


def test_no_show_and_transfer(hall, kiosk, counter) -> None:
    a = kiosk.issue_ticket("S0101")
    cid = counter_for(hall, "S0101")
    counter.call_next(cid)
    counter.no_show(cid)
    assert "您的号码已过号" in text_of(get(hall.base_url, a["public_path"]).text)

    b = kiosk.issue_ticket("S0101")
    counter.call_next(cid)
    target = next(s for s in hall.engine.hall.services if s != "S0101" and hall.engine.hall.counters_serving(s))
    counter.transfer(cid, target)
    page = text_of(get(hall.base_url, b["public_path"]).text)
    assert "已转至" in page and b["ticket"]["number"] in page and "请耐心等候" in page
    followed = kiosk.ticket_by_token(b["public_path"][3:])
    assert followed["ticket"]["service_id"] == target and followed["ticket"]["status"] == "waiting"


def test_rating_form_requires_a_reason_for_a_bad_rating(hall, kiosk, counter) -> None:
    a = kiosk.issue_ticket("S0101")
    rate = hall.base_url + a["public_path"] + "/rate"
    assert requests.get(rate, timeout=10).status_code == 409  # not served yet
    cid = counter_for(hall, "S0101")
    counter.call_next(cid)
    counter.finish(cid)
    form = requests.get(rate, timeout=10)
    assert form.status_code == 200 and "非常不满意" in form.text and 'method="post"' in form.text
    bad = requests.post(rate, data={"level": "2", "reason": " "}, timeout=10)
    assert bad.status_code == 422 and "请写下原因" in bad.text
    assert requests.post(rate, data={}, timeout=10).status_code == 422
    ok = requests.post(rate, data={"level": "2", "reason": "等候时间太长"}, timeout=10)
    assert ok.status_code == 200 and "感谢您的评价" in ok.text and "整改" in ok.text
    again = requests.post(rate, data={"level": "5"}, timeout=10)
    assert "已经评价过了" in again.text
    assert kiosk.ticket_by_token(a["public_path"][3:])["rating"] == {"level": 2}
    assert "您已评价" in get(hall.base_url, a["public_path"]).text


def test_forged_unknown_and_expired_tokens_get_a_plain_page(hall, kiosk, clock) -> None:
    for path in ("/t/abcd", "/t/" + "0" * 48, "/t/%3Cscript%3E", "/a/SG2026-0000000000000000", "/a/x"):
        r = get(hall.base_url, path)
        assert r.status_code == 404, path
        assert "链接无效" in r.text and "Traceback" not in r.text and "<script>" not in r.text
    from queueing.public_tokens import ticket_token

    unknown = ticket_token(hall.credentials["hall_key"], str(uuid.uuid4()))
    r = get(hall.base_url, f"/t/{unknown}")
    assert r.status_code == 410 and "查不到这张小票" in r.text
    a = kiosk.issue_ticket("S0101")
    clock.offset = 86400.0  # the next service day
    r = get(hall.base_url, a["public_path"])
    assert r.status_code == 410 and "链接已过期" in r.text and "只在取号当天有效" in r.text
    assert get(hall.base_url, a["public_path"] + "?lang=en").text.count("not from today") == 1
    assert get(hall.base_url, a["public_path"] + "/events").status_code == 410
    with pytest.raises(HallServiceError) as err:
        kiosk.ticket_by_token(a["public_path"][3:])
    assert (err.value.status, err.value.code) == (410, "token_expired")
    with pytest.raises(HallServiceError) as err:
        kiosk.ticket_by_token("0" * 48)
    assert (err.value.status, err.value.code) == (404, "invalid_token")


def test_ticket_event_stream_carries_only_this_tickets_state(hall, kiosk, counter) -> None:
    other = kiosk.issue_ticket("S0101")
    mine = kiosk.issue_ticket("S0101")
    r = requests.get(hall.base_url + mine["public_path"] + "/events", stream=True, timeout=(5, 10))
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/event-stream")
    events = parse_sse(r.iter_lines(decode_unicode=True))
    first = next(events)
    assert first.kind == "state" and first.data["status"] == "waiting" and first.data["ahead"] == 1
    cid = counter_for(hall, "S0101")
    counter.call_next(cid)  # calls the other ticket: mine moves up
    assert next(events).data["ahead"] == 0
    counter.finish(cid)
    counter.call_next(cid)
    called = next(events).data
    while called["status"] != "called":
        called = next(events).data
    assert called["window"] == hall.engine.hall.counters[cid].name and "轮到您了" in called["headline"]
    r.close()
    blob = json.dumps(called, ensure_ascii=False)
    assert other["ticket"]["number"] not in blob and mine["ticket"]["id"] not in blob
    assert get(hall.base_url, "/t/" + "1" * 48 + "/events").status_code == 404


def test_pages_are_light_and_self_contained(hall, kiosk) -> None:
    a = kiosk.issue_ticket("S0101")
    for path in (a["public_path"], a["public_path"] + "?lang=en", "/g/S0101", "/g/S0101?lang=en", "/t/abcd",
                 "/a/" + application_token(hall.credentials["hall_key"], "SG2026112300001")):
        r = get(hall.base_url, path)
        assert len(r.content) < 100_000, path
        # no third-party scripts, styles or fonts: nothing is loaded from another host
        assert not re.search(r'(src|href)="(https?:)?//', r.text), path
        assert "@font-face" not in r.text and "<link" not in r.text
        csp = r.headers["Content-Security-Policy"]
        assert "default-src 'none'" in csp and "script-src 'nonce-" in csp


def test_guide_page_from_the_bundled_catalogue(hall) -> None:
    r = get(hall.base_url, "/g/S0101")
    body = text_of(r.text)
    assert r.status_code == 200 and "社会保障卡申领" in body
    for words in ("申请条件", "申请材料", "居民身份证", "可容缺后补", "免费", "人社医保服务区 1–4 号窗口", "即办件"):
        assert words in body, words
    assert "@media print" in r.text and r.headers["Cache-Control"].startswith("public")
    en = text_of(get(hall.base_url, "/g/S0101?lang=en").text)
    assert "Social security card application" in en and "Documents" in en
    missing = get(hall.base_url, "/g/S9999")
    assert missing.status_code == 404 and "找不到这个服务事项" in missing.text


def test_application_page_without_a_platform_says_so(hall) -> None:
    tok = application_token(hall.credentials["hall_key"], "SG2026112300001")
    r = get(hall.base_url, f"/a/{tok}")
    assert r.status_code == 200 and "现在无法查询办件进度" in r.text and "SG2026112300001" in r.text


def submit_application(platform, service_id: str, missing: list[str]) -> str:
    payload = {"service_id": service_id, "name": "张三", "id_number": ID_NUMBER, "missing_materials": missing}
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    client = PlatformClient(platform.base_url, platform.token, "kiosk-test")
    rid = str(uuid.uuid4())
    out = client.post_batch([{"id": rid, "kind": "application", "created_at": "2026-11-23T09:15:02+08:00",
                              "payload": payload, "payload_sha256": hashlib.sha256(canonical.encode()).hexdigest(),
                              "attachments": []}])
    client.close()
    return out[rid]["receipt_no"]


def test_application_page_against_the_reference_platform(platform, platform_hall) -> None:
    key = platform_hall.credentials["hall_key"]
    assert key == platform.hall_key
    receipt = submit_application(platform, "S0101", ["户口簿"])
    r = get(platform_hall.base_url, f"/a/{application_token(key, receipt)}")
    body = text_of(r.text)
    assert r.status_code == 200 and receipt in body and "社会保障卡申领" in body
    assert "已受理" in body and "承诺办结日期" in body
    assert "张三" not in r.text and ID_NUMBER not in r.text
    unknown = get(platform_hall.base_url, f"/a/{application_token(key, 'SG2099010100001')}")
    assert "还查不到这个受理编号" in unknown.text
    local = get(platform_hall.base_url, f"/a/{application_token(key, 'K01-20261123-00007')}")
    assert "正在等待上传" in local.text
    # the platform goes away: the last stored answer is shown, with its age
    platform_hall.service.sources.status_ttl = 0
    platform.stop()
    again = get(platform_hall.base_url, f"/a/{application_token(key, receipt)}")
    assert again.status_code == 200 and receipt in again.text and "已受理" in again.text
    assert "暂时连不上" in again.text


def test_hall_server_command_takes_the_new_options(tmp_path: Path, platform) -> None:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    data = tmp_path / "hall-cli"
    data.mkdir()
    (data / "credentials.json").write_text(json.dumps({"hall_key": platform.hall_key}))
    proc = subprocess.Popen(
        [sys.executable, str(ROOT / "main.py"), "hall-server", "--port", str(port), "--data-dir", str(data),
         "--public-base-url", "https://hall.example.gov.cn/q", "--platform-url", platform.base_url,
         "--platform-token", platform.token],
        cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while True:
            try:
                requests.get(base + "/api/v1/health", timeout=2)
                break
            except requests.ConnectionError:
                assert time.monotonic() < deadline and proc.poll() is None, "hall-server did not start"
                time.sleep(0.1)
        creds = json.loads((data / "credentials.json").read_text())
        answer = HallClient(base, creds["kiosk"]).issue_ticket("S0101")
        assert answer["public_url"] == "https://hall.example.gov.cn/q" + answer["public_path"]
        page = get(base, answer["public_path"]).text
        assert 'data-events="https://hall.example.gov.cn/q/t/' in page  # links go through the gateway
        receipt = submit_application(platform, "S0101", [])
        assert receipt in get(base, f"/a/{application_token(platform.hall_key, receipt)}").text
        assert "社会保障卡申领" in get(base, "/g/S0101").text
    finally:
        proc.terminate()
        proc.wait(15)
