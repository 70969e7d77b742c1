"""TLS to the platform: the engine verifies the platform against a configured CA bundle and can
present a client certificate; without the right CA or certificate nothing is sent and nothing lost."""

from __future__ import annotations

import datetime
import ipaddress
import time
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


def test_a_missing_ca_bundle_keeps_every_record_and_raises_one_alert(pki, tmp_path: Path, make_cache) -> None:
    tls = tls_context(str(pki["server"]), client_ca=str(pki["ca"]))
    platform = start_reference_platform(tmp_path / "platform", tls=tls)
    try:
        missing = str(tmp_path / "not-there" / "ca.pem")
        idle_alerts = []
        idle = make_cache("idle.db", on_alert=idle_alerts.append)   # a kiosk with nothing to send yet
        idle_engine = SyncEngine(idle, platform.base_url, platform.token, "kiosk-04", ca_bundle=missing, **FAST)
        idle_engine.start()  # says so at once, before any record waits
        idle_engine.close()
        assert [a.code for a in idle_alerts] == ["platform_tls_config"]
        assert missing in idle_alerts[0].details["problem"]
        alerts = []
        cache = make_cache(on_alert=alerts.append)
        ids = [cache.enqueue("application", application(i)) for i in range(3)]
        engine = SyncEngine(cache, platform.base_url, platform.token, "kiosk-03", ca_bundle=missing,
                            client_cert=str(pki["client"]), **FAST)
        for _ in range(3):
            time.sleep(0.15)  # past the (FAST) backoff, then the technician presses "sync now"
            engine.sync_now()
            report = engine.sync_once()
            assert report.retried == 3 and "TLS CA certificate bundle" in (report.error or "")
        assert [a.code for a in alerts] == ["platform_tls_config"]        # not once per pass
        assert engine.health().last_alert["code"] == "platform_tls_config"
        assert cache.pending_count() == 3 and all(cache.get(i).attempts == 0 for i in ids)
        engine.close()
        fixed = SyncEngine(cache, platform.base_url, platform.token, "kiosk-03", ca_bundle=str(pki["ca"]),
                           client_cert=str(pki["client"]), **FAST)
        drain(fixed)
        assert_exactly_once(cache, platform, ids)
        fixed.close()
    finally:
        platform.stop()


@pytest.mark.parametrize("variable", ["REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE"])
def test_the_environment_cannot_swap_the_platform_ca(pki, tmp_path: Path, make_cache, monkeypatch,
                                                     variable: str) -> None:
    """requests lets ``$REQUESTS_CA_BUNDLE`` / ``$CURL_CA_BUNDLE`` replace a session's CA bundle
    (merge_environment_settings). The kiosk's configured ``platform.ca_bundle`` is the only trust:
    a host presenting a certificate from the CA the environment names is refused, and the real
    platform is still verified against the configured bundle."""
    other_key = ec.generate_private_key(ec.SECP256R1())
    other = _cert("Some Other CA", None, None, other_key, ca=True)
    (tmp_path / "other-ca.pem").write_bytes(other.public_bytes(serialization.Encoding.PEM))
    impostor_key = ec.generate_private_key(ec.SECP256R1())
    _write(tmp_path / "impostor.pem", _cert("platform", other_key, other.subject, impostor_key, ip="127.0.0.1"),
           impostor_key)
    monkeypatch.setenv(variable, str(tmp_path / "other-ca.pem"))
    cache = make_cache()
    ids = [cache.enqueue("application", application(i)) for i in range(3)]
    impostor = start_reference_platform(tmp_path / "impostor", tls=tls_context(str(tmp_path / "impostor.pem")))
    try:
        engine = SyncEngine(cache, impostor.base_url, impostor.token, "kiosk-03", ca_bundle=str(pki["ca"]), **FAST)
        report = engine.sync_once()
        assert report.error and "CERTIFICATE_VERIFY_FAILED" in report.error, report.error
        assert cache.pending_count() == 3 and impostor.store.stats()["ingest"] == {"accepted": 3}  # its samples only
        engine.close()
    finally:
        impostor.stop()
    platform = start_reference_platform(tmp_path / "platform", tls=tls_context(str(pki["server"])))
    try:
        engine = SyncEngine(cache, platform.base_url, platform.token, "kiosk-03", ca_bundle=str(pki["ca"]), **FAST)
        drain(engine)
        assert_exactly_once(cache, platform, ids)
        engine.close()
    finally:
        platform.stop()
