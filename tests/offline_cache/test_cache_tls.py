"""TLS to the platform: the engine verifies the platform against a configured CA bundle and can
present a client certificate; without the right CA or certificate nothing is sent and nothing lost."""

from __future__ import annotations

import datetime
import ipaddress
from pathlib import Path

import pytest
from cache_testlib import FAST, application, assert_exactly_once, drain
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from offline_cache.platform_server import start_reference_platform, tls_context
from offline_cache.sync import SyncEngine


def _cert(subject: str, issuer_key, issuer_name, key, *, ca: bool = False, ip: str | None = None):
    now = datetime.datetime.now(datetime.UTC)
    builder = (x509.CertificateBuilder()
               .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)]))
               .issuer_name(issuer_name or x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)]))
               .public_key(key.public_key()).serial_number(x509.random_serial_number())
               .not_valid_before(now - datetime.timedelta(minutes=5))
               .not_valid_after(now + datetime.timedelta(days=1))
               .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True))
    if ip:
        san = x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address(ip))])
        builder = builder.add_extension(san, critical=False)
    return builder.sign(issuer_key or key, hashes.SHA256())


def _write(path: Path, cert, key) -> None:
    path.write_bytes(cert.public_bytes(serialization.Encoding.PEM) + key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))


@pytest.fixture(scope="module")
def pki(tmp_path_factory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("pki")
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = _cert("Test Platform CA", None, None, ca_key, ca=True)
    (d / "ca.pem").write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    server_key = ec.generate_private_key(ec.SECP256R1())
    _write(d / "server.pem", _cert("platform", ca_key, ca.subject, server_key, ip="127.0.0.1"), server_key)
    client_key = ec.generate_private_key(ec.SECP256R1())
    _write(d / "client.pem", _cert("kiosk-03", ca_key, ca.subject, client_key), client_key)
    return {"ca": d / "ca.pem", "server": d / "server.pem", "client": d / "client.pem"}


def test_mutual_tls_with_configured_ca_and_client_certificate(pki, tmp_path: Path, make_cache) -> None:
    tls = tls_context(str(pki["server"]), client_ca=str(pki["ca"]))
    platform = start_reference_platform(tmp_path / "platform", tls=tls)
    try:
        assert platform.base_url.startswith("https://127.0.0.1:")
        cache = make_cache()
        ids = [cache.enqueue("application", application(i)) for i in range(10)]
        untrusted = SyncEngine(cache, platform.base_url, platform.token, "kiosk-03", **FAST)
        report = untrusted.sync_once()  # the system CAs do not know this platform: refuse to talk
        assert report.error and report.retried == 10 and cache.pending_count() == 10
        untrusted.close()
        no_cert = SyncEngine(cache, platform.base_url, platform.token, "kiosk-03", ca_bundle=str(pki["ca"]),
                             **FAST)
        no_cert.sync_now()
        assert no_cert.sync_once().error and cache.pending_count() == 10
        no_cert.close()
        assert platform.store.stats()["ingest"] == {"accepted": 3}  # only the platform's samples
        engine = SyncEngine(cache, platform.base_url, platform.token, "kiosk-03", ca_bundle=str(pki["ca"]),
                            client_cert=str(pki["client"]), **FAST)
        drain(engine)
        assert_exactly_once(cache, platform, ids)
        engine.close()
    finally:
        platform.stop()
