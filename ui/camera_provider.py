"""The document camera's live picture for QML: ``image://camera/live/<n>`` is the newest frame
(scaled down, JPEG-decoded into a QImage); a new ``n`` asks for a new frame.
``image://camera/photo/<token>`` is a photo the citizen took, held in the session's memory only
(kiosk.session.held_photo). No camera, no frame yet or a wiped photo gives a dark placeholder,
never an error."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QSize
from PySide6.QtGui import QColor, QImage
from PySide6.QtQuick import QQuickImageProvider


class CameraPreviewProvider(QQuickImageProvider):
    def __init__(self, devices: Any) -> None:
        super().__init__(QQuickImageProvider.ImageType.Image)
        self.devices = devices

    def requestImage(self, id: str, size: QSize, requested: QSize) -> QImage:  # noqa: A002 - Qt API
        if id.startswith("photo/"):
            from kiosk.session import held_photo

            data = held_photo(id[len("photo/"):])
        else:
            camera = getattr(self.devices, "camera", None) if self.devices is not None else None
            data = camera.preview_jpeg() if camera is not None else None
        image = QImage()
        if not data or not image.loadFromData(data, "JPG"):
            image = QImage(640, 360, QImage.Format.Format_RGB32)
            image.fill(QColor("#1b2631"))
        size.setWidth(image.width())
        size.setHeight(image.height())
        return image
