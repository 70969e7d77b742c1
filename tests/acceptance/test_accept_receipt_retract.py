"""A kiosk whose receipt printer has a presenter (the mouth holds the paper): a citizen submits and
walks away without the receipt — after the hall's (here shortened) time the printer got the
retract command, the screen says 回执未取走，已收回 and the audit log has the event for staff with
nothing of the citizen in it; the next citizen takes the receipt in time — no retract."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.acceptance.person import Person
from tests.acceptance.test_accept_submit_faults import to_review, zh

RETRACT = b"\x1d\x65\x02"   # GS e 2
SECRETS = ("110101", "张三", "张*", "13812345678", "138****78")


def _audit(person: Person) -> list[dict[str, object]]:
    path = Path(person.assembly.config.data_dir) / "kiosk" / "audit.jsonl"
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def _submit(person: Person) -> None:
    to_review(person)
    person.tap(zh("submit.submit"))
    person.wait_for(zh("submit.done.title"), timeout=15)


@pytest.mark.slow
def test_a_receipt_left_at_the_mouth_is_retracted_one_taken_is_not(people: Callable[..., Person],
                                                                    tmp_path: Path) -> None:
    toml = tmp_path / "kiosk.toml"
    toml.write_text('[devices.printer]\npresenter = "gs_e"\n\n[privacy]\nreceipt_retract_seconds = 2.0\n',
                    encoding="utf-8")
    person = people(config=toml)
    printer = person.sims["printer"]

    _submit(person)                       # ... and the citizen leaves the receipt where it is
    assert printer.paper_at_mouth
    person.wait_for(zh("notice.receipt_retracted"), timeout=8)
    assert RETRACT in printer.presenter_commands() and printer.retracted == 1
    assert not printer.paper_at_mouth
    events = [e for e in _audit(person) if str(e["action"]).startswith("receipt.")]
    assert [e["action"] for e in events] == ["receipt.retracted"]
    line = json.dumps(events, ensure_ascii=False)
    assert not any(secret in line for secret in SECRETS), line

    person.tap(zh("common.finish"))
    person.wait_for(zh("home.title"))
    person.remove_card()                  # the first citizen's card goes with them
    _submit(person)                       # the next citizen takes theirs
    assert printer.take()
    person.wait(3.0)
    assert printer.retracted == 1 and printer.presenter_commands().count(RETRACT) == 1
    assert not person.sees(zh("notice.receipt_retracted")), person.texts()
    assert [e["action"] for e in _audit(person) if str(e["action"]).startswith("receipt.")] == ["receipt.retracted"]
