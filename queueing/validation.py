"""Validation of the untrusted fields of the hall service's requests, kept apart from the routes:
text that must survive UTF-8 (a lone surrogate in JSON decodes to a ``str`` that cannot be
encoded, hashed or stored), the phone page's ``?track=`` token, and integer path ids that must
fit SQLite's 64-bit integers. Each failure becomes a 4xx with a :class:`HallCode`, never a 500.
"""

from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import Path
from pydantic import AfterValidator

from queueing.codes import HallCode

SQLITE_MAX_INT = 2**63 - 1


def _encodable(value: str) -> str:
    """Refuse text that UTF-8 cannot carry (lone surrogates from ``\\udXXX`` escapes)."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("must be valid Unicode text (a lone surrogate was sent)") from None
    return value


#: a string field whose value is hashed or stored: valid Unicode only
Text = Annotated[str, AfterValidator(_encodable)]

#: an id in a path that names a row of an INTEGER PRIMARY KEY
RowId = Annotated[int, Path(ge=1, le=SQLITE_MAX_INT)]

#: body fields → the code of a 422 that names only that field
FIELD_CODES: dict[str, HallCode] = {
    "id_number": HallCode.INVALID_ID_NUMBER,
    "appointment_code": HallCode.INVALID_APPOINTMENT,
}


def token_matches(presented: str | None, expected: str) -> bool:
    """Constant-time comparison of a citizen's token; any non-ASCII token is simply wrong
    (``hmac.compare_digest`` raises ``TypeError`` on non-ASCII ``str``)."""
    if not presented or not presented.isascii():
        return False
    return hmac.compare_digest(presented.encode("ascii"), expected.encode("ascii"))
