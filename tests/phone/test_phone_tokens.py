"""QR tokens: genuine ones round-trip, anything else is refused, and every token is one the
device layer's scanner recognises as our ticket / receipt link."""

from __future__ import annotations

import uuid

from hypothesis import given, settings
from hypothesis import strategies as st

from devices.scanner.classify import classify
from queueing.public_tokens import (
    application_token,
    receipt_from_token,
    ticket_id_from_token,
    ticket_token,
)

KEY = "k" * 64
RECEIPTS = st.from_regex(r"[A-Za-z0-9_-]{1,60}", fullmatch=True)


@given(st.uuids(version=4))
def test_ticket_token_round_trip_and_shape(u: uuid.UUID) -> None:
    tok = ticket_token(KEY, str(u))
    assert len(tok) == 48 and tok.isalnum()
    assert ticket_id_from_token(KEY, tok) == str(u)
    assert str(u) not in tok  # the dashed id (what the API shows) is not in the link as such
    assert ticket_id_from_token("another-hall-key", tok) is None


@given(st.uuids(version=4), st.integers(0, 47), st.sampled_from("0123456789abcdef"))
def test_any_changed_character_is_refused(u: uuid.UUID, pos: int, ch: str) -> None:
    tok = ticket_token(KEY, str(u))
    forged = tok[:pos] + ch + tok[pos + 1:]
    if forged != tok:
        assert ticket_id_from_token(KEY, forged) is None


@settings(max_examples=200)
@given(st.text(max_size=200))
def test_arbitrary_text_is_never_a_token(text: str) -> None:
    assert ticket_id_from_token(KEY, text) is None
    assert receipt_from_token(KEY, text) is None


@given(RECEIPTS)
def test_application_token_round_trip(receipt: str) -> None:
    tok = application_token(KEY, receipt)
    assert tok.startswith(receipt + "-")
    assert receipt_from_token(KEY, tok) == receipt
    assert receipt_from_token("other", tok) is None
    # a tag for one receipt does not open another
    assert receipt_from_token(KEY, receipt + "X" + tok[len(receipt):]) is None


def test_ticket_and_application_tags_are_not_interchangeable() -> None:
    u = str(uuid.uuid4())
    hexid = uuid.UUID(u).hex
    app_tok = application_token(KEY, hexid)
    assert ticket_id_from_token(KEY, app_tok.replace("-", "")) is None


@given(st.uuids(version=4), RECEIPTS)
def test_scanner_classifies_our_links(u: uuid.UUID, receipt: str) -> None:
    base = "https://hall.example.gov.cn/q"
    ticket = classify(f"{base}/t/{ticket_token(KEY, str(u))}", base_url=base)
    assert (ticket.kind, ticket.value) == ("ticket", ticket_token(KEY, str(u)))
    receipt_scan = classify(f"{base}/a/{application_token(KEY, receipt)}", base_url=base)
    assert (receipt_scan.kind, receipt_scan.value) == ("receipt", application_token(KEY, receipt))
