"""QR codes for QML: ``image://qr/<url-encoded text>`` draws the code as a crisp black-on-white image."""

from __future__ import annotations

from urllib.parse import unquote

import qrcode
from PySide6.QtCore import QSize
from PySide6.QtGui import QColor, QImage, QPainter
from PySide6.QtQuick import QQuickImageProvider


def qr_image(text: str, side: int = 300) -> QImage:
    code = qrcode.QRCode(border=2, error_correction=qrcode.constants.ERROR_CORRECT_M)
    code.add_data(text)
    code.make(fit=True)
    matrix = code.get_matrix()
    n = len(matrix)
    cell = max(1, side // n)
    image = QImage(n * cell, n * cell, QImage.Format.Format_RGB32)
    image.fill(QColor("white"))
    painter = QPainter(image)
    black = QColor("black")
    for y, row in enumerate(matrix):
        for x, dark in enumerate(row):
            if dark:
                painter.fillRect(x * cell, y * cell, cell, cell, black)
    painter.end()
    return image


class QrImageProvider(QQuickImageProvider):
    def __init__(self) -> None:
        super().__init__(QQuickImageProvider.ImageType.Image)

    def requestImage(self, id: str, size: QSize, requested: QSize) -> QImage:  # noqa: A002 - Qt API
        side = max(requested.width(), requested.height(), 200)
        image = qr_image(unquote(id), side)
        size.setWidth(image.width())
        size.setHeight(image.height())
        return image
