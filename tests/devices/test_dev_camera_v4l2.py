"""The document camera against a real V4L2 device, where one exists (issue 12: "against a real
V4L2 device where one exists"). The device is ``$HALL_KIOSK_V4L2_DEVICE`` or the first
``/dev/video*``; without one (this CI machine has neither a camera nor ``v4l2loopback``) the test
is skipped and says so. On a technician's bench with a 高拍仪 plugged in it opens the camera the
way the kiosk does (``uvc_factory`` → ``DocumentCamera``, MJPG at 1080p), checks frames arrive,
the live preview is a JPEG, and a capture either gives a cropped photo or refuses with one of
the :class:`CameraProblem` reasons the kiosk explains (never another exception)."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from devices.camera import CameraProblem, CaptureError, DocumentCamera
from devices.camera.uvc import uvc_factory
from devices.state import DeviceState


def _device() -> str | None:
    named = os.environ.get("HALL_KIOSK_V4L2_DEVICE")
    if named:
        return named
    found = sorted(str(p) for p in Path("/dev").glob("video*"))
    return found[0] if found else None


DEVICE = _device()


@pytest.mark.skipif(DEVICE is None, reason="no V4L2 device here (no /dev/video*, no v4l2loopback): "
                                           "the UVC path is checked only against the simulator")
def test_a_real_uvc_camera_gives_frames_a_preview_and_a_photo_or_a_reason() -> None:
    assert DEVICE is not None
    camera = DocumentCamera(uvc_factory(DEVICE, 1920, 1080))
    camera.start()
    try:
        deadline = time.monotonic() + 15
        while camera.frames <= 5 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert camera.state == DeviceState.READY, camera.health()
        health = camera.health()
        assert health.frames > 5 and health.last_frame_age_s is not None and health.last_frame_age_s < 1.0
        preview = camera.preview_jpeg()
        assert preview is not None and preview[:2] == b"\xff\xd8"          # a JPEG
        try:
            photo = camera.capture(timeout=8)
        except CaptureError as refused:                                     # e.g. nothing still under it
            assert isinstance(refused.problem, CameraProblem)
        else:
            assert photo.jpeg[:2] == b"\xff\xd8" and photo.width > 0 and photo.height > 0
    finally:
        camera.stop()
