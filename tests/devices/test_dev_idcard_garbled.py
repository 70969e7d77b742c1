"""A card whose text block is noise but whose type flag is valid is refused by the driver (the
number's shape and check digit are enforced), through a real pty from the simulator's bytes."""

import pytest

from devices.idcard.reader import IdCardReader, ProtocolError


def test_garbled_text_block_with_a_valid_flag_is_unreadable(idsim) -> None:
    reader = IdCardReader(idsim.url, timeout=1.0)
    try:
        idsim.insert("zhang_san")
        idsim.set_fault("garbled_text")
        with pytest.raises(ProtocolError, match="card data unreadable"):
            reader.read_card()
        idsim.set_fault(None)
        idsim.remove()
        idsim.insert("zhang_san")
        assert reader.read_card().id_number  # the same reader reads a sound card afterwards
    finally:
        reader.close()
