"""Citizen ID numbers (GB 11643-1999, reference §4) and personal-data masking.

The single place in the product that knows how an ID number is built: validation, the check
digit, birth date and gender from the number, age, and the masks used on screens, paper, logs and
events (``110105********0021``, ``张*``).
"""

from __future__ import annotations

import datetime as dt
import re

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK = "10X98765432"
_SHAPE = re.compile(r"^\d{17}[\dX]$")


def normalise_id_number(number: str) -> str:
    """Strip spaces and upper-case the check character ('x' → 'X')."""
    return number.strip().replace(" ", "").upper()


def check_digit(first17: str) -> str:
    if len(first17) != 17 or not first17.isascii() or not first17.isdigit():
        raise ValueError("check_digit needs exactly 17 ASCII digits")
    return _CHECK[sum(int(c) * w for c, w in zip(first17, _WEIGHTS, strict=True)) % 11]


def birth_date_from_id(number: str) -> dt.date | None:
    number = normalise_id_number(number)
    if len(number) != 18 or not number[6:14].isascii() or not number[6:14].isdigit():
        return None
    try:
        return dt.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        return None


def gender_from_id(number: str) -> str | None:
    """'1' (male, odd sequence digit 17) or '2' (female, even), the card's gender codes."""
    number = normalise_id_number(number)
    if len(number) != 18 or not number[16].isdigit():
        return None
    return "1" if int(number[16]) % 2 else "2"


def validate_id_number(number: str, *, birth_date: dt.date | None = None, gender_code: str | None = None,
                       today: dt.date | None = None) -> list[str]:
    """Problems with an 18-character ID number; empty list when it is valid.

    With ``birth_date``/``gender_code`` (as read from the card) the number must agree with them.
    """
    problems: list[str] = []
    n = normalise_id_number(number)
    if not _SHAPE.match(n):
        return [f"ID number must be 17 digits and a digit or X (got {len(n)} characters)"]
    expected = check_digit(n[:17])
    if n[17] != expected:
        problems.append(f"check digit is {n[17]}, expected {expected}")
    born = birth_date_from_id(n)
    if born is None:
        problems.append(f"birth date {n[6:14]} in the number is not a real date")
    else:
        if born > (today or dt.date.today()):
            problems.append(f"birth date {born.isoformat()} is in the future")
        if birth_date is not None and birth_date != born:
            problems.append(f"birth date on card {birth_date.isoformat()} does not match the number")
    if gender_code in ("1", "2") and gender_from_id(n) != gender_code:
        problems.append("gender on card does not match the sequence digit of the number")
    return problems


def is_valid_id_number(number: str) -> bool:
    return not validate_id_number(number)


def mask_id_number(number: str) -> str:
    """Keep the region code and the last four: ``110105********0021``. Other numbers keep 3 + 4."""
    n = normalise_id_number(number)
    if len(n) == 18:
        return n[:6] + "*" * 8 + n[-4:]
    if len(n) <= 4:
        return "*" * len(n)
    head = 3 if len(n) > 8 else 0
    return n[:head] + "*" * (len(n) - head - 4) + n[-4:]


def mask_name(name: str) -> str:
    """Keep the first character only: ``张三`` → ``张*``, ``欧阳娜娜`` → ``欧***``, ``䶮`` → ``*``."""
    name = name.strip()
    chars = list(name)
    if len(chars) <= 1:
        return "*" if chars else ""
    return chars[0] + "".join(" " if c == " " else "*" for c in chars[1:])


def age_on(id_or_birthdate: str | dt.date, on: dt.date | None = None) -> int:
    """Completed years on ``on`` (default today), from an ID number, 'YYYYMMDD', 'YYYY-MM-DD' or a date."""
    on = on or dt.date.today()
    if isinstance(id_or_birthdate, dt.datetime):
        born = id_or_birthdate.date()
    elif isinstance(id_or_birthdate, dt.date):
        born = id_or_birthdate
    else:
        text = normalise_id_number(id_or_birthdate).replace("-", "")
        if len(text) == 18:
            parsed = birth_date_from_id(text)
        elif len(text) == 8 and text.isdigit():
            try:
                parsed = dt.date(int(text[:4]), int(text[4:6]), int(text[6:]))
            except ValueError:
                parsed = None
        else:
            parsed = None
        if parsed is None:
            raise ValueError("not an ID number or a YYYYMMDD birth date")
        born = parsed
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))
