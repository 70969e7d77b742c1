"""Chinese first, English complete: both tables have the same keys and placeholders."""

import re
import string

from kiosk.i18n import Translator, strings


def _fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_tables_have_the_same_keys_and_placeholders() -> None:
    zh, en = strings("zh_CN"), strings("en")
    assert zh.keys() == en.keys()
    for key in zh:
        assert _fields(zh[key]) == _fields(en[key]), key
        assert zh[key].strip() and en[key].strip(), key


def test_every_key_used_in_the_code_exists() -> None:
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    keys = set(strings("zh_CN"))
    used = set()
    for path in list((root / "kiosk").rglob("*.py")) + list((root / "ui").rglob("*.py")):
        used |= set(re.findall(r'(?<![A-Za-z_])tr\("([a-z_.]+)"', path.read_text(encoding="utf-8")))
    assert used - keys == set()


def test_switching_language_and_fallback() -> None:
    tr = Translator("zh_CN")
    assert tr.tr("home.ticket") == "取号"
    tr.language = "en"
    assert tr.tr("home.ticket") == "Take a ticket"
    assert tr.tr("ticket.done.ahead", waiting=3, minutes=12) == "3 people ahead of you, about 12 minutes"
    assert tr.tr("no.such.key") == "no.such.key"
