"""ID numbers of the four card types a second-generation reader returns, and personal-data masks.

The single place in the product that knows how an ID number is built and how personal data is
shown: the GB 11643 check digit, the number shapes of each card type, birth date and gender from
the number, age, and the one masking rule used on screens, paper, logs and phone pages
(``110105********0021``, ``张*``, ``阿***·***``). Facts come from the device-protocol reference
(§1.8 card types, §4 GB 11643); what it marks unverified is marked here too.

Card types (reference §1.8, the flag at byte 248 of the card's text block):

* ``' '`` resident ID card (居民身份证): 18 characters, GB 11643 check digit.
* ``'J'`` Hong Kong/Macao/Taiwan residents' residence permit (港澳台居民居住证): the same 18-character
  format and check digit. Its address codes 810000 (HK), 820000 (Macao), 830000 (Taiwan) are
  widely quoted but unverified, so they only inform :func:`guess_card_type` and never reject.
* ``'I'`` foreigner's permanent residence ID card, pre-2023 (外国人永久居留身份证): 15 characters,
  three letters and twelve digits (``^[A-Za-z]{3}\\d{12}$``); no check digit is known.
* ``'Y'`` the same card, 2023 edition: 18 characters beginning with ``9``, birth date at the
  resident card's place. The reference marks its check digit as unverified; the product applies
  the GB 11643 rule (as the number's published structure has it) and reports a mismatch as a
  problem of the read, like any other card.
"""

from __future__ import annotations

import datetime as dt
import enum
import re
import unicodedata

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK = "10X98765432"
_SHAPE_18 = re.compile(r"[0-9]{17}[0-9X]", re.ASCII)
_SHAPE_FOREIGN_OLD = re.compile(r"[A-Z]{3}[0-9]{12}", re.ASCII)


class CardType(enum.StrEnum):
    """The four card types; the values are what the card record and the platform carry."""

    RESIDENT = "resident_id"
    HMT_PERMIT = "hmt_residence_permit"
    FOREIGN_OLD = "foreign_permanent_residence"
    FOREIGN_2023 = "foreign_permanent_residence_2023"


CARD_TYPE_FLAGS: dict[str, CardType] = {
    " ": CardType.RESIDENT, "J": CardType.HMT_PERMIT, "I": CardType.FOREIGN_OLD, "Y": CardType.FOREIGN_2023,
}
HMT_REGION_CODES = {"810000": "HK", "820000": "MO", "830000": "TW"}  # unverified (reference §4)


def normalise_id_number(number: str) -> str:
    """Full-width to ASCII (a Pinyin keyboard types ``１``), no spaces, upper case (``x`` → ``X``)."""
    return "".join(unicodedata.normalize("NFKC", str(number)).split()).upper()


def check_digit(first17: str) -> str:
    """The GB 11643 / ISO 7064 MOD 11-2 check character of the first 17 digits."""
    if len(first17) != 17 or not first17.isascii() or not first17.isdigit():
        raise ValueError("check_digit needs exactly 17 ASCII digits")
    return _CHECK[sum(int(c) * w for c, w in zip(first17, _WEIGHTS, strict=True)) % 11]


def guess_card_type(number: str) -> CardType | None:
    """The card type a number's shape points to, for numbers typed or scanned without a card flag."""
    n = normalise_id_number(number)
    if _SHAPE_FOREIGN_OLD.fullmatch(n):
        return CardType.FOREIGN_OLD
    if not _SHAPE_18.fullmatch(n):
        return None
    if n[0] == "9":
        return CardType.FOREIGN_2023
    if n[:6] in HMT_REGION_CODES:
        return CardType.HMT_PERMIT
    return CardType.RESIDENT


def birth_date_from_id(number: str) -> dt.date | None:
    """The birth date in an 18-character number (positions 7-14), None when it is no real date."""
    n = normalise_id_number(number)
    if not _SHAPE_18.fullmatch(n):
        return None
    try:
        return dt.date(int(n[6:10]), int(n[10:12]), int(n[12:14]))
    except ValueError:
        return None


def gender_from_id(number: str) -> str | None:
    """'1' (male, odd sequence digit 17) or '2' (female, even), the card's gender codes."""
    n = normalise_id_number(number)
    if not _SHAPE_18.fullmatch(n):
        return None
    return "1" if int(n[16]) % 2 else "2"


def validate_id_number(number: str, *, card_type: CardType | str | None = None, birth_date: dt.date | None = None,
                       gender_code: str | None = None, today: dt.date | None = None) -> list[str]:
    """Problems with a card number; an empty list when it is valid.

    ``card_type`` (the card's flag, when a card was read) picks the rule; without it the shape
    decides. With ``birth_date``/``gender_code`` as read from the card, the number must agree.
    """
    n = normalise_id_number(number)
    kind = CardType(card_type) if card_type else guess_card_type(n) or CardType.RESIDENT
    if kind is CardType.FOREIGN_OLD:
        if not _SHAPE_FOREIGN_OLD.fullmatch(n):
            return [f"permanent residence number must be 3 letters and 12 digits (got {len(n)} characters)"]
        return []
    if not _SHAPE_18.fullmatch(n):
        return [f"ID number must be 17 digits and a digit or X (got {len(n)} characters)"]
    problems: list[str] = []
    if kind is CardType.FOREIGN_2023 and n[0] != "9":
        problems.append("a 2023 permanent residence number begins with 9")
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


def is_valid_id_number(number: str, card_type: CardType | str | None = None) -> bool:
    return not validate_id_number(number, card_type=card_type)


# ------------------------------------------------------------------------------- masks

MASK = "*"
# Characters that separate the parts of a name and stay visible: the interpunct of minority and
# transliterated names (阿卜杜拉·买买提) in its look-alikes, and the spaces, hyphens and commas of
# the Latin names on foreigners' cards.
NAME_SEPARATORS = frozenset("·•‧・．. -‐,，")
_MAX_RUN = 3  # a long part masks to *** like a short one: paper width, and length says little


def mask_id_number(number: str) -> str:
    """An ID number as it may be shown or printed.

    18 characters (resident, HMT permit, 2023 foreigner's card): the address code and the last
    four, ``110105********0021``; the old foreigner's card: the nationality letters and the last
    four, ``USA********3001``; anything else shows at most its last third, up to four characters.
    """
    n = normalise_id_number(number)
    if len(n) == 18:
        return n[:6] + MASK * 8 + n[-4:]
    if len(n) == 15 and _SHAPE_FOREIGN_OLD.fullmatch(n):
        return n[:3] + MASK * 8 + n[-4:]
    keep = min(4, len(n) // 3)
    return MASK * (len(n) - keep) + n[len(n) - keep:]


def _units(name: str) -> list[str]:
    """What a reader sees as one character: a code point with its combining marks and variation
    selectors (an IVS glyph of a rare surname stays one unit). Ext B+ ideographs are single code
    points in a Python str, so ``𠀾`` is one unit like ``䶮``."""
    units: list[str] = []
    for ch in name:
        attaches = unicodedata.combining(ch) or unicodedata.category(ch) in ("Mn", "Me", "Mc") \
            or 0xFE00 <= ord(ch) <= 0xFE0F or 0xE0100 <= ord(ch) <= 0xE01EF or ch == "\u200d"
        if attaches and units:
            units[-1] += ch
        else:
            units.append(ch)
    return units


def mask_name(name: str) -> str:
    """The one name mask: keep the first unit, mask the rest, keep separators.

    ``张三`` → ``张*``, ``欧阳娜娜`` → ``欧***``, ``王䶮`` → ``王*``, ``䶮`` → ``*`` (a one-character
    name would be shown whole), ``阿卜杜拉·买买提`` → ``阿***·***``, ``JOHN SMITH`` → ``J*** ***``.
    Each run of masked characters is at most three stars. Masking a masked name changes nothing.
    """
    units = _units(" ".join(str(name).split()))
    letters = [u for u in units if u not in NAME_SEPARATORS]
    if len(letters) <= 1:
        return MASK if letters else ""
    out: list[str] = []
    run, kept = 0, False
    for u in units:
        if u in NAME_SEPARATORS:
            out.append(u)
            run = 0
        elif not kept:
            out.append(u)
            kept = True
        elif run < _MAX_RUN:
            out.append(MASK)
            run += 1
    return "".join(out)


# The ID numbers of every card type as they may stand in free text (logs, exception messages):
# 18 characters (resident, HMT, 2023 foreigner's card) and 15 (old foreigner's card), ASCII or
# full-width, not inside a longer run of letters and digits.
_IN_TEXT = re.compile(
    r"(?<![0-9A-Za-z０-９Ａ-Ｚａ-ｚ])"
    r"(?:[0-9０-９]{17}[0-9０-９XxＸｘ]|[A-Za-zＡ-Ｚａ-ｚ]{3}[0-9０-９]{12})"
    r"(?![0-9A-Za-z０-９Ａ-Ｚａ-ｚ])"
)


def scrub_id_numbers(text: str) -> str:
    """Replace every ID number of any card type in ``text`` by its mask."""
    return _IN_TEXT.sub(lambda m: mask_id_number(m.group(0)), text)


def age_on(id_or_birthdate: str | dt.date, on: dt.date | None = None) -> int:
    """Completed years on ``on`` (default today), from an ID number, 'YYYYMMDD', 'YYYY-MM-DD' or a date."""
    on = on or dt.date.today()
    if isinstance(id_or_birthdate, dt.datetime):
        born = id_or_birthdate.date()
    elif isinstance(id_or_birthdate, dt.date):
        born = id_or_birthdate
    else:
        text = normalise_id_number(id_or_birthdate).replace("-", "")
        parsed: dt.date | None = None
        if len(text) == 18:
            parsed = birth_date_from_id(text)
        elif len(text) == 8 and text.isascii() and text.isdigit():
            try:
                parsed = dt.date(int(text[:4]), int(text[4:6]), int(text[6:]))
            except ValueError:
                parsed = None
        if parsed is None:
            raise ValueError("not an ID number or a YYYYMMDD birth date")
        born = parsed
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))
