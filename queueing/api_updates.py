"""The hall service's fleet-update routes: it serves its kiosks the signed release it was given.

Releases are files, no schema: ``<releases>/<version>/`` holds what ``common.releases.pack`` wrote
(bundle, manifest, signature) and ``<releases>/latest`` names the version to roll out
(``python -m common.releases publish`` writes both). ``<releases>`` is ``[updates] releases_dir`` of
hall.toml (typed: queueing/hallconfig.py ``UpdatesTable``, relative to the data dir), overridden by
``$HALL_RELEASES_DIR`` (the installed unit sets /var/lib/hall-kiosk/releases). The hall only
serves; the kiosk checks the signature.

- ``GET /api/v1/updates/latest``: ``{"manifest": <signed JSON text>, "signature": <base64>}``, or
  ``{"manifest": null}`` when nothing is published.
- ``GET /api/v1/updates/{version}/bundle``: the bundle's bytes."""

from __future__ import annotations

import os
import weakref
from pathlib import Path
from typing import TYPE_CHECKING, Any

from common.releases import MANIFEST, SIGNATURE

if TYPE_CHECKING:
    from fastapi import FastAPI

    from queueing.api_routes import RouteContext
    from queueing.engine import QueueEngine

RELEASES_ENV = "HALL_RELEASES_DIR"
_configured: weakref.WeakKeyDictionary[QueueEngine, Path] = weakref.WeakKeyDictionary()


def install(engine: QueueEngine, data_dir: Path) -> None:
    """Read ``[updates]`` of the hall's hall.toml for this engine's routes (queueing/embedded.py)."""
    from queueing.hallconfig import load_updates

    table = load_updates(data_dir)
    if table.releases_dir:
        _configured[engine] = data_dir / table.releases_dir
    else:
        _configured.pop(engine, None)


def releases_dir(engine: QueueEngine | None = None) -> Path | None:
    value = os.environ.get(RELEASES_ENV, "")
    if value:
        return Path(value)
    return _configured.get(engine) if engine is not None else None


def _release(root: Path, version: str) -> Path | None:
    if not version or "/" in version or version.startswith("."):
        return None
    folder = root / version
    return folder if (folder / MANIFEST).is_file() else None


def add_routes(app: FastAPI, ctx: RouteContext) -> None:
    from fastapi import HTTPException
    from fastapi.responses import FileResponse

    @app.get("/api/v1/updates/latest")
    async def latest(role: str = ctx.require("kiosk", "admin")) -> dict[str, Any]:
        root = releases_dir(ctx.engine)
        if root is None or not (root / "latest").is_file():
            return {"manifest": None}
        folder = _release(root, (root / "latest").read_text("utf-8").strip())
        if folder is None:
            return {"manifest": None}
        return {"manifest": (folder / MANIFEST).read_text("utf-8"),
                "signature": (folder / SIGNATURE).read_text("ascii").strip()}

    @app.get("/api/v1/updates/{version}/bundle", response_class=FileResponse)
    async def bundle(version: str, role: str = ctx.require("kiosk", "admin")) -> Any:
        root = releases_dir(ctx.engine)
        folder = _release(root, version) if root else None
        files = sorted(folder.glob("release-*.tar.gz")) if folder else []
        if not files:
            raise HTTPException(404, "no such release")
        return FileResponse(files[0], media_type="application/gzip")
