"""The submission on A4 as a citizen gets it: at a kiosk whose kiosk.toml names an A4 printer (a
real CUPS queue on loopback, tests/cups_server.py), 无犯罪记录证明 submitted with the card, the
phone typed on the on-screen keyboard and 自取 tapped ends on the receipt screen with
打印A4版 (Print on A4); a tap sends the filled form and the case receipt to CUPS, and what CUPS
handed the printer is read back (pdftotext) and rendered (pdftoppm): the form with the answers
(the phone and the applicant masked), the receipt with the case number and 自取 — in Chinese, in elder
mode and in English. The button then gives way to the words that say where the pages are.
(Without an A4 printer the button is not there: test_accept_pickup.py's English test.)"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from PIL import Image

from tests.acceptance.person import Person
from tests.acceptance.test_accept_pickup import ITEM_EN, ITEM_ZH, en, submit_to_delivery, zh
from tests.cups_server import CupsServer, cups_or_skip, pdf_text, render_png

SECRETS = ("张三", "110101199003070513", "13812345678")


@pytest.fixture(scope="module")
def cups() -> Iterator[CupsServer]:
    yield from cups_or_skip()


def _flat(text: str) -> str:
    return "".join(text.split())


@pytest.mark.slow
@pytest.mark.parametrize("mode", ["zh", "elder", "en"])
def test_the_form_and_the_receipt_on_a4_from_the_receipt_screen(people: Callable[..., Person], tmp_path: Path,
                                                                 cups: CupsServer, mode: str) -> None:
    toml = tmp_path / "kiosk.toml"
    toml.write_text(f'[devices.a4_printer]\nconnection = "{cups.uri}"\n', encoding="utf-8")
    person = people(config=toml)
    tr = en if mode == "en" else zh
    if mode == "elder":
        person.tap("header_elder")
    elif mode == "en":
        person.tap("English")
    submit_to_delivery(person, tr)
    person.tap(tr("delivery.pickup"))
    person.wait_for(tr("submit.done.title"), timeout=15)
    numbers = [m.group(0) for t in person.texts() for m in re.finditer(r"SG\d{13}", t)]
    assert numbers, person.texts()
    before = len(cups.jobs())
    person.picture(f"{mode}-a4-submission")
    person.swipe_to(tr("submit.done.a4.print"))
    person.tap(tr("submit.done.a4.print"))
    person.wait_for(tr("submit.done.a4.printed"), timeout=20)
    assert not person.sees(tr("submit.done.a4.print")), person.texts()   # one print per submission
    form_pdf, receipt_pdf = cups.wait_for_jobs(before + 2)[-2:]
    form, receipt = _flat(pdf_text(form_pdf)), _flat(pdf_text(receipt_pdf))
    item = ITEM_ZH if tr is zh else ITEM_EN
    assert _flat(tr("a4.form.title", service=item)) in form, form
    assert "********678" in form, form                                    # the phone, masked
    assert _flat("就业" if tr is zh else "Employment") in form, form     # the answer as it was read
    assert "张*" in form and "110101********0513" in form, form
    assert _flat(tr("a4.receipt.title")) in receipt and numbers[0] in receipt, receipt
    assert _flat(tr("a4.receipt.service", service=item)) in receipt, receipt
    assert _flat(tr("delivery.done.pickup")) in receipt, receipt
    for secret in SECRETS:
        assert secret not in form and secret not in receipt, secret
    shots = Path(os.environ.get("HALL_A4_SHOTS") or tmp_path)   # to look at the pages
    for name, pdf in (("form", form_pdf), ("receipt", receipt_pdf)):
        png = render_png(pdf, shots / f"a4-submission-{mode}-{name}")
        gray = Image.open(png).convert("L")
        inked = sum(1 for p in gray.get_flattened_data() if p < 128) / (gray.width * gray.height)
        assert 0.002 < inked < 0.2, (name, inked)   # a page with text on it, not blank, not black
