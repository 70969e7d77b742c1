"""The hot routes' answers (issue 16's fast lane: queueing/api_fast.py) byte for byte as before.

A kiosk and counters as raw HTTP clients (one keep-alive ``http.client`` connection each, like
the devices and benchmarks/bench_queue_http.py) against a real ``main.py hall-server`` process:
every hot route's good request, each kind of invalid body, wrong and missing tokens, a body over
the cap, a chunked body, and the OpenAPI document (its bytes). Each answer's status, content
type, content length, JSON key order and values (ids, times and tokens masked) must equal what
main produced before the fast lane (``fixtures/hot_routes_golden.json``, written by running this file with
``HOT_ROUTES_GOLDEN=write`` in a checkout of main 387cbca)."""

from __future__ import annotations

import hashlib
import http.client
import json
import os
from pathlib import Path
from typing import Any

from hall_process import HallProcess
from queue_helpers import enrol, small_hall

GOLDEN = Path(__file__).parent / "fixtures" / "hot_routes_golden.json"
VOLATILE = {"id", "issued_at", "queued_since", "called_at", "started_at", "finished_at", "track_token",
            "public_path", "public_url", "ticket_id"}


def _mask(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: ("<x>" if k in VOLATILE and v is not None else _mask(v)) for k, v in value.items()}
    if isinstance(value, list):
        return [_mask(v) for v in value]
    return value


class Device:
    def __init__(self, port: int, token: str | None) -> None:
        self.con = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        self.token = token

    def send(self, method: str, path: str, body: bytes | None, **headers: str) -> dict[str, Any]:
        h = {"Content-Type": "application/json", **({"Authorization": f"Bearer {self.token}"} if self.token else {})}
        h.update({k.replace("_", "-"): v for k, v in headers.items()})
        self.con.request(method, path, body, h, encode_chunked="Transfer-Encoding" in h)
        r = self.con.getresponse()
        data = r.read()
        if r.getheader("connection") == "close":
            self.con.close()
        answer: dict[str, Any] = {"status": r.status, "content_type": r.getheader("content-type"),
                                  "length_ok": r.getheader("content-length") == (str(len(data)) if data else None)
                                  or (not data and r.getheader("content-length") == "0")}
        if path == "/openapi.json":  # the whole document, byte for byte
            answer["sha256"] = hashlib.sha256(data).hexdigest()
        elif data:
            parsed = json.loads(data)
            answer["compact"] = data == json.dumps(parsed, ensure_ascii=False, separators=(",", ":")).encode()
            answer["json"] = _mask(parsed)
        return answer

    def post(self, path: str, body: object = None, raw: bytes | None = None, **headers: str) -> dict[str, Any]:
        data = raw if raw is not None else (None if body is None else json.dumps(body).encode())
        return self.send("POST", path, data, **headers)


def _script(hall: HallProcess, data: Path) -> list[tuple[str, dict[str, Any]]]:
    c2_device = enrol(data, "counter", "pad-c2", counter="C2")
    kiosk = Device(hall.port, hall.token("kiosk"))
    counter = Device(hall.port, hall.token("counter"))
    c2 = Device(hall.port, c2_device)
    nobody, wrong = Device(hall.port, None), Device(hall.port, "not-a-token")
    c1 = "/api/v1/counters/C1"
    steps: list[tuple[str, Any]] = [
        ("issue S1", lambda: kiosk.post("/api/v1/tickets", {"service_id": "S1"})),
        ("issue S2 green", lambda: kiosk.post("/api/v1/tickets", {"service_id": "S2", "priority": "green",
                                                                   "channel": "kiosk-03"})),
        ("issue S3 case", lambda: kiosk.post("/api/v1/tickets", {"service_id": "S3", "case_no": "C-1",
                                                                  "channel": "柜台"})),
        ("call-next", lambda: counter.post(f"{c1}/call-next", {})),
        ("recall", lambda: counter.post(f"{c1}/recall", {})),
        ("start typed staff", lambda: counter.post(f"{c1}/start", {"staff_id": "w1"})),
        ("finish rejected unsigned", lambda: counter.post(f"{c1}/finish", {"outcome": "rejected", "reason": "x"})),
        ("finish materials", lambda: counter.post(f"{c1}/finish", {"outcome": "materials_missing",
                                                                    "case_no": "330100202612010001"})),
        ("call-next no body", lambda: counter.post(f"{c1}/call-next")),
        ("start twice", lambda: counter.post(f"{c1}/start", {})),
        ("start again refused", lambda: counter.post(f"{c1}/start", {})),
        ("finish no body", lambda: counter.post(f"{c1}/finish")),
        ("call-next null staff", lambda: counter.post(f"{c1}/call-next", {"staff_id": None})),
        ("no-show", lambda: counter.post(f"{c1}/no-show", {})),
        ("recall nothing", lambda: counter.post(f"{c1}/recall", {})),
        ("call-next nobody waits", lambda: counter.post(f"{c1}/call-next", {})),
        ("call-next unknown counter", lambda: counter.post("/api/v1/counters/C9/call-next", {})),
        # invalid bodies
        ("issue wrong type", lambda: kiosk.post("/api/v1/tickets", {"service_id": 5})),
        ("issue unknown enum", lambda: kiosk.post("/api/v1/tickets", {"service_id": "S1", "priority": "vip"})),
        ("issue no body", lambda: kiosk.post("/api/v1/tickets")),
        ("issue empty object", lambda: kiosk.post("/api/v1/tickets", {})),
        ("issue unknown service", lambda: kiosk.post("/api/v1/tickets", {"service_id": "S9"})),
        ("issue channel too long", lambda: kiosk.post("/api/v1/tickets", {"service_id": "S1", "channel": "k" * 41})),
        ("issue lone surrogate", lambda: kiosk.post("/api/v1/tickets", raw=b'{"appointment_code": "\\ud800"}')),
        ("issue id number wrong type", lambda: kiosk.post("/api/v1/tickets", {"id_number": 7})),
        ("issue not json", lambda: kiosk.post("/api/v1/tickets", raw=b"service_id=S1")),
        ("issue a list", lambda: kiosk.post("/api/v1/tickets", raw=b"[]")),
        ("issue null", lambda: kiosk.post("/api/v1/tickets", raw=b"null")),
        ("issue text/plain", lambda: kiosk.post("/api/v1/tickets", {"service_id": "S1"}, Content_Type="text/plain")),
        ("issue over the cap", lambda: kiosk.post("/api/v1/tickets", {"service_id": "S1", "channel": "k" * 70_000})),
        ("issue chunked", lambda: kiosk.post("/api/v1/tickets", {"service_id": "S2"}, Transfer_Encoding="chunked")),
        ("finish unknown outcome", lambda: counter.post(f"{c1}/finish", {"outcome": "bogus"})),
        ("finish reason too long", lambda: counter.post(f"{c1}/finish", {"reason": "r" * 201})),
        ("call-next staff too long", lambda: counter.post(f"{c1}/call-next", {"staff_id": "s" * 65})),
        ("call-next staff wrong type", lambda: counter.post(f"{c1}/call-next", {"staff_id": 1})),
        ("call-next not json", lambda: counter.post(f"{c1}/call-next", raw=b"{")),
        # tokens and roles
        ("issue no token", lambda: nobody.post("/api/v1/tickets", {"service_id": "S1"})),
        ("issue wrong token", lambda: wrong.post("/api/v1/tickets", {"service_id": "S1"})),
        ("issue counter role", lambda: counter.post("/api/v1/tickets", {"service_id": "S1"})),
        ("issue bad json no token", lambda: nobody.post("/api/v1/tickets", raw=b"{")),
        ("issue bad field no token", lambda: nobody.post("/api/v1/tickets", {"priority": "vip"})),
        ("call-next kiosk role", lambda: kiosk.post(f"{c1}/call-next", {})),
        ("call-next no token", lambda: nobody.post(f"{c1}/call-next", {})),
        ("start wrong token", lambda: wrong.post(f"{c1}/start", {})),
        ("c2 device at C1", lambda: c2.post(f"{c1}/call-next", {})),
        ("c2 device without session", lambda: c2.post("/api/v1/counters/C2/call-next", {})),
        ("finish bad session", lambda: counter.post(f"{c1}/finish", {}, X_Hall_Session="nope")),
        # beside the hot routes
        ("unknown operation", lambda: counter.post(f"{c1}/bogus", {})),
        ("trailing slash", lambda: kiosk.post("/api/v1/tickets/", {"service_id": "S1"})),
        ("GET call-next", lambda: counter.send("GET", f"{c1}/call-next", None)),
        ("the OpenAPI document", lambda: nobody.send("GET", "/openapi.json", None)),
        ("issue after all", lambda: kiosk.post("/api/v1/tickets", {"service_id": "S1"})),
    ]
    return [(name, step()) for name, step in steps]


def test_hot_routes_answer_as_main_did(tmp_path: Path) -> None:
    data = tmp_path / "hall"
    data.mkdir()
    (data / "hall.toml").write_text(small_hall(), encoding="utf-8")
    with HallProcess(data) as hall:
        got = _script(hall, data)
    if os.environ.get("HOT_ROUTES_GOLDEN") == "write":
        GOLDEN.write_text(json.dumps(got, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    want = json.loads(GOLDEN.read_text(encoding="utf-8"))
    assert [n for n, _ in got] == [n for n, _ in want]
    for (name, answer), (_, expected) in zip(got, want, strict=True):
        assert answer == expected, name
        # key order too (dict equality ignores it)
        assert json.dumps(answer) == json.dumps(expected), name
