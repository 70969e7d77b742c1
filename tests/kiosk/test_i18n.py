"""The gettext catalogues: Chinese first, English complete, same placeholders; every key the code
uses exists; language switch and fallback; the files are what Babel and gettext tools read."""

import logging
import re
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from common.i18n import LANGUAGES, LOCALE_DIR, Translator, catalogue, catalogue_path, placeholders

ROOT = Path(__file__).resolve().parents[2]


def test_every_msgid_exists_in_every_language_with_identical_placeholders() -> None:
    zh = catalogue("zh_CN")
    assert len(zh) > 300
    for lang in LANGUAGES:
        table = catalogue(lang)
        assert table.keys() == zh.keys(), lang
        for key, text in table.items():
            assert text.strip(), (lang, key)
            assert placeholders(text) == placeholders(zh[key]), (lang, key)


def test_the_files_are_clean_gettext_catalogues() -> None:
    template = LOCALE_DIR / "hall.pot"
    with template.open("rb") as fh:
        pot = read_po(fh)
    for lang in LANGUAGES:
        with catalogue_path(lang).open("rb") as fh:
            cat = read_po(fh, abort_invalid=True)
        ids = [m.id for m in cat if m.id]
        assert ids == sorted(ids), f"{lang}: keep the catalogue sorted"
        assert not [m.id for m in cat if m.id and m.fuzzy], f"{lang}: fuzzy entries are not shown"
        assert {m.id for m in pot if m.id} == set(ids), f"{lang}: template and catalogue differ"
        text = catalogue_path(lang).read_text("utf-8")
        braced = [k for k, v in catalogue(lang).items() if placeholders(v)]
        for key in braced:  # translators' tools check placeholders of flagged messages
            assert re.search(rf'#, python-brace-format\nmsgid "{re.escape(key)}"', text), (lang, key)


def test_every_key_used_in_the_code_exists() -> None:
    keys = set(catalogue("zh_CN"))
    used: set[str] = set()
    for path in [*ROOT.glob("kiosk/**/*.py"), *ROOT.glob("ui/**/*.py"), *ROOT.glob("devices/**/*.py"),
                 *ROOT.glob("queueing/**/*.py")]:
        source = path.read_text(encoding="utf-8")
        used |= set(re.findall(r'(?<![A-Za-z_])tr\("([a-z_][a-z0-9_.]+)"', source))
        used |= set(re.findall(r'(?<![A-Za-z_])tr\([a-z_]+, "([a-z_][a-z0-9_.]+)"', source))
        if path.name == "public_pages.py":
            used |= {"phone." + k for k in re.findall(r'(?<![A-Za-z_])t\(lang, "([a-z_][a-z0-9_.]+)"', source)}
    assert len(used) > 100
    assert used - keys == set()


def test_switching_language_and_fallback(caplog: pytest.LogCaptureFixture) -> None:
    tr = Translator("zh_CN")
    assert tr.tr("home.ticket") == "取号"
    tr.language = "en"
    assert tr.tr("home.ticket") == "Take a ticket"
    assert tr.tr("ticket.done.ahead", waiting=3, minutes=12) == "3 people ahead of you, about 12 minutes"
    assert tr.pick("社保", "Social security") == "Social security" and tr.pick("社保", "") == "社保"
    tr.language = "zh"                                   # the phone pages' spelling
    assert tr.language == "zh_CN" and tr.tr("phone.ticket.title") == "排队进度"
    with pytest.raises(ValueError):
        tr.language = "fr"
    with caplog.at_level(logging.WARNING, logger="common.i18n"):
        assert tr.tr("no.such.key.for.test") == "no.such.key.for.test"
        assert tr.tr("no.such.key.for.test") == "no.such.key.for.test"
    assert [r.getMessage() for r in caplog.records].count("missing translation") == 1
