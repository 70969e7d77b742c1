"""QR scanners: serial/CDC (line framed), HID keyboard wedge (evdev, grabbed), camera (OpenCV +
zxing-cpp or pyzbar), payload classification, and a simulator."""

from devices.scanner.classify import APPOINTMENT_PREFIX, MAX_PAYLOAD, RepeatFilter, Scan, classify

__all__ = ["APPOINTMENT_PREFIX", "MAX_PAYLOAD", "RepeatFilter", "Scan", "classify"]
