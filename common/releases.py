"""Signed release bundles: what a hall server serves its kiosks and what a kiosk accepts.

A release is a folder packed as a ``.tar.gz``, in one of the two layouts the kiosk's launcher
(packaging/bin/hall-kiosk) starts (:func:`release_layout`): the one-folder build (PyInstaller's
``dist/hall-kiosk/`` as is: an executable ``hall-kiosk`` at its top) or a virtual-environment
release (``venv/bin/python`` and ``src/``, what packaging/install.sh builds). Its *manifest* is a
small JSON document ``{"version", "bundle", "size", "sha256"}`` signed with Ed25519
(``cryptography``); the signature travels next to it as raw 64 bytes, base64.
The installer makes the key pair (:func:`make_keys`); the private key stays with whoever builds
releases, the public key goes into every kiosk's config. Nothing here touches the network."""

from __future__ import annotations

import base64
import enum
import hashlib
import json
import tarfile
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

MANIFEST = "manifest.json"
SIGNATURE = "manifest.sig"
MAX_MANIFEST_BYTES = 4096
#: gzip level of a bundle (``publish --level``): tarfile's 9 packed the one-folder build several
#: times slower than 6 for a few per cent; 1 is three times faster again for 10 % more bytes
COMPRESSLEVEL = 6


class UpdateProblem(enum.StrEnum):
    """Why a kiosk did not take (or gave up) a release: the code its heartbeat carries to the hall's
    fleet health (``update:<code>``) and so to the city view."""

    BAD_SIGNATURE = "bad_signature"
    BAD_MANIFEST = "bad_manifest"
    BAD_BUNDLE = "bad_bundle"  # size or SHA-256 not the signed one (a truncated download), unsafe members
    DISK_FULL = "disk_full"
    ROLLED_BACK = "rolled_back"  # it never reached its home screen: the previous release runs again
    #: a code this hall does not know yet (a kiosk newer than its hall server): still a problem
    OTHER = "other"


class ReleaseLayout(enum.StrEnum):
    """How the launcher starts a release (packaging/bin/hall-kiosk, docs/updates.md): one rule,
    the first that matches."""

    ONE_FOLDER = "one-folder"  # an executable file ``hall-kiosk`` at the top: run it
    VENV = "venv"  # ``venv/bin/python``: run ``python -P -m main`` in it


def release_layout(folder: Path) -> ReleaseLayout | None:
    """The layout of the release ``folder`` (None: the launcher could not start it)."""
    exe = folder / "hall-kiosk"
    if exe.is_file() and exe.stat().st_mode & 0o111:
        return ReleaseLayout.ONE_FOLDER
    python = folder / "venv" / "bin" / "python"
    if python.exists() and python.stat().st_mode & 0o111:
        return ReleaseLayout.VENV
    return None


class ReleaseRefused(Exception):
    """A release that must not be installed (bad signature, wrong size or hash, unsafe paths)."""

    def __init__(self, message: str, problem: UpdateProblem = UpdateProblem.BAD_MANIFEST) -> None:
        super().__init__(message)
        self.problem = problem


@dataclass(frozen=True)
class Manifest:
    version: str
    bundle: str
    size: int
    sha256: str

    def to_bytes(self) -> bytes:
        return json.dumps({"version": self.version, "bundle": self.bundle, "size": self.size,
                           "sha256": self.sha256}, sort_keys=True).encode("utf-8")


def make_keys(private_path: Path, public_path: Path) -> None:
    """Write a new Ed25519 key pair (PEM); the private key readable by its owner only."""
    key = Ed25519PrivateKey.generate()
    private_path.parent.mkdir(parents=True, exist_ok=True)
    private_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                               serialization.NoEncryption()))
    private_path.chmod(0o600)
    public_path.parent.mkdir(parents=True, exist_ok=True)
    public_path.write_bytes(public_key_pem(key.public_key()))


def public_key_pem(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)


def load_public_key(pem: bytes) -> Ed25519PublicKey:
    key = serialization.load_pem_public_key(pem)
    if not isinstance(key, Ed25519PublicKey):
        raise ReleaseRefused("the release key is not an Ed25519 public key", UpdateProblem.BAD_SIGNATURE)
    return key


def pack(folder: Path, version: str, out_dir: Path, private_key_pem: bytes, level: int = COMPRESSLEVEL) -> Path:
    """Pack ``folder`` as ``<out_dir>/<version>/`` (bundle, manifest, signature); return that dir."""
    if not version or "/" in version or version.startswith("."):
        raise ValueError(f"not a release version: {version!r}")
    key = serialization.load_pem_private_key(private_key_pem, password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError("the signing key is not an Ed25519 private key")
    target = out_dir / version
    target.mkdir(parents=True, exist_ok=True)
    bundle = target / f"release-{version}.tar.gz"
    with tarfile.open(bundle, "w:gz", compresslevel=level) as tar:
        tar.add(folder, arcname=".")
    data = bundle.read_bytes()
    manifest = Manifest(version, bundle.name, len(data), hashlib.sha256(data).hexdigest())
    (target / MANIFEST).write_bytes(manifest.to_bytes())
    (target / SIGNATURE).write_bytes(base64.b64encode(key.sign(manifest.to_bytes())))
    return target


def verify_manifest(raw: bytes, signature_b64: bytes, key: Ed25519PublicKey) -> Manifest:
    """The manifest, if ``signature_b64`` is the release key's signature of exactly ``raw``."""
    if len(raw) > MAX_MANIFEST_BYTES:
        raise ReleaseRefused("manifest too large", UpdateProblem.BAD_MANIFEST)
    try:
        key.verify(base64.b64decode(signature_b64, validate=True), raw)
    except (InvalidSignature, ValueError) as exc:
        raise ReleaseRefused("bad release signature", UpdateProblem.BAD_SIGNATURE) from exc
    try:
        doc = json.loads(raw)
        manifest = Manifest(str(doc["version"]), str(doc["bundle"]), int(doc["size"]), str(doc["sha256"]))
    except (ValueError, KeyError, TypeError) as exc:
        raise ReleaseRefused("malformed release manifest") from exc
    if "/" in manifest.version or manifest.version.startswith(".") or "/" in manifest.bundle:
        raise ReleaseRefused("unsafe release names")
    return manifest


def check_bundle(path: Path, manifest: Manifest) -> None:
    """Refuse a downloaded bundle whose size or SHA-256 is not the signed one (truncated, altered)."""
    size = path.stat().st_size
    if size != manifest.size:
        raise ReleaseRefused(f"bundle is {size} bytes, the signed size is {manifest.size} (truncated?)",
                             UpdateProblem.BAD_BUNDLE)
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    if digest.hexdigest() != manifest.sha256:
        raise ReleaseRefused("bundle hash differs from the signed hash", UpdateProblem.BAD_BUNDLE)


def unpack(path: Path, into: Path) -> None:
    """Extract a checked bundle into ``into``; members that would escape it are refused."""
    try:
        with tarfile.open(path, "r:gz") as tar:
            tar.extractall(into, filter="data")
    except (tarfile.TarError, OSError) as exc:
        raise ReleaseRefused(f"bundle does not unpack: {exc}", UpdateProblem.BAD_BUNDLE) from exc


def main(argv: list[str] | None = None) -> int:
    """``python -m common.releases keys|publish``: what the installer and the release builder run.
    ``keys`` makes the pair; ``publish FOLDER --version V`` packs, signs and names it latest."""
    import argparse
    p = argparse.ArgumentParser(prog="common.releases")
    sub = p.add_subparsers(dest="action", required=True)
    k = sub.add_parser("keys")
    k.add_argument("--private", required=True, type=Path)
    k.add_argument("--public", required=True, type=Path)
    d = sub.add_parser("public", help="write the public half of an existing (imported) private key")
    d.add_argument("--private", required=True, type=Path)
    d.add_argument("--public", required=True, type=Path)
    pub = sub.add_parser("publish", help="pack, sign and name latest a release folder: the one-folder "
                         "build (dist/hall-kiosk/ of packaging/pyinstaller/hall-kiosk.spec) or a venv release")
    pub.add_argument("folder", type=Path)
    pub.add_argument("--version", required=True)
    pub.add_argument("--key", required=True, type=Path)
    pub.add_argument("--releases", required=True, type=Path, help="the hall's $HALL_RELEASES_DIR")
    pub.add_argument("--level", type=int, choices=range(10), default=COMPRESSLEVEL, metavar="0-9",
                     help=f"gzip level of the bundle (default {COMPRESSLEVEL}; 1 packs fastest)")
    a = p.parse_args(argv)
    if a.action == "keys":
        make_keys(a.private, a.public)
        return 0
    if a.action == "public":
        key = serialization.load_pem_private_key(a.private.read_bytes(), password=None)
        if not isinstance(key, Ed25519PrivateKey):
            p.error(f"{a.private} is not an Ed25519 private key")
        a.public.write_bytes(public_key_pem(key.public_key()))
        return 0
    if release_layout(a.folder) is None:
        hint = " (the one-folder build is dist/hall-kiosk/, not dist/)" if (a.folder / "hall-kiosk").is_dir() else ""
        p.error(f"{a.folder} is no release a kiosk can start: neither an executable hall-kiosk "
                f"(the one-folder build) nor venv/bin/python at its top{hint}")
    pack(a.folder, a.version, a.releases, a.key.read_bytes(), a.level)
    tmp = a.releases / ".latest.tmp"
    tmp.write_text(a.version, "utf-8")
    tmp.replace(a.releases / "latest")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
