"""The shared vocabularies hold at every seam: the OpenAPI document a running hall service
publishes carries the Python enums; every code the service can answer with has words for the
citizen in every language; the console offers exactly the outcomes the engine records, and the
engine accepts each of them from a real counter client."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from kiosk.i18n import strings
from kiosk.tickets import CITIZEN_MESSAGES, EXPLAINED
from queueing.client import HallClient, HallServiceError
from queueing.codes import EndReason, HallCode, Outcome, Priority, TicketStatus
from tests.queueing.queue_helpers import ServerProcess, add_staff

LANGUAGES = ("zh_CN", "en")


@pytest.fixture(scope="module")
def hall(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    data: Path = tmp_path_factory.mktemp("vocab") / "hall"
    data.mkdir()
    server = ServerProcess(data, heartbeat=1.0).start()
    yield server
    server.stop()


def _schemas(server: ServerProcess) -> dict[str, Any]:
    doc = requests.get(server.base_url + "/openapi.json", timeout=5).json()
    return doc["components"]["schemas"]


def _enum(schema: dict[str, Any], schemas: dict[str, Any]) -> set[str]:
    """The values a property may take, following $ref and anyOf (an optional enum)."""
    if "$ref" in schema:
        return _enum(schemas[schema["$ref"].rsplit("/", 1)[-1]], schemas)
    if "anyOf" in schema:
        return set().union(*(_enum(s, schemas) for s in schema["anyOf"]))
    return set(schema.get("enum", ()))


def test_openapi_publishes_the_enums(hall: ServerProcess) -> None:
    schemas = _schemas(hall)
    prop = lambda model, name: schemas[model]["properties"][name]  # noqa: E731
    assert _enum(prop("FinishBody", "outcome"), schemas) == set(Outcome)
    assert _enum(prop("IssueBody", "priority"), schemas) == set(Priority)
    assert _enum(prop("ErrorDetail", "code"), schemas) == set(HallCode)
    assert _enum(prop("TicketOut", "status"), schemas) == set(TicketStatus)
    assert _enum(prop("TicketOut", "priority"), schemas) == set(Priority)
    assert _enum(prop("TicketOut", "outcome"), schemas) == set(Outcome) | set(EndReason)
    from common.releases import UpdateProblem

    assert _enum(prop("HeartbeatBody", "update_problem"), schemas) == set(UpdateProblem)


def test_every_refusal_documents_the_error_shape(hall: ServerProcess) -> None:
    doc = requests.get(hall.base_url + "/openapi.json", timeout=5).json()
    for path, ops in doc["paths"].items():
        if not path.startswith("/api/"):
            continue
        for verb, op in ops.items():
            answer = op["responses"].get("4XX", {})
            ref = answer.get("content", {}).get("application/json", {}).get("schema", {}).get("$ref", "")
            assert ref.endswith("/ErrorAnswer"), (verb, path)


def test_the_answers_carry_the_enums_documented(hall: ServerProcess) -> None:
    kiosk = HallClient(hall.base_url, hall.token("kiosk"))
    issued = kiosk.issue_ticket("S0501", priority=Priority.GREEN)
    assert issued["ticket"]["status"] == TicketStatus.WAITING and issued["ticket"]["priority"] == "green"
    assert issued["track_token"] and issued["public_path"].startswith("/t/")  # extras survive the model
    with pytest.raises(HallServiceError) as refused:
        kiosk.issue_ticket("NOPE")
    assert refused.value.rule is HallCode.UNKNOWN_SERVICE


def test_an_unknown_outcome_keeps_its_own_code(hall: ServerProcess) -> None:
    counter = HallClient(hall.base_url, hall.token("counter"))
    with pytest.raises(HallServiceError) as refused:
        counter.finish("H03", outcome="needs_more")
    assert (refused.value.status, refused.value.rule) == (422, HallCode.INVALID_OUTCOME)


def test_every_code_has_words_for_the_citizen_in_every_language() -> None:
    assert set(CITIZEN_MESSAGES) == set(HallCode)
    for language in LANGUAGES:
        table = strings(language)
        for code, keys in CITIZEN_MESSAGES.items():
            for key in keys:
                assert table.get(key, "").strip(), (language, code, key)
    # the rules a citizen can act on have their own words, not the front-desk fallback
    assert HallCode.SERVICE_CAP_REACHED in EXPLAINED
    assert all(CITIZEN_MESSAGES[code][0] == f"hall.{code}.title" for code in EXPLAINED)


def test_no_string_key_for_a_code_that_does_not_exist() -> None:
    for language in LANGUAGES:
        stale = {k.split(".")[1] for k in strings(language) if k.startswith("hall.")} - set(HallCode)
        assert stale == set(), language


def test_the_console_offers_exactly_the_outcomes_the_engine_records(hall: ServerProcess) -> None:
    from ui.counter_app import OUTCOMES

    assert list(OUTCOMES) == list(Outcome)
    for language in LANGUAGES:
        assert all(strings(language).get(f"counter.outcome.{o}") for o in Outcome), language
    kiosk = HallClient(hall.base_url, hall.token("kiosk"))
    counter = HallClient(hall.base_url, hall.token("counter"))
    add_staff(hall.data_dir, "9009", "supervisor pw 9", "--supervisor")
    for outcome in OUTCOMES:  # each accepted by the real service, recorded as sent
        kiosk.issue_ticket("S0503")
        assert counter.call_next("H04") is not None
        # 不予受理 (窗口无否决权): with its reason and a supervisor's sign-off (test_queue_complaints.py)
        sign_off = {"reason": "不属于本中心事项", "supervisor_id": "9009", "supervisor_pin": "supervisor pw 9"} \
            if outcome == Outcome.REJECTED else {}
        assert counter.finish("H04", outcome=outcome, **sign_off)["ticket"]["outcome"] == outcome
