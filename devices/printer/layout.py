"""Layout elements that templates produce and the encoder turns into ESC/POS bytes."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Text:
    text: str
    size: int = 1          # 1..4: character width and height multiplier
    align: str = "left"    # left | center | right
    bold: bool = False


@dataclass(frozen=True)
class QR:
    data: str
    module: int = 5        # dots per module


@dataclass(frozen=True)
class Rule:
    pass


@dataclass(frozen=True)
class Feed:
    lines: int = 1


Element = Text | QR | Rule | Feed


def char_columns(ch: str) -> int:
    """Half-width columns a character takes on the printer: in the GB font every non-ASCII
    character is a double-byte, full-width glyph (even '·' and '—')."""
    return 1 if ch.isascii() else 2


def wrap_columns(text: str, columns: int) -> list[str]:
    """Wrap by display columns: Latin words break at spaces, Chinese anywhere."""
    lines: list[str] = []
    for para in text.split("\n"):
        line, used = "", 0
        for ch in para:
            w = char_columns(ch)
            if used + w > columns and line:
                cut = line.rfind(" ")
                if ch.isascii() and ch != " " and cut > 0 and line[-1].isascii():
                    lines.append(line[:cut].rstrip())
                    line = line[cut + 1:]
                else:
                    lines.append(line.rstrip())
                    line = ""
                used = sum(char_columns(c) for c in line)
                if ch == " " and not line:
                    continue
            line += ch
            used += w
        lines.append(line.rstrip())
    return lines
