"""电子证照 at the kiosk as a citizen uses it: in 自助申报, after the card, a material is taken from
the citizen's e-licence (an explicit consent screen first), a copy of the licence is printed on
A4 through a real CUPS queue (read back with pdftotext: the 「仅供…使用」 watermark and the masked
ID number, never the whole one), the application the platform received references the licence,
a tampered document is refused with words the citizen can act on, a platform without an e-licence
library simply has no such button, and after the visit nothing of the licences is left in the
kiosk (its session, its files, its logs). The platform is the reference platform over loopback
HTTP, as in every acceptance test; the card comes through the ID-card simulator's bytes."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from common.i18n import translate
from tests.acceptance.person import Person
from tests.acceptance.test_accept_english import item
from tests.acceptance.test_accept_submit_faults import zh
from tests.cups_server import CupsServer, cups_or_skip, pdf_text

ID_NUMBER = "110101199003070513"  # the simulator's zhang_san
SECRETS = (ID_NUMBER, "张三", "示例胡同")


def en(key: str, **kw: object) -> str:
    return str(translate("en", key, **kw))


@pytest.fixture(scope="module")
def cups() -> Iterator[CupsServer]:
    yield from cups_or_skip()


def _applications(person: Person) -> list[dict[str, Any]]:
    """What the platform holds from this kiosk, through its admin API."""
    admin = person.assembly.platform.running.admin()
    return [admin.record(r["id"]) for r in admin.records("kiosk-01") if r["kind"] == "application"]


def _received(person: Person) -> dict[str, Any]:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        found = _applications(person)
        if found:
            return found[0]
        person.wait(0.5)
    raise AssertionError("the platform never received the application")


def to_materials(person: Person) -> None:
    """自助申报 of 住房公积金提取 with zhang_san's card and the form typed on the keyboard (swiping
    to what elder mode's larger screen puts below): the materials."""
    def tap(label: str) -> None:
        person.swipe_to(label)
        person.tap(label)

    tap("自助申报")
    tap("住房公积金提取")
    person.wait_for("请将身份证放在读卡区")
    person.place_card("zhang_san")
    person.wait_for("联系电话")
    tap("租房")
    tap("field_phone")
    person.type("13812345678")
    person.press_key("\n")
    person.type("3000")
    person.press_key("\n")
    tap("下一步")
    person.wait_for("稍后补交")


def _flat(text: str) -> str:
    return "".join(text.split())


def _nothing_left(person: Person, *also: str) -> None:
    """The visit is over: the session holds nothing, no kiosk file carries the licence."""
    from kiosk import session as session_module

    core = person.assembly.core
    assert core.session.is_empty() and core.session.elicences is None
    assert not session_module._HELD, "photos or documents still held in memory"
    for path in (Path(person.assembly.config.data_dir) / "kiosk").rglob("*"):
        if path.is_file():
            blob = path.read_bytes()
            for secret in (*SECRETS, *also):
                assert secret.encode() not in blob, (secret, path)


@pytest.mark.slow
def test_zh_a_material_from_an_e_licence_a_printed_copy_and_the_submission(
        people: Callable[..., Person], tmp_path: Path, cups: CupsServer, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    toml = tmp_path / "kiosk.toml"
    toml.write_text(f'[devices.a4_printer]\nconnection = "{cups.uri}"\n', encoding="utf-8")
    person = people(config=toml)
    to_materials(person)                          # 住房公积金提取, zhang_san's card, the form
    person.wait_for(zh("elicence.button"))
    person.tap("elicence_1")                      # 购房合同或租房证明 from an e-licence
    person.wait_for(zh("elicence.consent"))       # asked first, on a screen of its own
    person.picture("zh-elicence-consent")
    assert person.sees(zh("elicence.consent.kept")), person.texts()
    person.tap(zh("elicence.consent.decline"))    # not yet: back to the materials, nothing asked
    person.wait_for(zh("submit.owe"))
    person.tap("elicence_1")
    person.tap(zh("elicence.consent.agree"))
    person.wait_for(zh("elicence.print", name="不动产权证书"))
    assert not person.sees(ID_NUMBER) and not person.sees("张三"), person.texts()
    before = len(cups.jobs())
    person.tap(zh("elicence.print", name="不动产权证书"))
    person.wait_for(zh("elicence.printed"), timeout=30)
    text = _flat(pdf_text(cups.wait_for_jobs(before + 1)[-1]))
    assert _flat("仅供住房公积金提取使用") in text, text
    assert "110101********0513" in text and ID_NUMBER not in text, text
    assert "张*" in text and "张三" not in text, text
    person.tap(zh("common.back"))
    person.wait_for(zh("elicence.use", name="不动产权证书"))
    person.tap(zh("elicence.use", name="不动产权证书"))
    person.wait_for(zh("submit.material.elicence"), timeout=15)
    person.tap(zh("common.next"))
    person.tap(zh("submit.accept"))
    person.wait_for(zh("submit.review"))
    assert person.sees("不动产权证书"), person.texts()
    person.tap(zh("submit.submit"))
    person.wait_for(zh("submit.done.title"), timeout=15)
    payload = _received(person)["payload"]
    [ref] = payload["elicences"]
    assert ref["type"] == "property_certificate" and ref["material"] == "购房合同或租房证明", ref
    assert len(ref["sha256"]) == 64 and len(ref["consent_id"]) == 32, ref
    assert {"name": "购房合同或租房证明", "status": "elicence"} in payload["materials"], payload["materials"]
    person.tap(zh("common.finish"))
    person.wait_for("自助申报")
    _nothing_left(person, ref["licence_id"], ref["consent_id"])
    logged = "\n".join(f"{r.getMessage()} {r.__dict__}" for r in caplog.records)
    for secret in (*SECRETS, ref["licence_id"], ref["consent_id"]):
        assert secret not in logged, secret


@pytest.mark.slow
def test_elder_a_tampered_licence_is_refused_then_the_citizen_walks_away(
        people: Callable[..., Person], tmp_path: Path) -> None:
    toml = tmp_path / "kiosk.toml"
    toml.write_text("[privacy]\nidle_seconds = 8\nform_idle_seconds = 8\nelder_idle_seconds = 8\n"
                    "countdown_seconds = 2\n", encoding="utf-8")
    person = people(config=toml)
    person.assembly.platform.running.admin().tamper_elicences("property_certificate")
    person.tap("header_elder")
    to_materials(person)
    person.wait_for(zh("elicence.button"))
    person.tap("elicence_1")
    person.tap(zh("elicence.consent.agree"))
    person.wait_for(zh("elicence.use", name="不动产权证书"))
    person.tap(zh("elicence.use", name="不动产权证书"))
    person.wait_for(zh("elicence.rejected"), timeout=15)
    assert person.sees(zh("elicence.rejected.body")), person.texts()
    person.tap(zh("common.back"))                 # the list again; the material is not given
    person.wait_for(zh("elicence.use", name="不动产权证书"))
    person.tap(zh("common.back"))
    person.wait_for(zh("submit.owe"))
    assert not person.sees(zh("submit.material.elicence")), person.texts()
    assert person.assembly.core.session.elicences is not None   # the list, until the visit ends
    person.wait(10)                               # walks away: the idle wipe
    person.wait_for("自助申报")
    _nothing_left(person)


def test_en_a_residence_permit_from_the_e_licence_library(person: Person) -> None:
    person.tap("English")
    person.tap(en("home.submit"))
    person.tap(item("S0103")["name_en"])
    person.wait_for(en("submit.card"))
    person.place_card("zhang_san")
    person.wait_for("Phone")
    person.tap("field_phone")
    person.type("13812345678")
    person.press_key("\n")
    person.type("2026-01")
    person.press_key("\n")
    person.tap(en("common.next"))
    person.wait_for(en("elicence.button"))
    person.tap("elicence_1")
    person.tap(en("elicence.consent.agree"))
    person.wait_for("Dongcheng Branch, Beijing Public Security Bureau")
    person.wait_for(en("elicence.use", name="Residence permit"))
    person.tap(en("elicence.use", name="Residence permit"))
    person.wait_for(en("submit.material.elicence"), timeout=15)
    person.tap(en("common.next"))
    person.tap(en("submit.accept"))
    person.tap(en("submit.submit"))
    person.wait_for(en("submit.done.title"), timeout=15)
    [ref] = _received(person)["payload"]["elicences"]
    assert ref["type"] == "residence_permit" and ref["material"] == "居住证", ref
    person.tap(en("common.finish"))
    person.tap(zh("home.guide"))                 # (a fresh session: Chinese) no A4 printer, no copies
    person.wait_for(zh("guide.by_zone"))
    assert not person.sees(zh("elicence.copy")), person.texts()


def test_a_platform_without_e_licences_offers_none(person: Person) -> None:
    # an older platform: 404 on the e-licence endpoints
    person.assembly.platform.running.admin().add_fault(fault="raw", status=404, path="/v1/elicences",
                                                       body='{"error": {"code": "not_found"}}',
                                                       content_type="application/json")
    to_materials(person)
    person.wait(1.5)
    assert not person.sees(zh("elicence.button")), person.texts()


def test_a_licence_signed_under_a_key_not_pinned_is_refused(
        people: Callable[..., Person], tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """The kiosk pins its issuer keys (``[elicences] issuer_keys``); the platform publishes and
    signs with another key for the same issuer id, as a lying platform would: the citizen is told
    the licence cannot be used, staff get a log line without anything personal in it."""
    import base64

    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

    caplog.set_level(logging.INFO)
    pinned = Ed25519PrivateKey.generate().public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    toml = tmp_path / "kiosk.toml"
    toml.write_text(f'[elicences]\nissuer_keys = {{ "demo-issuer-1" = "{base64.b64encode(pinned).decode()}" }}\n',
                    encoding="utf-8")
    person = people(config=toml)
    to_materials(person)
    person.wait_for(zh("elicence.button"))
    person.tap("elicence_1")
    person.tap(zh("elicence.consent.agree"))
    person.wait_for(zh("elicence.use", name="不动产权证书"))
    person.tap(zh("elicence.use", name="不动产权证书"))
    person.wait_for(zh("elicence.rejected"), timeout=15)
    assert person.sees(zh("elicence.rejected.body")), person.texts()
    [line] = [r for r in caplog.records if "not pinned" in r.getMessage()]
    assert line.levelno == logging.ERROR and line.__dict__["ctx"]["key_id"] == "demo-issuer-1"
    person.tap(zh("common.back"))
    person.tap(zh("common.back"))
    person.wait_for(zh("submit.owe"))
    assert not person.sees(zh("submit.material.elicence")), person.texts()
    logged = "\n".join(f"{r.getMessage()} {r.__dict__}" for r in caplog.records)
    for secret in SECRETS:
        assert secret not in logged, secret


@pytest.mark.parametrize("mode", ["zh", "elder", "en"])
def test_a_copy_of_an_e_licence_printed_from_the_guide(
        people: Callable[..., Person], tmp_path: Path, cups: CupsServer, caplog: pytest.LogCaptureFixture,
        mode: str) -> None:
    """打印电子证照复印件 outside any submission: 办事指南 → the entry → card → consent → a licence
    → what the copy is for → the A4 copy (read back from CUPS): 「仅供办理银行业务使用」 (English:
    "For banking only"), the date, the kiosk, the holder masked; then nothing of it left on the
    kiosk."""
    caplog.set_level(logging.DEBUG)
    toml = tmp_path / "kiosk.toml"
    toml.write_text(f'[devices.a4_printer]\nconnection = "{cups.uri}"\n', encoding="utf-8")
    person = people(config=toml)
    tr = en if mode == "en" else zh
    permit, register = ("Residence permit", "Household register") if mode == "en" else ("居住证", "户口簿")
    if mode == "elder":
        person.tap("header_elder")
    elif mode == "en":
        person.tap("English")
    person.tap(tr("home.guide"))
    person.wait_for(tr("elicence.copy"), timeout=15)   # shown once the platform said it has a library
    person.swipe_to(tr("elicence.copy"))
    person.tap(tr("elicence.copy"))
    person.wait_for(tr("elicence.copy.card"))
    person.place_card("zhang_san")
    person.wait_for(tr("elicence.copy.consent.body"))
    person.tap(tr("elicence.consent.agree"))
    person.wait_for(tr("elicence.copy.pick"))
    assert person.sees(tr("elicence.print", name=permit)), person.texts()
    assert not person.sees(ID_NUMBER) and not person.sees("张三"), person.texts()
    person.swipe_to(tr("elicence.print", name=register))
    person.tap(tr("elicence.print", name=register))
    person.wait_for(tr("elicence.copy.purpose"))
    before = len(cups.jobs())
    person.swipe_to(tr("elicence.copy.purpose.bank"))
    person.tap(tr("elicence.copy.purpose.bank"))
    person.wait_for(tr("elicence.printed"), timeout=30)
    text = _flat(pdf_text(cups.wait_for_jobs(before + 1)[-1]))
    mark = _flat(tr("a4.licence.only_for", purpose=tr("elicence.copy.purpose.bank")))
    assert mark in text and _flat(register) in text, text
    assert time.strftime("%Y-%m-%d") in text and "kiosk-01" in text, text
    assert "110101********0513" in text and ID_NUMBER not in text, text
    assert "张*" in text and "张三" not in text and "示例胡同" not in text, text
    person.tap(tr("common.back"))                # the list again, for another copy
    person.wait_for(tr("elicence.copy.pick"))
    person.tap(tr("common.home"))
    person.wait_for("自助申报")
    _nothing_left(person)
    logged = "\n".join(f"{r.getMessage()} {r.__dict__}" for r in caplog.records)
    for secret in SECRETS:
        assert secret not in logged, secret


def test_a_configured_platform_needs_pinned_issuer_keys(
        people: Callable[..., Person], tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """A kiosk on a configured platform (not the embedded demo) with no issuer keys pinned offers
    no e-licences, and the journal says why; with the issuer's key pinned (the deployer copies it
    from the issuer, here the reference platform's issuer) the 办事指南 entry is there."""
    from offline_cache.platform_server import start_reference_platform

    caplog.set_level(logging.INFO)
    running = start_reference_platform(tmp_path / "platform")
    try:
        base = (f'[platform]\nurl = "{running.base_url}"\ntoken = "{running.token}"\n'
                f'hall_key = "{running.hall_key}"\n\n[devices.a4_printer]\nconnection = "sim"\n')
        bare = tmp_path / "bare.toml"
        bare.write_text(base, encoding="utf-8")
        person = people(config=bare)
        person.tap(zh("home.guide"))
        person.wait_for(zh("guide.by_zone"))
        deadline = time.monotonic() + 15
        while not any("no issuer keys are pinned" in r.getMessage() for r in caplog.records):
            assert time.monotonic() < deadline, "the kiosk never asked the platform for its library"
            person.wait(0.3)
        person.wait(0.5)
        assert not person.sees(zh("elicence.copy")), person.texts()
        person.leave()
        issuer = running.platform.elicences
        assert issuer is not None
        [(key_id, key)] = issuer.types()["issuers"].items()
        pinned = tmp_path / "pinned.toml"
        pinned.write_text(base + f'\n[elicences]\nissuer_keys = {{ "{key_id}" = "{key["public_key"]}" }}\n',
                          encoding="utf-8")
        person = people(config=pinned)
        person.tap(zh("home.guide"))
        person.wait_for(zh("elicence.copy"), timeout=15)
    finally:
        running.stop()
