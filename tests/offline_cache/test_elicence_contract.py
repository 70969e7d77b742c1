"""The 电子证照 endpoints of the platform contract, as the kiosk's client meets them over loopback
HTTP against the reference platform: nothing without a consent, a fetch only under the consent the
list was asked with, documents that check out against the issuer's signature and ones that do
not, and an older platform (no library) answering 404 so the kiosk knows to offer nothing."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from offline_cache.client import PlatformClient, PlatformRefused
from offline_cache.elicence_client import DocumentRejected, ElicenceClient, Unavailable, VerifyProblem
from offline_cache.platform_server import RunningPlatform, start_reference_platform
from offline_cache.sealing import id_number_hash

ZHANG_SAN = "110101199003070513"


@pytest.fixture
def platform(tmp_path: Path) -> Iterator[RunningPlatform]:
    running = start_reference_platform(tmp_path / "platform")
    yield running
    running.stop()


def _client(platform: RunningPlatform) -> ElicenceClient:
    return ElicenceClient(PlatformClient(platform.base_url, platform.token, "kiosk-01"))


def _consent() -> dict[str, str]:
    return {"id": uuid.uuid4().hex, "granted_at": "2026-12-02T18:00:00+0800", "purpose": "S0403",
            "scope": "list+fetch", "kiosk_id": "kiosk-01"}


def test_listed_under_consent_fetched_and_verified(platform: RunningPlatform) -> None:
    client = _client(platform)
    library = client.library()
    assert library.type_for("", "购房合同或租房证明").type == "property_certificate"  # type: ignore[union-attr]
    consent = _consent()
    licences = client.licences(id_number_hash(platform.hall_key, ZHANG_SAN), consent)
    assert {lic.type for lic in licences} == {"residence_permit", "household_register", "property_certificate"}
    assert all(lic.holder_id_masked == "110101********0513" for lic in licences)
    document = client.document(library, licences[0], consent["id"])
    assert document.startswith(b"%PDF")
    # someone else's consent, or none, fetches nothing
    with pytest.raises(PlatformRefused) as refused:
        client.document(library, licences[0], uuid.uuid4().hex)
    assert refused.value.status == 422 and refused.value.code == "consent_invalid"
    other = client.licences(id_number_hash(platform.hall_key, "320102194605010043"), _consent())
    with pytest.raises(PlatformRefused):
        client.document(library, other[0], consent["id"])


def test_a_consent_is_required_to_list(platform: RunningPlatform) -> None:
    client = _client(platform)
    bad = {**_consent(), "scope": "everything"}
    with pytest.raises(PlatformRefused) as refused:
        client.licences(id_number_hash(platform.hall_key, ZHANG_SAN), bad)
    assert refused.value.code == "consent_invalid"


def test_tampered_bytes_and_a_forged_signature_are_refused(platform: RunningPlatform) -> None:
    client = _client(platform)
    library, consent = client.library(), _consent()
    [permit] = [lic for lic in client.licences(id_number_hash(platform.hall_key, ZHANG_SAN), consent)
                if lic.type == "residence_permit"]
    forged = replace(permit, signature=bytes(64))
    with pytest.raises(DocumentRejected) as rejected:
        client.document(library, forged, consent["id"])
    assert rejected.value.reason is VerifyProblem.BAD_SIGNATURE
    assert platform.admin().tamper_elicences("residence_permit") == 2
    with pytest.raises(DocumentRejected) as rejected:
        client.document(library, permit, consent["id"])
    assert rejected.value.reason is VerifyProblem.HASH_MISMATCH


def test_an_older_platform_has_no_library(tmp_path: Path) -> None:
    running = start_reference_platform(tmp_path / "old", elicences=False)
    try:
        client = _client(running)
        with pytest.raises(Unavailable):
            client.library()
        with pytest.raises(Unavailable):
            client.licences("0" * 64, _consent())
    finally:
        running.stop()


def test_only_pinned_issuer_keys_count(platform: RunningPlatform) -> None:
    """The kiosk's pins, not the platform's own answer, say which issuer keys count: a platform
    signing with a key of its own (not the pinned one) gets its documents refused."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

    client = _client(platform)
    published, consent = client.library(), _consent()
    [permit] = [lic for lic in client.licences(id_number_hash(platform.hall_key, ZHANG_SAN), consent)
                if lic.type == "residence_permit"]
    other = Ed25519PrivateKey.generate().public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    for pins in ({permit.key_id: other}, {"another-issuer": other}):
        with pytest.raises(DocumentRejected) as rejected:
            client.document(published.pinned(pins), permit, consent["id"])
        assert rejected.value.reason is VerifyProblem.ISSUER_NOT_PINNED
    # the issuer's real key, pinned (as the deployer copies it from the issuer): the document counts
    real = published.issuers[permit.key_id]
    assert client.document(published.pinned({permit.key_id: real}), permit, consent["id"]).startswith(b"%PDF")
