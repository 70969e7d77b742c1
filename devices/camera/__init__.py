"""The document camera (高拍仪): a UVC camera read through OpenCV, or its simulator; one frame
thread per camera, a live preview, a still capture cropped to the page, JPEG out."""

from devices.camera.device import CameraProblem, CaptureError, DocumentCamera, Photo

__all__ = ["CameraProblem", "CaptureError", "DocumentCamera", "Photo"]
