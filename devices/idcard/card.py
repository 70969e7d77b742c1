"""The card record and the 256-byte text block of the four card types (reference §1.5-1.9).

``parse_text_block`` turns the UCS-2LE block into an :class:`IdCard`; ``build_text_block`` is its
inverse, used by the simulator so both sides share one layout table. Parsers raise only
:class:`CardDataError` (a ``ValueError``). Personal data never appears in ``repr``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field

from common.identity import mask_id_number, mask_name, validate_id_number

TEXT_LEN = 256
PHOTO_LEN = 1024
LONG_TERM = "长期"

RESIDENT = "resident_id"                      # 居民身份证, flag ' '
HMT_PERMIT = "hmt_residence_permit"           # 港澳台居民居住证, flag 'J'
FOREIGN_OLD = "foreign_permanent_residence"   # 外国人永久居留身份证 (pre-2023), flag 'I'
FOREIGN_2023 = "foreign_permanent_residence_2023"  # 2023 edition, flag 'Y'
FLAGS = {" ": RESIDENT, "J": HMT_PERMIT, "I": FOREIGN_OLD, "Y": FOREIGN_2023}
CARD_TYPE_NAMES = {
    RESIDENT: "居民身份证",
    HMT_PERMIT: "港澳台居民居住证",
    FOREIGN_OLD: "外国人永久居留身份证",
    FOREIGN_2023: "外国人永久居留身份证(2023版)",
}

GENDERS = {"1": "男", "2": "女", "9": "未说明"}
_NATION_NAMES = (
    "汉 蒙古 回 藏 维吾尔 苗 彝 壮 布依 朝鲜 满 侗 瑶 白 土家 哈尼 哈萨克 傣 黎 傈僳 佤 畲 高山 拉祜 水 东乡 "
    "纳西 景颇 柯尔克孜 土 达斡尔 仫佬 羌 布朗 撒拉 毛南 仡佬 锡伯 阿昌 普米 塔吉克 怒 乌孜别克 "
    "俄罗斯 鄂温克 德昂 保安 裕固 京 塔塔尔 独龙 鄂伦春 赫哲 门巴 珞巴 基诺 其他 外国血统中国籍人士"
)
NATIONS = dict(
    zip([f"{i:02d}" for i in range(1, 57)] + ["97", "98"], _NATION_NAMES.split(" "), strict=True)
)

# field -> (byte offset, byte length) per card type (reference §1.6 and §1.8).
LAYOUTS: dict[str, dict[str, tuple[int, int]]] = {
    RESIDENT: {
        "name": (0, 30), "gender": (30, 2), "nation": (32, 4), "birth": (36, 16), "address": (52, 70),
        "id_number": (122, 36), "issuer": (158, 30), "valid_from": (188, 16), "valid_to": (204, 16),
    },
    HMT_PERMIT: {
        "name": (0, 30), "gender": (30, 2), "birth": (36, 16), "address": (52, 70), "id_number": (122, 36),
        "issuer": (158, 30), "valid_from": (188, 16), "valid_to": (204, 16), "permit_number": (220, 18),
        "issue_count": (238, 4),
    },
    FOREIGN_OLD: {
        "english_name": (0, 120), "gender": (120, 2), "id_number": (122, 30), "nationality": (152, 6),
        "name": (158, 30), "valid_from": (188, 16), "valid_to": (204, 16), "birth": (220, 16),
        "card_version": (236, 4), "authority_code": (240, 8),
    },
    FOREIGN_2023: {
        "name": (0, 30), "gender": (30, 2), "renewal_count": (32, 4), "birth": (36, 16),
        "english_name": (52, 70), "id_number": (122, 36), "valid_from": (188, 16), "valid_to": (204, 16),
        "english_name_2": (220, 22), "nationality": (242, 6), "previous_number_link": (250, 6),
    },
}
FLAG_OFFSET = 248


class CardDataError(ValueError):
    """The text block cannot be read as any known card type."""


PhotoDecoder = Callable[[bytes], bytes]
_photo_decoder: PhotoDecoder | None = None


def set_photo_decoder(decoder: PhotoDecoder | None) -> None:
    """Install the vendor WLT decoder (WLT bytes → BMP bytes); none ships with the product."""
    global _photo_decoder
    _photo_decoder = decoder


def _date(text: str) -> dt.date | None:
    if len(text) == 8 and text.isascii() and text.isdigit():
        try:
            return dt.date(int(text[:4]), int(text[4:6]), int(text[6:]))
        except ValueError:
            return None
    return None


@dataclass(repr=False)
class IdCard:
    card_type: str
    name: str
    gender_code: str
    birth_text: str
    id_number: str
    valid_from_text: str
    valid_to_text: str
    nation_code: str = ""
    address: str = ""
    issuer: str = ""
    extra: dict[str, str] = field(default_factory=dict)
    photo: bytes = b""
    fingerprint: bytes | None = None
    appended_address: str | None = None

    @property
    def gender(self) -> str:
        return GENDERS.get(self.gender_code, "未知")

    @property
    def nation(self) -> str:
        if self.card_type == RESIDENT:
            return NATIONS.get(self.nation_code, f"未知({self.nation_code})" if self.nation_code else "")
        return self.extra.get("nationality", "")

    @property
    def birth_date(self) -> dt.date | None:
        return _date(self.birth_text)

    @property
    def valid_from(self) -> dt.date | None:
        return _date(self.valid_from_text)

    @property
    def valid_to(self) -> dt.date | None:
        """None when the card is long-term (长期) or the date is unreadable."""
        return _date(self.valid_to_text)

    @property
    def long_term(self) -> bool:
        return self.valid_to_text == LONG_TERM

    def is_expired(self, on: dt.date | None = None) -> bool:
        end = self.valid_to
        return end is not None and end < (on or dt.date.today())

    def problems(self, on: dt.date | None = None) -> list[str]:
        """Consistency checks on what was read: number, birth date, gender, validity."""
        found: list[str] = []
        if self.card_type in (RESIDENT, HMT_PERMIT, FOREIGN_2023):
            found += validate_id_number(self.id_number, birth_date=self.birth_date,
                                        gender_code=self.gender_code, today=on)
        if self.birth_date is None:
            found.append(f"unreadable birth date {self.birth_text!r}")
        if self.valid_to is None and not self.long_term:
            found.append(f"unreadable expiry date {self.valid_to_text!r}")
        if self.is_expired(on):
            found.append(f"card expired on {self.valid_to.isoformat()}")  # type: ignore[union-attr]
        return found

    def photo_bmp(self) -> tuple[bytes | None, str]:
        """(BMP bytes, "") with a vendor decoder installed, else (None, why not)."""
        if not self.photo:
            return None, "the card returned no photo"
        if _photo_decoder is None:
            return None, "photo is WLT-encoded; no vendor WLT decoder installed"
        try:
            return _photo_decoder(self.photo), ""
        except Exception as exc:  # a vendor library may raise anything; the read itself stands
            return None, f"WLT decoder failed: {exc}"

    def to_dict(self, *, masked: bool = True) -> dict[str, object]:
        """The CLI's JSON record (keys in contract order); masked unless asked otherwise."""
        def iso(d: dt.date | None, text: str) -> str:
            return d.isoformat() if d else text
        record: dict[str, object] = {
            "card_type": self.card_type,
            "name": self.name if not masked else mask_name(self.name),
            "gender": self.gender,
            "nation": self.nation,
            "birth_date": iso(self.birth_date, self.birth_text) if not masked else "****-**-**",
            "address": self.address if not masked else ("***" if self.address else ""),
            "id_number": self.id_number if not masked else mask_id_number(self.id_number),
            "issuer": self.issuer,
            "valid_from": iso(self.valid_from, self.valid_from_text),
            "valid_to": iso(self.valid_to, self.valid_to_text),
            "card_type_name": CARD_TYPE_NAMES[self.card_type],
            "expired": self.is_expired(),
            "problems": self.problems(),
            "photo_bytes": len(self.photo),
            "fingerprint_bytes": len(self.fingerprint or b""),
        }
        if not masked:
            record["extra"] = dict(self.extra)
            if self.appended_address:
                record["appended_address"] = self.appended_address
        return record

    def __repr__(self) -> str:
        return (f"IdCard({self.card_type}, name={mask_name(self.name)!r}, "
                f"id_number={mask_id_number(self.id_number)!r})")

    __str__ = __repr__


def _decode(block: bytes, off: int, length: int) -> str:
    return block[off:off + length].decode("utf-16-le", errors="replace").rstrip(" \x00")


def card_type_of(block: bytes) -> str:
    if len(block) != TEXT_LEN:
        raise CardDataError(f"text block must be {TEXT_LEN} bytes, got {len(block)}")
    flag = block[FLAG_OFFSET:FLAG_OFFSET + 2].decode("utf-16-le", errors="replace")
    if flag not in FLAGS:
        raise CardDataError(f"unknown card type flag {flag!r}")
    return FLAGS[flag]


def parse_text_block(block: bytes, photo: bytes = b"") -> IdCard:
    block = bytes(block)
    kind = card_type_of(block)
    f = {name: _decode(block, off, ln) for name, (off, ln) in LAYOUTS[kind].items()}
    extra = {k: v for k, v in f.items() if k not in (
        "name", "gender", "nation", "birth", "address", "id_number", "issuer", "valid_from", "valid_to")}
    if kind == FOREIGN_2023:
        extra["english_name"] = (extra.pop("english_name", "") + extra.pop("english_name_2", "")).rstrip()
    name = f.get("name") or extra.get("english_name", "")
    # The flag alone says nothing about the rest: a damaged chip or a forged block must not pass
    # as a card. The number's shape and check digit are enforced here; the softer checks (dates,
    # expiry) stay in IdCard.problems() for the flows to explain.
    wrong = validate_id_number(f.get("id_number", ""), card_type=kind)
    shape = [p for p in wrong if "in the future" not in p]  # the clock is not the card's fault
    if shape:
        raise CardDataError(f"{kind}: the card number is not valid ({shape[0]})")
    return IdCard(
        card_type=kind, name=name, gender_code=f.get("gender", ""), birth_text=f.get("birth", ""),
        id_number=f.get("id_number", ""), valid_from_text=f.get("valid_from", ""),
        valid_to_text=f.get("valid_to", ""), nation_code=f.get("nation", ""), address=f.get("address", ""),
        issuer=f.get("issuer", ""), extra={k: v for k, v in extra.items() if v}, photo=photo,
    )


def _encode(text: str, length: int) -> bytes:
    raw = text.encode("utf-16-le")
    if len(raw) > length:
        raise ValueError(f"{text!r} does not fit in {length} bytes")
    return raw + " ".encode("utf-16-le") * ((length - len(raw)) // 2)


def build_text_block(card: IdCard) -> bytes:
    """Inverse of :func:`parse_text_block` (for the simulator and tests)."""
    values = {
        "name": card.name, "gender": card.gender_code, "nation": card.nation_code, "birth": card.birth_text,
        "address": card.address, "id_number": card.id_number, "issuer": card.issuer,
        "valid_from": card.valid_from_text, "valid_to": card.valid_to_text, **card.extra,
    }
    if card.card_type == FOREIGN_2023:
        english = card.extra.get("english_name", "")
        values["english_name"], values["english_name_2"] = english[:35], english[35:]
    if card.card_type == FOREIGN_OLD and not values.get("english_name"):
        values["english_name"] = card.name
    block = bytearray(" ".encode("utf-16-le") * (TEXT_LEN // 2))
    for key, (off, ln) in LAYOUTS[card.card_type].items():
        block[off:off + ln] = _encode(values.get(key, ""), ln)
    flag = {v: k for k, v in FLAGS.items()}[card.card_type]
    block[FLAG_OFFSET:FLAG_OFFSET + 2] = flag.encode("utf-16-le")
    return bytes(block)
