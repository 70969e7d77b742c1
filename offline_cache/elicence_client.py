"""The kiosk's side of the 电子证照 contract (docs/platform-contract.md, "电子证照 (e-licences)"):
the types a platform's library serves, a holder's licences under the citizen's consent, and one
document, checked against the issuer's signature and sha256 before anyone may use it.

It rides on a :class:`~offline_cache.client.PlatformClient` (the sync client's token, device id,
TLS pin, no redirects, size caps). Nothing here is cached or logged: the answers carry personal
data and live only as long as the caller keeps them (the kiosk's session).
"""

from __future__ import annotations

import base64
import binascii
import enum
import hashlib
from dataclasses import dataclass, field
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from .client import PlatformClient, PlatformRefused, PlatformUnavailable
from .elicence_library import signed_text

MAX_DOCUMENT_BYTES = 10 * 1024 * 1024
MAX_LIST_BYTES = 1024 * 1024


class Unavailable(PlatformUnavailable):
    """This platform has no e-licence library (an older platform: 404 / 405 on the endpoints)."""


class DocumentRejected(Exception):
    """A fetched document failed its check (hash or signature): never shown, printed or used."""

    def __init__(self, reason: VerifyProblem) -> None:
        super().__init__(reason.value)
        self.reason = reason


class VerifyProblem(enum.Enum):
    HASH_MISMATCH = "hash_mismatch"
    BAD_SIGNATURE = "bad_signature"
    UNKNOWN_ISSUER = "unknown_issuer"
    #: signed under a key the kiosk has not pinned (the platform published a key of its own)
    ISSUER_NOT_PINNED = "issuer_not_pinned"


@dataclass(frozen=True)
class LicenceType:
    type: str
    name: str
    name_en: str
    materials: tuple[str, ...]


@dataclass(frozen=True)
class Library:
    """What a platform's library serves: licence types and the issuers' public keys."""

    types: tuple[LicenceType, ...]
    issuers: dict[str, bytes] = field(default_factory=dict)  # key id → Ed25519 public key
    #: key ids the platform published with a key that is not the pinned one (or not pinned at all)
    unpinned: frozenset[str] = frozenset()

    def pinned(self, pins: dict[str, bytes]) -> Library:
        """This library trusting only ``pins`` (key id → public key), whatever the platform said."""
        unpinned = frozenset(k for k, v in self.issuers.items() if pins.get(k) != v)
        return Library(self.types, dict(pins), unpinned)

    def type_for(self, material_id: str, material_name: str) -> LicenceType | None:
        return next((t for t in self.types if t.type == material_id or material_name in t.materials), None)


@dataclass(frozen=True)
class Licence:
    """One licence as listed (its document is fetched separately)."""

    id: str
    type: str
    name: str
    name_en: str
    issuer: str
    issuer_en: str
    number_masked: str
    holder_name_masked: str
    holder_id_masked: str
    valid_until: str
    media_type: str
    sha256: str
    key_id: str
    signature: bytes
    personal_regions: tuple[tuple[float, float, float, float], ...] = ()


def _json(answer: Any) -> Any:
    try:
        return answer.json()
    except (ValueError, UnicodeDecodeError) as exc:
        raise PlatformUnavailable("e-licence answer is not JSON") from exc


class ElicenceClient:
    def __init__(self, client: PlatformClient) -> None:
        self.client = client

    def _call(self, method: str, path: str, *, max_bytes: int, body: Any = None) -> Any:
        import json

        data = None if body is None else json.dumps(body, ensure_ascii=False).encode("utf-8")
        answer = self.client._request(method, path, max_bytes=max_bytes, data=data,
                                      headers={"Content-Type": "application/json"} if data else None)
        if answer.status_code in (404, 405):
            raise Unavailable(f"{answer.status_code}: no e-licence library", status=answer.status_code)
        if answer.status_code != 200:
            try:
                err = answer.json().get("error", {})
                code, message = str(err.get("code", "")), str(err.get("message", ""))[:200]
            except (ValueError, AttributeError, UnicodeDecodeError):
                code, message = f"http_{answer.status_code}", ""
            raise PlatformRefused(answer.status_code, code, message)
        return answer

    def library(self) -> Library:
        """The types and issuer keys; :class:`Unavailable` on a platform without the library."""
        body = _json(self._call("GET", "/v1/elicences/types", max_bytes=MAX_LIST_BYTES))
        try:
            types = tuple(LicenceType(str(t["type"]), str(t["name"]), str(t.get("name_en", "")),
                                      tuple(str(m) for m in t.get("materials", [])))
                          for t in body["types"])
            issuers = {str(k): base64.b64decode(v["public_key"]) for k, v in (body.get("issuers") or {}).items()
                       if v.get("alg") == "Ed25519"}
        except (KeyError, TypeError, AttributeError, binascii.Error) as exc:
            raise PlatformUnavailable("e-licence types answer off the contract") from exc
        return Library(types, issuers)

    def licences(self, id_number_hash: str, consent: dict[str, str]) -> list[Licence]:
        """The holder's licences under ``consent`` (id, granted_at, purpose, scope, kiosk_id)."""
        body = _json(self._call("POST", "/v1/elicences:query", max_bytes=MAX_LIST_BYTES,
                                body={"holder": {"id_number_hash": id_number_hash}, "consent": consent}))
        out = []
        try:
            for item in body["licences"]:
                sig = item.get("signature") or {}
                out.append(Licence(
                    str(item["id"]), str(item["type"]), str(item["name"]), str(item.get("name_en", "")),
                    str(item.get("issuer", "")), str(item.get("issuer_en", "")), str(item.get("number_masked", "")),
                    str(item.get("holder_name_masked", "")), str(item.get("holder_id_masked", "")),
                    str(item.get("valid_until", "")), str(item.get("media_type", "")), str(item["sha256"]).lower(),
                    str(sig.get("key_id", "")), base64.b64decode(sig.get("value", "")),
                    tuple(tuple(float(v) for v in r)[:4] for r in item.get("personal_regions", []))))  # type: ignore[misc]
        except (KeyError, TypeError, ValueError, binascii.Error) as exc:
            raise PlatformUnavailable("e-licence list answer off the contract") from exc
        return out

    def document(self, library: Library, licence: Licence, consent_id: str) -> bytes:
        """The licence's document, only once its sha256 and its issuer's signature check out
        (:class:`DocumentRejected` otherwise)."""
        answer = self._call("POST", "/v1/elicences:fetch", max_bytes=MAX_DOCUMENT_BYTES,
                            body={"licence_id": licence.id, "consent_id": consent_id})
        data: bytes = answer.content
        verify(library, licence, data)
        return data


def verify(library: Library, licence: Licence, data: bytes) -> None:
    """Raise :class:`DocumentRejected` unless ``data`` is what the issuer signed for ``licence``."""
    if hashlib.sha256(data).hexdigest() != licence.sha256:
        raise DocumentRejected(VerifyProblem.HASH_MISMATCH)
    not_pinned = licence.key_id in library.unpinned
    key = library.issuers.get(licence.key_id)
    if key is None:
        raise DocumentRejected(VerifyProblem.ISSUER_NOT_PINNED if not_pinned else VerifyProblem.UNKNOWN_ISSUER)
    try:
        Ed25519PublicKey.from_public_bytes(key).verify(licence.signature, signed_text(licence.id, licence.sha256))
    except (InvalidSignature, ValueError) as exc:
        raise DocumentRejected(VerifyProblem.ISSUER_NOT_PINNED if not_pinned else VerifyProblem.BAD_SIGNATURE) \
            from exc
