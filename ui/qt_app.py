"""Qt start-up shared by every role: the application object, the virtual keyboard, a CJK font
check with a clear message, QML engines with the QR provider, and window screenshots."""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from PySide6.QtGui import QFont, QFontDatabase, QGuiApplication
from PySide6.QtQml import QQmlApplicationEngine
from PySide6.QtQuick import QQuickWindow
from PySide6.QtWidgets import QApplication

from ui.qr_provider import QrImageProvider

QML_DIR = Path(__file__).resolve().parent / "qml"
CJK_FAMILIES = ("Noto Sans CJK SC", "Noto Sans SC", "WenQuanYi Micro Hei", "Source Han Sans SC")
log = logging.getLogger(__name__)


def descendants(item: Any) -> Iterator[Any]:
    """Every item under a Qt Quick item, depth first (the scene as a person looks it over)."""
    for child in item.childItems():
        yield child
        yield from descendants(child)


def is_shown(item: Any) -> bool:
    """Visible to a person: it and every ancestor visible and not transparent, with a size."""
    if item.width() <= 0 or item.height() <= 0:
        return False
    node = item
    while node is not None:
        if not node.isVisible() or node.opacity() == 0:
            return False
        node = node.parentItem()
    return True


def application(argv: list[str] | None = None) -> QGuiApplication:
    """The one QGuiApplication of the process (created on first call)."""
    os.environ.setdefault("QT_IM_MODULE", "qtvirtualkeyboard")
    os.environ.setdefault("QT_VIRTUALKEYBOARD_DESKTOP_DISABLE", "0")
    app = QGuiApplication.instance()
    if app is None:
        app = QApplication(argv if argv is not None else sys.argv[:1])
        app.setApplicationName("hall-kiosk")
        app.setOrganizationName("hall-kiosk")
    return app  # type: ignore[return-value]


def cjk_family() -> str:
    """A font family that has Chinese glyphs; raises with the Debian package to install."""
    families = set(QFontDatabase.families())
    for family in CJK_FAMILIES:
        if family in families:
            return family
    raise RuntimeError("no Chinese (CJK) font found: install the Debian package fonts-noto-cjk "
                       "(./setup.sh does it) so that Chinese text is readable")


def load_qml(name: str, properties: dict[str, Any],
             providers: dict[str, Any] | None = None) -> tuple[QQmlApplicationEngine, QQuickWindow]:
    """Load ``ui/qml/<name>`` giving its root object these (required) properties; ``providers``
    adds image providers (``image://<name>/…``) besides the QR one."""
    app = application()
    family = cjk_family()
    app.setFont(QFont(family, 14))
    engine = QQmlApplicationEngine()
    engine.addImageProvider("qr", QrImageProvider())
    for provider_name, provider in (providers or {}).items():
        engine.addImageProvider(provider_name, provider)
    engine.setInitialProperties(properties)
    engine.load(str(QML_DIR / name))
    roots = engine.rootObjects()
    if not roots:
        raise RuntimeError(f"QML failed to load: {name} (see the QML errors above)")
    window = roots[0]
    assert isinstance(window, QQuickWindow)
    return engine, window


def unload_qml(engine: QQmlApplicationEngine) -> None:
    """Close the engine's windows and delete the engine (and with it its windows) now.

    Call it before the bridge the pages bind to is freed: pages declare the bridge as a typed
    required property, so a bridge freed first turns into ``null`` under live bindings, which
    print "Cannot read property … of null" at interpreter exit.
    """
    import shiboken6

    if not shiboken6.isValid(engine):
        return
    for root in engine.rootObjects():
        if isinstance(root, QQuickWindow):
            root.close()
    shiboken6.delete(engine)


def save_screenshot(window: QQuickWindow, path: str | Path) -> Path:
    """Render the window (works offscreen) and save it as PNG."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    image = window.grabWindow()
    if image.isNull() or not image.save(str(path)):
        raise RuntimeError(f"could not save a screenshot to {path}")
    return path


def to_qml(value: Any) -> Any:
    """A copy safe to hand to QML as QVariantMap/List: ``None`` becomes ``""`` (falsy in QML).

    PySide6 6.12 drops one reference to ``None`` each time it converts a ``None`` inside a dict
    into a QVariant; a kiosk redrawing all day would eventually free ``None`` and abort
    ("none_dealloc"). Views never carry ``None`` across the bridge for that reason.
    """
    if value is None:
        return ""
    if isinstance(value, dict):
        return {str(k): to_qml(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_qml(v) for v in value]
    return value
