"""The reference platform's 电子证照 library (docs/platform-contract.md, "电子证照 (e-licences)"):
a few demo licences of the ID-card simulator's people, each a one-page PDF signed by its issuer,
listed only under a citizen's consent and fetched only under the same consent.

Everything is in memory: the documents are drawn on first use, the issuer key (Ed25519) is made
at start and published with the types, consents expire after :data:`CONSENT_SECONDS`. Nothing
personal is logged. :meth:`ElicenceLibrary.tamper` (the admin endpoint) alters a document's bytes
after it was signed, so a kiosk's check can be seen to refuse it.
"""

from __future__ import annotations

import base64
import hashlib
import io
import re
import threading
import time
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from common.identity import mask_id_number, mask_name

from .sealing import id_number_hash

#: how long a consent the citizen gave on the kiosk's screen lets the kiosk list and fetch
CONSENT_SECONDS = 15 * 60
KEY_ID = "demo-issuer-1"
_CONSENT_ID = re.compile(r"[0-9a-f]{32}")


@dataclass(frozen=True)
class LicenceType:
    type: str
    name: str
    name_en: str
    issuer: str
    issuer_en: str
    materials: tuple[str, ...]  # the catalogue's material names this licence can stand for


TYPES = (
    LicenceType("residence_permit", "居住证", "Residence permit", "北京市公安局东城分局",
                "Dongcheng Branch, Beijing Public Security Bureau", ("居住证",)),
    LicenceType("household_register", "户口簿", "Household register", "北京市公安局东城分局",
                "Dongcheng Branch, Beijing Public Security Bureau", ("户口簿",)),
    LicenceType("property_certificate", "不动产权证书", "Real-estate title certificate", "北京市规划和自然资源委员会",
                "Beijing Municipal Commission of Planning and Natural Resources", ("购房合同或租房证明",)),
)
_BY_TYPE = {t.type: t for t in TYPES}

#: the demo holders (devices/idcard/simulator.py identities and the demos' DEMO_ID_NUMBER)
HOLDERS: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "110101199003070513": ("张三", "北京市东城区东华门街道示例胡同12号",
                           ("residence_permit", "household_register", "property_certificate")),
    "320102194605010043": ("李秀英", "江苏省南京市玄武区示例巷3号", ("household_register",)),
    "11010519491231002X": ("张三丰", "北京市朝阳区示例路1号", ("residence_permit", "household_register")),
}

#: where on the page the personal data lies (fractions of the page, top-left origin: x, y, w, h):
#: a kiosk blacks these out on a printed copy
PERSONAL_REGIONS = ((0.30, 0.27, 0.62, 0.06), (0.30, 0.35, 0.62, 0.06), (0.30, 0.43, 0.62, 0.06))


@dataclass
class _Licence:
    id: str
    type: LicenceType
    holder_hash: str
    id_number: str
    name: str
    address: str
    number: str
    document: bytes = b""
    signature: bytes = b""


class ConsentError(ValueError):
    """A list or fetch without a valid consent (the contract's ``consent_invalid``)."""


class ElicenceLibrary:
    def __init__(self, hall_key: str, holders: dict[str, tuple[str, str, tuple[str, ...]]] | None = None) -> None:
        self._key = Ed25519PrivateKey.generate()
        self._lock = threading.Lock()
        self._consents: dict[str, tuple[str, float]] = {}  # consent id → (holder hash, expiry)
        self._tampered: set[str] = set()
        self._licences: dict[str, _Licence] = {}
        for id_number, (name, address, kinds) in (holders or HOLDERS).items():
            holder = id_number_hash(hall_key, id_number)
            for kind in kinds:
                lid = "EL" + hashlib.sha256(f"{id_number}|{kind}".encode()).hexdigest()[:20].upper()
                number = f"{kind[:2].upper()}{int(lid[2:12], 16) % 10**10:010d}"
                self._licences[lid] = _Licence(lid, _BY_TYPE[kind], holder, id_number, name, address, number)

    # --- what the contract serves ---------------------------------------------------------

    def types(self) -> dict[str, Any]:
        public = self._key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
        return {"types": [{"type": t.type, "name": t.name, "name_en": t.name_en, "materials": list(t.materials)}
                          for t in TYPES],
                "issuers": {KEY_ID: {"alg": "Ed25519", "public_key": base64.b64encode(public).decode()}}}

    def query(self, body: Any) -> dict[str, Any]:
        """The holder's licences under the consent in ``body`` (which the library then remembers)."""
        if not isinstance(body, dict) or not isinstance(body.get("holder"), dict) \
                or not isinstance(body.get("consent"), dict):
            raise ConsentError("holder and consent are required")
        holder = str(body["holder"].get("id_number_hash", ""))
        consent = body["consent"]
        cid = str(consent.get("id", ""))
        if not _CONSENT_ID.fullmatch(cid) or not consent.get("purpose") or consent.get("scope") != "list+fetch":
            raise ConsentError("consent needs an id (32 hex), a purpose and scope list+fetch")
        now = time.time()
        with self._lock:
            self._consents = {k: v for k, v in self._consents.items() if v[1] > now}
            known = self._consents.get(cid)
            if known is not None and known[0] != holder:
                raise ConsentError("this consent was given for another holder")
            self._consents[cid] = (holder, now + CONSENT_SECONDS)
            mine = [lic for lic in self._licences.values() if lic.holder_hash == holder]
        return {"consent_expires_in": CONSENT_SECONDS, "licences": [self._meta(lic) for lic in mine]}

    def fetch(self, licence_id: str, body: Any) -> tuple[bytes, str] | None:
        """(the document's bytes, media type); None for no such licence; ConsentError without
        the consent under which its holder's licences were listed."""
        cid = str(body.get("consent_id", "")) if isinstance(body, dict) else ""
        with self._lock:
            lic = self._licences.get(licence_id)
            consent = self._consents.get(cid)
            tampered = licence_id in self._tampered
        if lic is None:
            return None
        if consent is None or consent[1] < time.time() or consent[0] != lic.holder_hash:
            raise ConsentError("no valid consent of this licence's holder")
        self._sign(lic)
        data = lic.document
        if tampered:  # altered after signing: the bytes no longer match the signed hash
            data = data[:-40] + bytes(b ^ 0x20 for b in data[-40:-20]) + data[-20:]
        return data, "application/pdf"

    # --- admin (tests, demos) ---------------------------------------------------------------

    def tamper(self, *, licence_id: str = "", kind: str = "") -> int:
        with self._lock:
            hit = {lid for lid, lic in self._licences.items() if lid == licence_id or lic.type.type == kind}
            self._tampered |= hit
        return len(hit)

    def untamper(self) -> None:
        with self._lock:
            self._tampered.clear()

    def consents(self) -> list[dict[str, Any]]:
        with self._lock:
            return [{"id": cid, "expires_at": exp} for cid, (_, exp) in self._consents.items()]

    # --- documents --------------------------------------------------------------------------

    def _meta(self, lic: _Licence) -> dict[str, Any]:
        self._sign(lic)
        return {"id": lic.id, "type": lic.type.type, "name": lic.type.name, "name_en": lic.type.name_en,
                "issuer": lic.type.issuer, "issuer_en": lic.type.issuer_en,
                "number_masked": "*" * (len(lic.number) - 4) + lic.number[-4:],
                "holder_name_masked": mask_name(lic.name), "holder_id_masked": mask_id_number(lic.id_number),
                "issued_on": "2021-06-10", "valid_until": "2031-06-10", "media_type": "application/pdf",
                "sha256": hashlib.sha256(lic.document).hexdigest(),
                "signature": {"alg": "Ed25519", "key_id": KEY_ID,
                              "value": base64.b64encode(lic.signature).decode()},
                "personal_regions": [list(r) for r in PERSONAL_REGIONS]}

    def _sign(self, lic: _Licence) -> None:
        with self._lock:
            if lic.document:
                return
            lic.document = _draw(lic)
            digest = hashlib.sha256(lic.document).hexdigest()
            lic.signature = self._key.sign(signed_text(lic.id, digest))


def signed_text(licence_id: str, sha256: str) -> bytes:
    """What an issuer signs: the licence id and its document's sha256 (hex), one per line."""
    return f"{licence_id}\n{sha256}".encode()


def _draw(lic: _Licence) -> bytes:
    """The licence as its issuer would render it: a landscape A5 page (reportlab, CJK font)."""
    from reportlab.lib.pagesizes import A5, landscape
    from reportlab.pdfgen import canvas

    from common.pdf_font import pdf_font

    font = pdf_font()
    buf = io.BytesIO()
    width, height = landscape(A5)
    c = canvas.Canvas(buf, pagesize=(width, height), initialFontName=font, invariant=1)
    c.setTitle(lic.type.name)
    c.setStrokeColorRGB(0.1, 0.3, 0.6)
    c.setLineWidth(4)
    c.rect(16, 16, width - 32, height - 32)
    c.setFont(font, 26)
    c.drawCentredString(width / 2, height - 70, f"{lic.type.name}（电子证照）")

    def row(label: str, value: str, y_frac: float) -> None:
        y = height * (1 - y_frac) - 22
        c.setFont(font, 15)
        c.drawString(width * 0.10, y, label)
        c.drawString(width * 0.31, y, value)

    row("持证人", lic.name, PERSONAL_REGIONS[0][1])
    row("公民身份号码", lic.id_number, PERSONAL_REGIONS[1][1])
    row("住址", lic.address, PERSONAL_REGIONS[2][1])
    row("证照编号", lic.number, 0.55)
    row("签发机关", lic.type.issuer, 0.63)
    row("有效期", "2021-06-10 至 2031-06-10", 0.71)
    c.setFont(font, 11)
    c.drawString(width * 0.10, 40, "本电子证照由签发机关签名，与纸质证照具有同等效力。")
    c.showPage()
    c.save()
    return buf.getvalue()
