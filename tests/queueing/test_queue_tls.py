"""Finding 1 of issue 14: citizens' ID numbers and bearer tokens crossed the hall LAN in clear.

Acts as the installer (``hall-server make-cert``), the hall service (a real ``main.py
hall-server`` process with ``--tls-cert/--tls-key``), a kiosk (``HallClient`` with the hall CA
from ``[hall_service] ca_bundle``) and an eavesdropper/impostor on the LAN (raw sockets, a client
that trusts another CA)."""

from __future__ import annotations

import socket
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
from hall_process import HallProcess, make_cert
from queue_helpers import ROOT, free_port

from kiosk.config import load_config
from queueing.client import HallClient, HallUnavailable

ID_NUMBER = "110105194912310021"


def test_make_cert_writes_a_ca_and_a_server_certificate(tmp_path: Path) -> None:
    tls = make_cert(tmp_path / "hall", "hall.local", "127.0.0.1")
    for name in ("ca.pem", "server.pem", "server.key"):
        assert (tls / name).is_file(), name
    assert stat.S_IMODE((tls / "server.key").stat().st_mode) == 0o600
    from cryptography import x509

    cert = x509.load_pem_x509_certificate((tls / "server.pem").read_bytes())
    names = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert "hall.local" in names.get_values_for_type(x509.DNSName)
    assert [str(ip) for ip in names.get_values_for_type(x509.IPAddress)] == ["127.0.0.1"]
    ca = x509.load_pem_x509_certificate((tls / "ca.pem").read_bytes())
    assert cert.issuer == ca.subject
    # a second run keeps the CA (kiosks already trust it) and re-issues the server certificate
    before = (tls / "ca.pem").read_bytes()
    make_cert(tmp_path / "hall", "hall2.local")
    assert (tls / "ca.pem").read_bytes() == before


def test_kiosk_posts_an_id_number_only_over_verified_tls(tmp_path: Path) -> None:
    tls = make_cert(tmp_path / "hall", "localhost", "127.0.0.1")
    other_ca = make_cert(tmp_path / "impostor", "127.0.0.1") / "ca.pem"
    with HallProcess(tmp_path / "hall", tls=tls) as hall:
        # an eavesdropper's plaintext request gets no HTTP answer: the port speaks only TLS
        with socket.create_connection(("127.0.0.1", hall.port), timeout=5) as s:
            s.sendall(b"POST /api/v1/tickets HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}")
            try:
                answer = s.recv(4096)
            except (ConnectionResetError, TimeoutError):
                answer = b""
        assert not answer.startswith(b"HTTP/"), answer[:80]

        # the kiosk, configured as a deployed kiosk.toml says, trusts the hall CA only
        toml = tmp_path / "kiosk.toml"
        toml.write_text(
            f'version = 1\n[hall_service]\nurl = "{hall.base_url}"\ntoken = "{hall.token("kiosk")}"\n'
            f'ca_bundle = "{tls / "ca.pem"}"\n', encoding="utf-8")
        cfg = load_config(toml).hall_service
        kiosk = HallClient(cfg.url, cfg.token, ca_bundle=cfg.ca_bundle)
        answer_json = kiosk.issue_ticket("S0201", id_number=ID_NUMBER)
        assert answer_json["ticket"]["number"]

        # a client that trusts another CA (a man in the middle's view, reversed) is refused
        impostor = HallClient(hall.base_url, hall.token("kiosk"), ca_bundle=str(other_ca))
        with pytest.raises(HallUnavailable):
            impostor.health()
        # and a client with the system trust store does not trust the hall's private CA either
        with pytest.raises(requests.exceptions.SSLError):
            requests.get(hall.base_url + "/api/v1/health", timeout=5)


def test_non_loopback_without_tls_is_refused_unless_insecure_http(tmp_path: Path) -> None:
    port = free_port()
    base = [sys.executable, str(ROOT / "main.py"), "hall-server", "--data-dir", str(tmp_path / "hall"),
            "--port", str(port), "--host", "0.0.0.0"]
    refused = subprocess.run(base, cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert refused.returncode == 2
    assert "--tls-cert" in refused.stderr and "--insecure-http" in refused.stderr

    hall = HallProcess(tmp_path / "hall", "--insecure-http")
    hall.start(host="0.0.0.0")
    try:
        time.sleep(0.2)
        assert "plain HTTP" in hall.output()  # the warning at every start
    finally:
        hall.stop()
