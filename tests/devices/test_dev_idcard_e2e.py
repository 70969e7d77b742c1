"""The reader driver against the simulator through a real pty / TCP socket, faults included."""

import datetime as dt

import pytest
from dev_helpers import wait_for

from common.identity import age_on
from devices.idcard.card import FOREIGN_2023, FOREIGN_OLD, HMT_PERMIT, RESIDENT
from devices.idcard.poller import CardPoller
from devices.idcard.reader import (
    IdCardReader,
    NoCardError,
    ProtocolError,
    ReaderDisconnected,
    ReaderTimeout,
    SamError,
)
from devices.state import DeviceState


@pytest.fixture
def reader(idsim):
    r = IdCardReader(idsim.url, timeout=1.0)
    yield r
    r.close()


def test_reads_every_identity(idsim, reader):
    types = set()
    for key, expected in idsim.identities().items():
        idsim.insert(key)
        card = reader.read_card(appended_address=True)
        types.add(card.card_type)
        got = (card.name, card.id_number, card.card_type)
        assert got == (expected.name, expected.id_number, expected.card_type)
        assert len(card.photo) == 1024
    assert types == {RESIDENT, HMT_PERMIT, FOREIGN_OLD, FOREIGN_2023}


def test_rare_character_elderly_expired(idsim, reader):
    idsim.insert("rare_name")
    assert reader.read_card().name == "王䶮"
    idsim.insert("elderly")
    card = reader.read_card(appended_address=True)
    assert card.long_term and card.valid_to is None and not card.is_expired()
    assert age_on(card.birth_date, dt.date(2025, 1, 1)) >= 70
    assert card.appended_address and card.appended_address.startswith("江苏省")
    idsim.insert("expired")
    card = reader.read_card()
    assert card.is_expired() and any("expired" in p for p in card.problems())


def test_card_is_not_found_twice_until_lifted(idsim, reader):
    idsim.insert("zhang_san")
    reader.read_card()
    assert reader.find_card() is False
    assert reader.select_card() is True      # still lying there
    idsim.remove()
    assert reader.select_card() is False
    idsim.insert("zhang_san")
    assert reader.find_card() is True


def test_sam_commands_and_fingerprint(idsim, reader):
    reader.reset()
    assert reader.sam_status() == 0x90
    assert reader.sam_id().startswith("05-01-")
    idsim.insert("zhang_san")
    assert len(reader.read_card(fingerprint=True).fingerprint or b"") == 1024
    idsim.insert("rare_name")   # no fingerprint on this card: 0x91, then the base read
    card = reader.read_card(fingerprint=True)
    assert card.fingerprint is None and card.name == "王䶮"


def test_photo_needs_a_vendor_decoder(idsim, reader):
    from devices.idcard.card import set_photo_decoder

    idsim.insert("zhang_san")
    card = reader.read_card()
    bmp, why = card.photo_bmp()
    assert bmp is None and "WLT" in why
    set_photo_decoder(lambda wlt: b"BM" + wlt[:10])
    try:
        assert card.photo_bmp()[0].startswith(b"BM")
    finally:
        set_photo_decoder(None)


@pytest.mark.parametrize(("fault", "error", "text"), [
    ("no_card", NoCardError, "no card"),
    ("unreadable", SamError, "0x41"),
    ("bad_checksum", ProtocolError, "checksum"),
    ("sam_failure", SamError, "0x60"),
    ("silent", ReaderTimeout, "no complete reply"),
])
def test_faults_raise_clear_errors(idsim, reader, fault, error, text):
    idsim.insert("zhang_san")
    idsim.set_fault(fault)
    with pytest.raises(error, match=text):
        reader.read_card()


def test_garbage_and_slow_replies_still_read(idsim, reader):
    idsim.insert("zhang_san")
    idsim.set_fault("garbage")
    assert reader.read_card().name == "张三"
    idsim.insert("elderly")
    idsim.set_fault("slow")
    reader.timeout = 3.0
    assert reader.read_card().name == "李秀英"


def test_disconnect_and_replug(idsim_tcp):
    r = IdCardReader(idsim_tcp.url, timeout=1.0)
    try:
        assert r.sam_status() == 0x90
        idsim_tcp.set_fault("disconnect")
        with pytest.raises(ReaderDisconnected):
            r.find_card()
        with pytest.raises(ReaderDisconnected):
            r.find_card()        # reopening fails while unplugged
        idsim_tcp.set_fault(None)
        assert r.find_card() is False
    finally:
        r.close()


def test_poller_reads_once_notices_removal_and_reconnects(idsim_tcp):
    events = []
    poller = CardPoller(idsim_tcp.url, on_card=lambda c: events.append(("card", c.name)),
                        on_removed=lambda: events.append(("removed",)),
                        on_state=lambda s, r: events.append(("state", s)), interval=0.05, timeout=0.5)
    poller.start()
    try:
        wait_for(lambda: poller.state == DeviceState.READY)
        idsim_tcp.insert("zhang_san")
        wait_for(lambda: ("card", "张三") in events)
        before = idsim_tcp.requests
        wait_for(lambda: idsim_tcp.requests > before + 10)   # many polls while the card lies there
        assert poller.reads == 1
        idsim_tcp.remove()
        wait_for(lambda: ("removed",) in events)
        idsim_tcp.set_fault("disconnect")
        wait_for(lambda: poller.state == DeviceState.DISCONNECTED)
        idsim_tcp.set_fault(None)
        wait_for(lambda: poller.state == DeviceState.READY, timeout=10)
        idsim_tcp.insert("rare_name")
        wait_for(lambda: ("card", "王䶮") in events)
        idsim_tcp.set_fault("garbage")
        idsim_tcp.remove()
        wait_for(lambda: events[-1] == ("removed",))
    finally:
        poller.stop()
    assert poller.reads == 2


def test_poller_reports_sam_failure(idsim):
    states = []
    idsim.set_fault("sam_failure")
    poller = CardPoller(idsim.url, on_card=lambda c: None, on_state=lambda s, r: states.append((s, r)),
                        interval=0.05, timeout=0.5)
    poller.start()
    try:
        wait_for(lambda: any(s == DeviceState.ERROR and "0x60" in (r or "") for s, r in states))
        idsim.set_fault(None)
        wait_for(lambda: poller.state == DeviceState.READY, timeout=10)
    finally:
        poller.stop()
