"""The hall's own certificate authority and the hall service's TLS certificate (``cryptography``).

``hall-server make-cert --data-dir D --host NAME…`` (run by packaging/install.sh) writes
``D/tls/``: ``ca.pem`` (the hall CA: what every kiosk, display and counter console trusts as
``[hall_service] ca_bundle``, and nothing else), ``ca.key``, ``server.pem`` (for the given DNS
names and IP addresses) and ``server.key``. Private keys are mode 0600, written atomically.
A second run keeps the CA, so re-issuing the server certificate (a new name, a renewal) needs no
change on the clients; delete ``ca.*`` to start a new CA (then every client needs the new
``ca.pem``). ECDSA P-256 keys, SHA-256 signatures; the server certificate lasts 825 days, the CA
20 years."""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
import secrets
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

SERVER_DAYS = 825
CA_DAYS = 20 * 365


def tls_dir(data_dir: Path | str) -> Path:
    return Path(data_dir) / "tls"


def _write(path: Path, data: bytes, mode: int) -> None:
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    os.chmod(tmp, mode)  # the umask may have narrowed it; it never widens a key
    os.replace(tmp, path)


def _key_pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


def _load_or_make_ca(out: Path, hall_name: str) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
    ca_pem, ca_key = out / "ca.pem", out / "ca.key"
    if ca_pem.exists() and ca_key.exists():
        key = serialization.load_pem_private_key(ca_key.read_bytes(), password=None)
        if not isinstance(key, ec.EllipticCurvePrivateKey):
            raise ValueError(f"{ca_key}: not an EC key")
        return x509.load_pem_x509_certificate(ca_pem.read_bytes()), key
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"{hall_name} CA"),
                      x509.NameAttribute(NameOID.ORGANIZATION_NAME, "hall-kiosk")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5)).not_valid_after(now + dt.timedelta(days=CA_DAYS))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(x509.KeyUsage(digital_signature=False, content_commitment=False, key_encipherment=False,
                                     data_encipherment=False, key_agreement=False, key_cert_sign=True,
                                     crl_sign=True, encipher_only=False, decipher_only=False), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    _write(ca_key, _key_pem(key), 0o600)
    _write(ca_pem, cert.public_bytes(serialization.Encoding.PEM), 0o644)
    return cert, key


def make_certificates(data_dir: Path | str, hosts: list[str], hall_name: str = "hall") -> Path:
    """Write (or re-issue) the server certificate for ``hosts`` under ``<data_dir>/tls``; returns
    that directory. ``hosts`` are DNS names or IP addresses, the first is the subject's CN."""
    if not hosts:
        raise ValueError("at least one --host is needed: the name or address clients use")
    out = tls_dir(data_dir)
    out.mkdir(parents=True, exist_ok=True)
    ca_cert, ca_key = _load_or_make_ca(out, hall_name)
    sans: list[x509.GeneralName] = []
    for host in hosts:
        try:
            sans.append(x509.IPAddress(ipaddress.ip_address(host)))
        except ValueError:
            sans.append(x509.DNSName(host))
    key = ec.generate_private_key(ec.SECP256R1())
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, hosts[0])]))
        .issuer_name(ca_cert.subject).public_key(key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5)).not_valid_after(now + dt.timedelta(days=SERVER_DAYS))
        .add_extension(x509.SubjectAlternativeName(sans), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=False, key_encipherment=False,
                                     data_encipherment=False, key_agreement=False, key_cert_sign=False,
                                     crl_sign=False, encipher_only=False, decipher_only=False), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    _write(out / "server.key", _key_pem(key), 0o600)
    _write(out / "server.pem", cert.public_bytes(serialization.Encoding.PEM), 0o644)
    return out
