"""Second-generation ID-card reader (SAM serial protocol): frames, card parsing, reader, poller,
simulator, and the personal-data helpers (validation and masking of ID numbers and names)."""

from common.identity import age_on, mask_id_number, mask_name, validate_id_number
from devices.idcard.card import CardDataError, IdCard
from devices.idcard.frames import FrameError
from devices.idcard.reader import (
    IdCardError,
    IdCardReader,
    NoCardError,
    ProtocolError,
    ReaderTimeout,
    SamError,
)

__all__ = [
    "CardDataError",
    "FrameError",
    "IdCard",
    "IdCardError",
    "IdCardReader",
    "NoCardError",
    "ProtocolError",
    "ReaderTimeout",
    "SamError",
    "age_on",
    "mask_id_number",
    "mask_name",
    "validate_id_number",
]
