"""Hashing and encryption at rest: canonical JSON and its sha256 (the contract's
``payload_sha256``), the key file of a cache, sealing of personal payload fields and
attachment bytes (AES-256-GCM, or SM4-GCM with the 国密 suite), and the HMACs used to look up
an ID number without storing it. What the contract fixes (``payload_sha256``, the platform's
``id_number_hash``) stays SHA-256 whatever the suite.

The key file holds 64 random bytes: 32 for the cipher, 32 for the local HMAC. It is created
with mode 0600 beside the database unless the deployment hands in its own key.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives import hmac as crypto_hmac
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

log = logging.getLogger(__name__)

KEY_BYTES = 64
_MAGIC = b"OCS1"  # format marker of every sealed blob, so a wrong file is recognised as such

#: Payload keys treated as personal when ``enqueue`` is not told otherwise. Matched at any depth.
DEFAULT_PERSONAL_FIELDS: frozenset[str] = frozenset({
    "id_number", "id_no", "id_card", "name", "full_name", "applicant_name", "address",
    "phone", "mobile", "email", "photo", "face_photo", "birth_date", "birthday",
    "contact_name", "contact_phone", "signature",
})


def canonical_json(obj: Any) -> str:
    """The contract's canonical form: sorted keys, no whitespace, UTF-8, no ASCII escaping."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def payload_sha256(payload: Any) -> str:
    return hashlib.sha256(canonical_json(payload).encode("utf-8")).hexdigest()


def normalise_id_number(id_number: str) -> str:
    return id_number.strip().upper()


def id_number_hash(hall_key: str | bytes, id_number: str) -> str:
    """``hex(HMAC-SHA256(hall_key, id_number))`` as in the contract's appointments: the one
    definition, used by the platform, the pulls cache and the queue engine's ``person_hash``.

    A ``str`` key is taken as its UTF-8 bytes; the ID number is stripped and its check
    character upper-cased (``x`` → ``X``) before hashing.
    """
    key = hall_key.encode("utf-8") if isinstance(hall_key, str) else hall_key
    return hmac.new(key, normalise_id_number(id_number).encode("utf-8"), hashlib.sha256).hexdigest()


class KeyFileError(RuntimeError):
    """The key file is missing, unreadable or of the wrong size."""


def load_or_create_key(path: Path) -> bytes:
    """Read the 64-byte key at ``path`` or create it (mode 0600, fsynced)."""
    if path.exists():
        mode = path.stat().st_mode & 0o777
        if mode & 0o077:
            log.warning("key file was readable by others; tightening to 0600",
                        extra={"ctx": {"path": str(path), "mode": oct(mode)}})
            os.chmod(path, 0o600)
        key = path.read_bytes()
        if len(key) != KEY_BYTES:
            raise KeyFileError(f"key file {path} has {len(key)} bytes, expected {KEY_BYTES}")
        return key
    path.parent.mkdir(parents=True, exist_ok=True)
    key = os.urandom(KEY_BYTES)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.write(fd, key)
        os.fsync(fd)
    finally:
        os.close(fd)
    log.info("created a new cache key file", extra={"ctx": {"path": str(path)}})
    return key


SUITES = ("aes", "sm")
_MAGIC_SM = b"OCS2"  # SM4-GCM (GB/T 32907) sealed blob


class _Sm4Gcm:
    """SM4 in GCM mode through ``cryptography``'s Cipher (it has no SM4 AEAD class); the same
    ``encrypt``/``decrypt`` shape as :class:`AESGCM` (ciphertext followed by the 16-byte tag)."""

    def __init__(self, key: bytes) -> None:
        self._key = key

    def encrypt(self, nonce: bytes, data: bytes, aad: bytes) -> bytes:
        enc = Cipher(algorithms.SM4(self._key), modes.GCM(nonce)).encryptor()
        enc.authenticate_additional_data(aad)
        return enc.update(data) + enc.finalize() + enc.tag

    def decrypt(self, nonce: bytes, blob: bytes, aad: bytes) -> bytes:
        if len(blob) < 16:
            raise InvalidTag()
        dec = Cipher(algorithms.SM4(self._key), modes.GCM(nonce, blob[-16:])).decryptor()
        dec.authenticate_additional_data(aad)
        return dec.update(blob[:-16]) + dec.finalize()


def _hmac_sm3(key: bytes, data: bytes) -> str:
    mac = crypto_hmac.HMAC(key, hashes.SM3())
    mac.update(data)
    return mac.finalize().hex()


class Sealer:
    """Sealing bound to a purpose string (the associated data), plus a local HMAC.

    ``suite`` picks what new data is sealed with: ``"aes"`` (AES-256-GCM, HMAC-SHA256) or
    ``"sm"`` (SM4-GCM, HMAC-SM3; the 国密 option). Every blob begins with the marker of the
    suite that sealed it (``OCS1`` AES, ``OCS2`` SM4), and :meth:`open` follows the marker, so
    switching the suite never strands data sealed before. The SM4 key (128 bits) is derived from
    the same key file with HMAC-SM3, so no key is used by two ciphers.
    """

    def __init__(self, key: bytes, suite: str = "aes") -> None:
        if len(key) != KEY_BYTES:
            raise KeyFileError(f"cache key must be {KEY_BYTES} bytes, got {len(key)}")
        if suite not in SUITES:
            raise ValueError(f"crypto suite must be one of {', '.join(SUITES)}, got {suite!r}")
        self.suite = suite
        self._aead = AESGCM(key[:32])
        self._sm4 = _Sm4Gcm(bytes.fromhex(_hmac_sm3(key[:32], b"offline-cache sm4 key"))[:16])
        self._mac_key = key[32:]

    def seal(self, data: bytes, aad: str) -> bytes:
        nonce = os.urandom(12)
        if self.suite == "sm":
            return _MAGIC_SM + nonce + self._sm4.encrypt(nonce, data, aad.encode("utf-8"))
        return _MAGIC + nonce + self._aead.encrypt(nonce, data, aad.encode("utf-8"))

    def open(self, blob: bytes, aad: str) -> bytes:
        marker = blob[:4]
        if marker == _MAGIC:
            return self._aead.decrypt(blob[4:16], blob[16:], aad.encode("utf-8"))
        if marker == _MAGIC_SM:
            return self._sm4.decrypt(blob[4:16], blob[16:], aad.encode("utf-8"))
        raise ValueError("not a sealed blob")

    def id_hash(self, id_number: str) -> str:
        """The local HMAC of an ID number under the current suite (what new records store)."""
        return self._id_hash(self.suite, id_number)

    def id_hashes(self, id_number: str) -> list[str]:
        """Its HMAC under every suite, current first: a look-up finds records of either."""
        return [self._id_hash(suite, id_number) for suite in (self.suite, *(s for s in SUITES if s != self.suite))]

    def _id_hash(self, suite: str, id_number: str) -> str:
        data = normalise_id_number(id_number).encode("utf-8")
        if suite == "sm":
            return _hmac_sm3(self._mac_key, data)
        return hmac.new(self._mac_key, data, hashlib.sha256).hexdigest()


# --- splitting a payload into its public and personal parts -------------------------------

def split_personal(payload: Any, personal: Iterable[str]) -> tuple[Any, list[list[Any]]]:
    """Return ``(public, sealed)``: the payload with personal values replaced by ``None`` and a
    list of ``[path, value]`` pairs that put them back. Keys match at any depth."""
    names = frozenset(personal)
    sealed: list[list[Any]] = []

    def walk(node: Any, path: list[Any]) -> Any:
        if isinstance(node, dict):
            out: dict[Any, Any] = {}
            for key, value in node.items():
                if key in names and value is not None:
                    sealed.append([[*path, key], value])
                    out[key] = None
                else:
                    out[key] = walk(value, [*path, key])
            return out
        if isinstance(node, list):
            return [walk(item, [*path, i]) for i, item in enumerate(node)]
        return node

    return walk(payload, []), sealed


def join_personal(public: Any, sealed: list[list[Any]]) -> Any:
    """Inverse of :func:`split_personal` (mutates and returns ``public``)."""
    for path, value in sealed:
        node = public
        for step in path[:-1]:
            node = node[step]
        node[path[-1]] = value
    return public


def find_first(payload: Any, key: str) -> Any:
    """The first value stored under ``key`` at any depth, or None."""
    if isinstance(payload, dict):
        if isinstance(payload.get(key), str):
            return payload[key]
        children: list[Any] = list(payload.values())
    elif isinstance(payload, list):
        children = payload
    else:
        return None
    for child in children:
        found = find_first(child, key)
        if found is not None:
            return found
    return None
