"""电子证照 in 自助申报: a required material taken from the citizen's e-licence instead of a photo,
and a watermarked copy of an e-licence printed on the A4 printer.

Where the platform has an e-licence library (docs/platform-contract.md; an older platform answers
404 and the option is not shown), a material that a licence type stands for gets 用电子证照. The
first tap asks for the citizen's consent on its own screen (the card was read at the start of the
submission); only then are the holder's licences listed, under that consent. 使用 fetches the
document and checks its sha256 and its issuer's signature before the material counts as given;
the application then references the licence (id, type, sha256, consent), it carries no copy.
打印复印件 fetches and checks the document the same way, blacks out the personal regions the
platform names, and prints it under 「仅供…使用」 with the date, the kiosk and the masked holder.

打印电子证照复印件 outside a submission (:class:`ElicenceCopyFlow`, entered from 办事指南 where
the kiosk has an A4 printer and the platform a library) reuses the same steps: card, consent,
any of the holder's licences, a purpose from :data:`COPY_PURPOSES`, the copy. Only issuer keys
pinned in ``[elicences] issuer_keys`` count (:class:`IssuerTrust`).

Everything lives in the session (:class:`Held`, ``Session.elicences``) and in memory only: the
consent, the list and the fetched bytes are forgotten when the session is wiped (finish, home or
idle), nothing is written to disk (the PDF page is rendered through pipes) and nothing personal
is logged. Platform calls run off the kiosk worker while the screen says 正在查询.
"""

from __future__ import annotations

import io
import logging
import shutil
import subprocess
import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from kiosk.background import off_worker
from kiosk.flows.base import Flow, Screen, choice

if TYPE_CHECKING:
    from kiosk.flows.submit import SubmitFlow
    from offline_cache.elicence_client import ElicenceClient, Library, Licence

log = logging.getLogger(__name__)

#: how long the kiosk trusts a platform's answer to "do you have an e-licence library?"
LIBRARY_TTL_S = 300.0
#: a citizen waits at most this long for the platform
TIMEOUTS = (3.0, 8.0)
STATES = frozenset({"elicence_consent", "elicence_wait", "elicence_pick", "elicence_message"})
#: what a citizen may print a copy for (「仅供…使用」): catalogue keys elicence.copy.purpose.<id>
COPY_PURPOSES = ("service", "bank", "school", "job", "rent")
#: platform url → (when, the Library as the platform answered | None); no personal data. The
#: kiosk's trust (:class:`IssuerTrust`) is applied when it is read, by :func:`known_library`.
_library_cache: dict[str, tuple[float, Any]] = {}
_library_lock = threading.Lock()


@dataclass(frozen=True)
class IssuerTrust:
    """Which issuer keys this kiosk accepts (``[elicences] issuer_keys``, ``core.elicence_trust``).

    ``pins`` given: only those keys, whatever the platform publishes. No pins: the embedded demo
    (``trust_platform``) takes the demo platform's published keys; a kiosk on a configured
    platform offers no e-licences, since a platform that names its own issuers' keys could sign
    documents of its own."""

    pins: dict[str, bytes] = field(default_factory=dict)
    trust_platform: bool = False

    @classmethod
    def from_config(cls, section: Any, *, embedded: bool) -> IssuerTrust:
        import base64

        pins = {str(k): base64.b64decode(v) for k, v in section.issuer_keys.items()}
        return cls(pins, trust_platform=embedded and not pins)

    def apply(self, library: Library) -> Library | None:
        if self.pins:
            return library.pinned(self.pins)
        return library if self.trust_platform else None


def configure(core: Any, config: Any, *, embedded: bool) -> None:
    """Wiring (kiosk/assembly.py): the issuer keys this kiosk trusts, from ``[elicences]``."""
    core.elicence_trust = IssuerTrust.from_config(config.elicences, embedded=embedded)


def _trust(core: Any) -> IssuerTrust:
    trust = getattr(core, "elicence_trust", None)
    return trust if isinstance(trust, IssuerTrust) else IssuerTrust()  # not wired: trust nothing


@dataclass
class Held:
    """One citizen's consent and licences (``Session.elicences``)."""

    consent_id: str
    library: Any
    licences: list[Any] = field(default_factory=list)
    used: dict[int, Any] = field(default_factory=dict)  # material index → Licence

    def forget(self) -> None:
        self.licences.clear()
        self.used.clear()
        self.library = None
        self.consent_id = ""


def _client(core: Any) -> ElicenceClient | None:
    from offline_cache.elicence_client import ElicenceClient

    sync = getattr(core, "sync", None)
    if sync is None:
        return None
    client = sync.new_client()
    client.timeout = TIMEOUTS
    return ElicenceClient(client)


def known_library(core: Any) -> Library | None:
    """The platform's library as last asked, trusting only this kiosk's issuer keys (None: none,
    not known yet, or no keys to trust)."""
    sync = getattr(core, "sync", None)
    with _library_lock:
        found = _library_cache.get(getattr(sync, "base_url", "")) if sync is not None else None
    return _trust(core).apply(found[1]) if found and found[1] is not None else None


def ask_library(core: Any) -> None:
    """Ask the platform in the background whether it has a library (once per TTL); the screen is
    published again when it answered."""
    sync = getattr(core, "sync", None)
    if sync is None:
        return
    url = sync.base_url
    with _library_lock:
        found = _library_cache.get(url)
        if found and time.monotonic() - found[0] < LIBRARY_TTL_S:
            return
        _library_cache[url] = (time.monotonic(), found[1] if found else None)  # one question at a time

    def work() -> Any:
        from offline_cache.client import PlatformError

        client = _client(core)
        try:
            library = client.library() if client is not None else None
            if library is not None and _trust(core).apply(library) is None:
                log.warning("e-licences off: the platform has a library, but no issuer keys are pinned "
                            "([elicences] issuer_keys, docs/deploy.md)")
            return library
        except PlatformError as exc:
            log.info("no e-licence library", extra={"ctx": {"error": type(exc).__name__}})
            return None
        finally:
            if client is not None:
                client.client.close()

    def done(library: Any) -> None:
        with _library_lock:
            _library_cache[url] = (time.monotonic(), library)

    off_worker(core, work, lambda c, result: done(result), name="elicence")


def render_page(document: bytes) -> bytes:
    """PNG of a PDF's first page (images as given), through pipes: nothing written to disk."""
    if not document.startswith(b"%PDF"):
        return document
    tool = shutil.which("pdftoppm")
    if tool is None:
        raise RuntimeError("pdftoppm not found; install the Debian package poppler-utils")
    done = subprocess.run([tool, "-png", "-r", "150", "-f", "1", "-l", "1", "-singlefile", "-"],
                          input=document, capture_output=True, check=True, timeout=60)
    return done.stdout


def masked_page(document: bytes, regions: tuple[tuple[float, float, float, float], ...]) -> bytes:
    """The page with each personal region (fractions of the page, top-left origin) blacked out."""
    from PIL import Image, ImageDraw

    image = Image.open(io.BytesIO(render_page(document))).convert("RGB")
    draw = ImageDraw.Draw(image)
    w, h = image.size
    for x, y, rw, rh in regions:
        draw.rectangle([x * w, y * h, (x + rw) * w, (y + rh) * h], fill=(0, 0, 0))
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


class ElicenceStep:
    """The e-licence screens of a :class:`~kiosk.flows.submit.SubmitFlow` (states in :data:`STATES`)."""

    def __init__(self, flow: SubmitFlow | Any) -> None:
        self.flow: Any = flow  # a SubmitFlow, or the ElicenceCopyFlow (CopyStep)
        self.index: int | None = None  # the material being given
        self.message: tuple[str, list[str], str] = ("", [], "info")

    @property
    def core(self) -> Any:
        return self.flow.core

    @property
    def held(self) -> Held | None:
        held = self.core.session.elicences
        return held if isinstance(held, Held) else None

    def prepare(self) -> None:
        """Entering the materials step: find out (in the background) whether licences can be used."""
        ask_library(self.core)

    def offers(self, index: int) -> bool:
        """Whether the material at ``index`` may be taken from an e-licence now."""
        library = known_library(self.core)
        if library is None or self.flow.materials.get(index) in ("card", "elicence"):
            return False
        material = self.flow.item.materials[index]
        return library.type_for(material.id, material.name) is not None

    def start(self, index: int) -> None:
        if not self.offers(index) or self.core.session.card is None:
            return
        self.index = index
        if self.held is None:
            self.flow.goto("elicence_consent")
        else:
            self.flow.goto("elicence_pick")

    # -- actions --------------------------------------------------------------------------------
    def handle(self, action: str, args: dict[str, Any]) -> None:
        state = self.flow.state
        if state == "elicence_consent" and action == "consent":
            self._list()
        elif state == "elicence_pick" and action.startswith(("use_", "print_")):
            kind, _, n = action.partition("_")
            shown = self._shown_licences()
            if n.isdigit() and int(n) < len(shown):
                self._fetch(shown[int(n)], printing=kind == "print")

    def _list(self) -> None:
        from offline_cache.sealing import id_number_hash

        library = known_library(self.core)
        client = _client(self.core)
        card = self.core.session.card
        if library is None or client is None or card is None:
            return
        consent = {"id": uuid.uuid4().hex, "granted_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
                   "purpose": self.consent_purpose(), "scope": "list+fetch", "kiosk_id": self.core.kiosk_id}
        holder = id_number_hash(self.core.hall_key, self.core.identity(card).id_number)
        self.flow.goto("elicence_wait")

        def work() -> Any:
            try:
                return client.licences(holder, consent)
            finally:
                client.client.close()

        def deliver(core: Any, result: Any) -> None:
            if self.flow.state != "elicence_wait" or core.flow is not self.flow:
                return  # the citizen left (home, idle): nothing is kept
            if isinstance(result, Exception):
                log.warning("e-licences not listed", extra={"ctx": {"error": type(result).__name__}})
                self._say("elicence.unavailable", ["elicence.unavailable.body"], "warning")
                return
            core.session.elicences = Held(consent["id"], library, list(result))
            self.flow.state = "elicence_pick"

        off_worker(self.core, work, deliver, name="elicence")

    def _fetch(self, licence: Licence, *, printing: bool) -> None:
        held, client = self.held, _client(self.core)
        if held is None or client is None:
            return
        library, consent_id = held.library, held.consent_id
        language = self.core.translator.language
        self.flow.goto("elicence_wait")

        def work() -> Any:
            try:
                data = client.document(library, licence, consent_id)
                return self._print(licence, data, language) if printing else True
            finally:
                client.client.close()

        def deliver(core: Any, result: Any) -> None:
            from offline_cache.elicence_client import DocumentRejected, VerifyProblem

            if self.flow.state != "elicence_wait" or core.flow is not self.flow or self.held is None:
                return
            if isinstance(result, DocumentRejected) and result.reason is VerifyProblem.ISSUER_NOT_PINNED:
                # the platform vouches for a key this kiosk has not pinned: staff must look at it
                log.error("e-licence refused: signed under an issuer key that is not pinned",
                          extra={"ctx": {"type": licence.type, "key_id": licence.key_id,
                                         "reason": result.reason.value}})
                core.alert_staff("elicence", f"{core.kiosk_id}: e-licence of type {licence.type} signed under "
                                             f"issuer key {licence.key_id!r}, which is not pinned")
                self._say("elicence.rejected", ["elicence.rejected.body"], "warning")
            elif isinstance(result, DocumentRejected):
                log.warning("e-licence refused: its document failed the check",
                            extra={"ctx": {"type": licence.type, "reason": result.reason.value}})
                self._say("elicence.rejected", ["elicence.rejected.body"], "warning")
            elif isinstance(result, Exception):
                log.warning("e-licence not fetched", extra={"ctx": {"error": type(result).__name__}})
                self._say("elicence.unavailable", ["elicence.unavailable.body"], "warning")
            elif printing:
                self._say("elicence.printed" if result else "elicence.print_failed", [], "ok" if result else "warning")
            elif self.index is not None:
                self.held.used[self.index] = licence
                self.flow.materials[self.index] = "elicence"
                while self.flow.state != "materials" and self.flow.back():
                    pass   # to the materials: this one is given

        off_worker(self.core, work, deliver, name="elicence")

    def _print(self, licence: Licence, data: bytes, language: str) -> bool:
        from common.i18n import translate
        from kiosk.documents import JOB_LICENCE_COPY, Imprint, licence_copy_pdf

        devices = self.core.devices
        if devices is None or getattr(devices, "a4_printer", None) is None:
            return False
        purpose = self.print_purpose(language)
        lines = [translate(language, "a4.elicence.copy.of", name=self._name(licence, language),
                           issuer=self._issuer(licence, language)),
                 translate(language, "a4.elicence.copy.holder", name=licence.holder_name_masked,
                           id=licence.holder_id_masked)]
        pdf = licence_copy_pdf(masked_page(data, licence.personal_regions), purpose, language,
                               Imprint(self.core.hall_name, self.core.kiosk_id), lines)
        result = devices.print_a4(pdf, JOB_LICENCE_COPY)
        if not result.ok:
            log.warning("e-licence copy not printed", extra={"ctx": {"reason": result.reason}})
        return bool(result.ok)

    def consent_purpose(self) -> str:
        """What the consent sent to the platform is for: the service item applied for."""
        return str(self.flow.item.id)

    def print_purpose(self, language: str) -> str:
        """The 「仅供…使用」 of a printed copy: the service item applied for."""
        item = self.flow.item
        return str(self.flow._shown(item.name, item.name_en))

    def _message(self, title: str, lines: list[str], *, kind: str, buttons: list[dict[str, Any]]) -> Screen:
        return Flow.message(self.flow, title, lines, kind=kind, buttons=buttons)

    def _say(self, title: str, lines: list[str], kind: str) -> None:
        self.message = (title, lines, kind)
        self.flow.state = "elicence_message"

    # -- what the rest of the submission needs ----------------------------------------------
    def references(self) -> list[dict[str, str]]:
        """What the application record says of each licence used (no copy of the document)."""
        held = self.held
        if held is None:
            return []
        materials = self.flow.item.materials
        return [{"material": materials[i].name, "licence_id": lic.id, "type": lic.type, "sha256": lic.sha256,
                 "issuer": lic.issuer, "consent_id": held.consent_id}
                for i, lic in sorted(held.used.items()) if self.flow.materials.get(i) == "elicence"]

    def review_rows(self) -> list[dict[str, str]]:
        held = self.held
        if held is None or not held.used:
            return []
        language = self.core.translator.language
        sep = ", " if language == "en" else "、"
        names = sep.join(self._name(lic, language) for i, lic in sorted(held.used.items())
                         if self.flow.materials.get(i) == "elicence")
        return [{"label": self.flow.tr("elicence.review"), "value": names}] if names else []

    # -- screens --------------------------------------------------------------------------------
    @staticmethod
    def _name(licence: Licence, language: str) -> str:
        return licence.name_en if language == "en" and licence.name_en else licence.name

    def _issuer(self, licence: Licence, language: str) -> str:
        return str(self.flow._shown(licence.issuer, licence.issuer_en))

    def _shown_licences(self) -> list[Licence]:
        held = self.held
        if held is None or held.library is None or self.index is None:
            return []
        material = self.flow.item.materials[self.index]
        kind = held.library.type_for(material.id, material.name)
        return [lic for lic in held.licences if kind is not None and lic.type == kind.type]

    def screen(self) -> Screen:
        tr, flow = self.flow.tr, self.flow
        state = flow.state
        material = flow.item.materials[self.index] if self.index is not None else None
        name = flow._shown(material.name, material.name_en) if material is not None else ""
        if state == "elicence_consent":
            return self._message(tr("elicence.consent"), [
                tr("elicence.consent.body", material=name, item=flow._shown(flow.item.name, flow.item.name_en)),
                tr("elicence.consent.kept")], kind="info", buttons=[
                choice("consent", tr("elicence.consent.agree"), accent="green"),
                choice("back", tr("elicence.consent.decline"))])
        if state == "elicence_wait":
            return self._message(tr("elicence.wait"), [], kind="info", buttons=[])
        if state == "elicence_message":
            title, lines, kind = self.message
            return self._message(tr(title), [tr(line) for line in lines], kind=kind,
                                buttons=[choice("back", tr("common.back"))])
        language = self.core.translator.language
        shown = self._shown_licences()
        if not shown:
            return self._message(tr("elicence.none", material=name), [tr("elicence.none.body")], kind="info",
                                buttons=[choice("back", tr("common.back"))])
        a4 = self.core.devices is not None and getattr(self.core.devices, "a4_printer", None) is not None
        lines, buttons = [], []
        for n, lic in enumerate(shown):
            licence_name = self._name(lic, language)
            lines.append(tr("elicence.line", name=licence_name, issuer=self._issuer(lic, language),
                            number=lic.number_masked, until=lic.valid_until))
            buttons.append(choice(f"use_{n}", tr("elicence.use", name=licence_name), accent="green"))
            if a4:
                buttons.append(choice(f"print_{n}", tr("elicence.print", name=licence_name)))
        # 返回上一步 is the window's own, below: no second one beside 使用
        return self._message(tr("elicence.pick", material=name), lines, kind="info", buttons=buttons)


# ---------------------------------------------------------------- 打印证照复印件, outside a submission


def copy_choice(core: Any) -> dict[str, Any] | None:
    """The 办事指南 entry 打印电子证照复印件: only with an A4 printer and a platform with an e-licence
    library (asked in the background; the screen is published again when it answered)."""
    devices = core.devices
    if devices is None or getattr(devices, "a4_printer", None) is None:
        return None
    ask_library(core)
    if known_library(core) is None:
        return None
    tr = core.translator.tr
    return choice("elicence_copy", tr("elicence.copy"), tr("elicence.copy.sub"))


class CopyStep(ElicenceStep):
    """:class:`ElicenceStep` for a copy on its own: every licence listed, 打印复印件 only, the
    purpose picked by the citizen."""

    def __init__(self, flow: ElicenceCopyFlow) -> None:
        super().__init__(flow)
        self.chosen: Licence | None = None
        self.purpose = COPY_PURPOSES[0]

    def consent_purpose(self) -> str:
        return "licence_copy"

    def print_purpose(self, language: str) -> str:
        from common.i18n import translate

        return str(translate(language, f"elicence.copy.purpose.{self.purpose}"))

    def _shown_licences(self) -> list[Licence]:
        held = self.held
        return list(held.licences) if held is not None else []

    def handle(self, action: str, args: dict[str, Any]) -> None:
        state, flow = self.flow.state, self.flow
        if state == "elicence_consent" and action == "consent":
            self._list()
        elif state == "elicence_pick" and action.startswith("print_"):
            shown, n = self._shown_licences(), action.removeprefix("print_")
            if n.isdigit() and int(n) < len(shown):
                self.chosen = shown[int(n)]
                flow.goto("elicence_purpose")
        elif state == "elicence_purpose" and action == "choose" and self.chosen is not None:
            purpose = str(args.get("id", ""))
            if purpose in COPY_PURPOSES:
                self.purpose = purpose
                self._fetch(self.chosen, printing=True)

    def screen(self) -> Screen:
        tr, state = self.flow.tr, self.flow.state
        if state == "elicence_consent":
            return self._message(tr("elicence.consent"), [tr("elicence.copy.consent.body"),
                                                         tr("elicence.copy.consent.kept")], kind="info", buttons=[
                choice("consent", tr("elicence.consent.agree"), accent="green"),
                choice("back", tr("elicence.consent.decline"))])
        if state == "elicence_purpose":
            return Screen("menu", tr("elicence.copy.purpose"), {"choices": [
                choice(p, tr(f"elicence.copy.purpose.{p}")) for p in COPY_PURPOSES]})
        if state != "elicence_pick":
            return super().screen()
        language = self.core.translator.language
        shown = self._shown_licences()
        if not shown:
            return self._message(tr("elicence.copy.none"), [], kind="info",
                                buttons=[choice("home", tr("common.home"))])
        lines, buttons = [], []
        for n, lic in enumerate(shown):
            name = self._name(lic, language)
            lines.append(tr("elicence.line", name=name, issuer=self._issuer(lic, language),
                            number=lic.number_masked, until=lic.valid_until))
            buttons.append(choice(f"print_{n}", tr("elicence.print", name=name), accent="green"))
        return self._message(tr("elicence.copy.pick"), lines, kind="info", buttons=buttons)


class ElicenceCopyFlow(Flow):
    """打印电子证照复印件 (from 办事指南): the card, the consent, a licence, a purpose → the
    watermarked, masked copy on the A4 printer. Nothing is kept after the session."""

    name = "elicence_copy"

    def __init__(self, core: Any) -> None:
        super().__init__(core)
        self.state = "card"
        self.problem = ""
        self.step = CopyStep(self)

    @property
    def wants_card(self) -> bool:  # type: ignore[override]
        return self.state == "card"

    def transient_states(self) -> set[str]:
        return {"elicence_wait", "elicence_message", "elicence_purpose"}

    def _shown(self, chinese: str, english: str) -> str:
        from kiosk.catalogue import shown_in

        return shown_in(chinese, english, self.core.translator.language, self.tr("catalogue.chinese_only"))

    def on_card(self, card: Any) -> None:
        if self.state != "card":
            return
        if self.core.identity(card).expired:
            self.problem = self.tr("submit.card_expired")
            return
        self.core.session.card = card
        self.goto("elicence_consent")

    def handle(self, action: str, args: dict[str, Any]) -> None:
        if self.state in STATES or self.state == "elicence_purpose":
            self.step.handle(action, args)

    def screen(self) -> Screen:
        tr = self.tr
        if self.state == "card":
            return Screen("card", tr("elicence.copy"), {"lines": [tr("elicence.copy.card")], "accepts": ["card"],
                                                        "problem": self.problem}, speech=tr("speech.insert_card"))
        return self.step.screen()
