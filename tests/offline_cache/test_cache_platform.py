"""The reference platform checked as an independent client would, over HTTP with plain requests;
its CLI as a separate process with faults flipped at runtime; and the pull cache."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import stat
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import pytest
import requests
from cache_testlib import ID_NUMBER, ROOT

from offline_cache.client import PlatformClient, PlatformRefused
from offline_cache.platform_server import PlatformAdmin
from offline_cache.pulls import NotCachedError, PullCache, load_sample_catalogue
from offline_cache.sealing import canonical_json, id_number_hash


def record(rid: str, payload: dict, kind: str = "application", attachments=()) -> dict:
    return {"id": rid, "kind": kind, "created_at": "2026-11-23T09:15:02+08:00", "payload": payload,
            "payload_sha256": hashlib.sha256(canonical_json(payload).encode()).hexdigest(),
            "attachments": list(attachments)}


@pytest.fixture
def http(platform):
    session = requests.Session()
    session.trust_env = False
    session.headers.update({"Authorization": f"Bearer {platform.token}", "X-Device-Id": "kiosk-03"})

    def call(method: str, path: str, **kw):
        return session.request(method, platform.base_url + path, timeout=10, **kw)

    yield call
    session.close()


def batch(http, records):
    return http("POST", "/v1/records:batch", json={"device_id": "kiosk-03", "records": records})


def test_credentials_file_is_private(platform) -> None:
    path = platform.data_dir / "platform-credentials.json"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    creds = json.loads(path.read_text())
    assert creds["device_token"] == platform.token and len(creds["hall_key"]) == 64


def test_auth_and_device_id_are_required(platform, http) -> None:
    assert requests.get(platform.base_url + "/v1/catalogue", timeout=5,
                        headers={"X-Device-Id": "k"}).status_code == 401
    resp = requests.get(platform.base_url + "/v1/catalogue", timeout=5,
                        headers={"Authorization": f"Bearer {platform.token}"})
    assert resp.status_code == 400 and resp.json()["error"]["code"] == "missing_device_id"


def test_batch_results_follow_the_contract(platform, http) -> None:
    sha = hashlib.sha256(b"scan").hexdigest()
    first = record("5f0c0000-0000-4000-8000-000000000001", {"a": 1})
    resp = batch(http, [first])
    assert resp.status_code == 200 and resp.headers["Content-Type"].startswith("application/json")
    accepted = resp.json()["results"][0]
    assert accepted["status"] == "accepted" and accepted["receipt_no"].startswith("SG")
    assert len(accepted["receipt_no"]) == 15
    changed = record(first["id"], {"a": 2})
    bad_hash = {**record("5f0c0000-0000-4000-8000-000000000002", {"a": 3}), "payload_sha256": "0" * 64}
    results = batch(http, [
        first, changed, bad_hash,
        record("5f0c0000-0000-4000-8000-000000000003", {"a": 4}, kind="selfie"),
        record("5f0c0000-0000-4000-8000-000000000004", {"a": 5}, attachments=[sha]),
    ]).json()["results"]
    assert results[0] == {"id": first["id"], "status": "duplicate", "receipt_no": accepted["receipt_no"]}
    assert results[1]["status"] == "conflict" and results[1]["reason"]["code"] == "payload_mismatch"
    assert results[2]["status"] == "rejected" and results[2]["reason"]["code"] == "payload_hash_mismatch"
    assert results[3]["reason"]["code"] == "unknown_kind"
    assert results[4]["reason"]["code"] == "missing_attachment"
    assert http("PUT", f"/v1/attachments/{sha}", data=b"scan").status_code == 201
    assert http("PUT", f"/v1/attachments/{sha}", data=b"scan").status_code == 200
    wrong = http("PUT", f"/v1/attachments/{'a' * 64}", data=b"scan")
    assert wrong.status_code == 400 and wrong.json()["error"]["code"] == "hash_mismatch"
    again = batch(http, [record("5f0c0000-0000-4000-8000-000000000004", {"a": 5}, attachments=[sha])])
    assert again.json()["results"][0]["status"] == "accepted"


def test_a_batch_is_stored_set_wise_with_the_record_by_record_answers(http) -> None:
    """The platform takes a batch in one pass (issue 16): receipt numbers still run in the
    batch's order with no gap for rejected records, an id sent twice in one batch is stored once
    (its second copy is a duplicate with the first's receipt, a changed copy a conflict), and the
    next batch continues the day's count."""
    a = record("5f0c0000-0000-4000-8000-0000000000a1", {"n": 1})
    b = record("5f0c0000-0000-4000-8000-0000000000a2", {"n": 2})
    results = batch(http, [a, record("5f0c0000-0000-4000-8000-0000000000a3", {"n": 3}, kind="selfie"),
                           b, a, record(a["id"], {"n": 9})]).json()["results"]
    assert [r["status"] for r in results] == ["accepted", "rejected", "accepted", "duplicate", "conflict"]
    first = int(results[0]["receipt_no"][-5:])
    assert int(results[2]["receipt_no"][-5:]) == first + 1
    assert results[3] == {"id": a["id"], "status": "duplicate", "receipt_no": results[0]["receipt_no"]}
    assert results[4]["reason"]["code"] == "payload_mismatch"
    later = batch(http, [b, record("5f0c0000-0000-4000-8000-0000000000a4", {"n": 4})]).json()["results"]
    assert later[0] == {"id": b["id"], "status": "duplicate", "receipt_no": results[2]["receipt_no"]}
    assert later[1]["status"] == "accepted" and int(later[1]["receipt_no"][-5:]) == first + 2
    assert later[1]["receipt_no"][:10] == results[0]["receipt_no"][:10]


def test_batch_limits_and_malformed_requests(http) -> None:
    many = [record(f"5f0c0000-0000-4000-8000-{i:012d}", {"i": i}) for i in range(101)]
    assert batch(http, many).status_code == 413
    big = [record("5f0c0000-0000-4000-8000-00000000000b", {"blob": "x" * (1024 * 1024)})]
    assert batch(http, big).status_code == 413
    resp = http("POST", "/v1/records:batch", data=b"{not json", headers={"Content-Type": "application/json"})
    assert resp.status_code == 400 and resp.json()["error"]["code"] == "malformed"
    assert http("POST", "/v1/records:batch", json={"records": [{"kind": "x"}]}).status_code == 422


def test_catalogue_etag(platform, http) -> None:
    first = http("GET", "/v1/catalogue")
    etag = first.headers["ETag"]
    assert first.json()["version"] == load_sample_catalogue()["version"]
    assert http("GET", "/v1/catalogue", headers={"If-None-Match": etag}).status_code == 304
    newer = {**load_sample_catalogue(), "version": "2026-11-24.1"}
    PlatformAdmin(platform.base_url, platform.admin_token).set_catalogue(newer)
    fresh = http("GET", "/v1/catalogue", headers={"If-None-Match": etag})
    assert fresh.status_code == 200 and fresh.headers["ETag"] != etag
    assert fresh.json()["version"] == "2026-11-24.1"


def test_appointments_match_the_demo_card(platform, http) -> None:
    today = date.today().isoformat()
    body = http("GET", "/v1/appointments", params={"hall_id": "demo-hall", "date": today}).json()
    appts = body["appointments"]
    assert len(appts) >= 10
    for a in appts:
        assert set(a) == {"code", "service_id", "id_number_hash", "slot_start", "slot_end", "name_masked"}
        assert a["code"].startswith("APPT1:") and len(a["code"]) == 14 and "*" in a["name_masked"]
    mine = [a for a in appts if a["id_number_hash"] == id_number_hash(platform.hall_key, ID_NUMBER)]
    assert len(mine) == 2 and "APPT1:K7Q2M9XW" in {a["code"] for a in mine}
    again = http("GET", "/v1/appointments", params={"hall_id": "demo-hall", "date": today}).json()
    assert again == body
    assert http("GET", "/v1/appointments", params={"hall_id": "x", "date": "23/11"}).status_code == 400


def test_application_status_advances(platform, http) -> None:
    plain = record("5f0c0000-0000-4000-8000-0000000000a1", {"service_id": "S0101"})
    owed = record("5f0c0000-0000-4000-8000-0000000000a2",
                  {"service_id": "S0101", "missing_materials": ["户口簿"]})
    receipts = [r["receipt_no"] for r in batch(http, [plain, owed]).json()["results"]]
    status = http("GET", f"/v1/applications/{receipts[0]}").json()
    fields = {"receipt_no", "status", "status_text", "updated_at", "deadline", "missing_materials"}
    assert set(status) >= fields
    assert status["status"] == "accepted" and status["status_text"] == "已受理"
    seen = {status["status"]}
    deadline = time.monotonic() + 5
    while "completed" not in seen and time.monotonic() < deadline:
        time.sleep(0.1)
        seen.add(http("GET", f"/v1/applications/{receipts[0]}").json()["status"])
    assert {"accepted", "in_review", "completed"} <= seen
    owed_status = http("GET", f"/v1/applications/{receipts[1]}").json()
    assert owed_status["status"] == "supplement_required" and owed_status["missing_materials"] == ["户口簿"]
    assert http("GET", "/v1/applications/SG000").status_code == 404


def test_pull_cache_works_offline_with_age(platform, make_cache) -> None:
    cache = make_cache()
    client = PlatformClient(platform.base_url, platform.token, "kiosk-03", read_timeout=2)
    pulls = PullCache(cache, client)
    with pytest.raises(NotCachedError):
        pulls.catalogue(refresh=False)
    first = pulls.catalogue()
    assert first.fresh and first.data["services"]
    assert pulls.catalogue().fresh  # a 304 confirms the stored copy
    today = date.today().isoformat()
    mine, _ = pulls.appointments_for_id("demo-hall", today, platform.hall_key, ID_NUMBER)
    assert len(mine) == 2
    found, _ = pulls.appointment_by_code("demo-hall", today, "APPT1:K7Q2M9XW")
    assert found["service_id"] == "S0101"
    receipt = platform.store.list_records()[0]["receipt_no"]
    assert pulls.application_status(receipt).data["receipt_no"] == receipt
    with pytest.raises(PlatformRefused):
        pulls.application_status("SG999")
    platform.stop()
    time.sleep(0.05)
    offline = pulls.catalogue()
    assert not offline.fresh and offline.error and offline.age_seconds >= 0.05
    assert offline.data == first.data
    assert not pulls.appointments("demo-hall", today).fresh
    assert pulls.application_status(receipt).data["receipt_no"] == receipt
    with pytest.raises(NotCachedError):
        pulls.application_status("SG2099010100001")
    client.close()


def test_platform_cli_process_with_runtime_faults(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    data = tmp_path / "p"
    proc = subprocess.Popen([sys.executable, "main.py", "platform", "--port", "0", "--data-dir", str(data),
                             "--fault", '{"fault": "error", "times": 1}'], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = proc.stdout.readline()
        assert "listening on http://127.0.0.1:" in line, line
        base = json.loads((data / "platform-endpoint.json").read_text())["base_url"]
        creds = json.loads((data / "platform-credentials.json").read_text())
        headers = {"Authorization": f"Bearer {creds['device_token']}", "X-Device-Id": "k"}
        rec = record("5f0c0000-0000-4000-8000-0000000000c1", {"a": 1})
        post = lambda: requests.post(base + "/v1/records:batch", json={"records": [rec]},  # noqa: E731
                                     headers=headers, timeout=5)
        assert post().status_code == 500
        admin = PlatformAdmin(base, creds["admin_token"])
        admin.set_faults([{"fault": "html", "times": 1}])
        html = post()
        assert html.status_code == 200 and html.headers["Content-Type"].startswith("text/html")
        assert post().json()["results"][0]["status"] == "accepted"
        assert admin.stats()["faults"]["fired"] == {"error": 1, "html": 1}
        assert admin.record(rec["id"])["payload"] == {"a": 1}
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
    assert proc.returncode == 0
