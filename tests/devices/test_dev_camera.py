"""The document camera against its simulator (no V4L2 device or v4l2loopback on this machine:
the UVC path is checked only as far as a missing device), and through the device manager."""

from __future__ import annotations

import threading

import cv2
import numpy as np
import pytest
from dev_helpers import wait_for

from devices.camera import CameraProblem, CaptureError, DocumentCamera
from devices.camera.page import Stillness, crop_to_page
from devices.camera.simulator import CameraFault, DocumentCameraSimulator
from devices.config import CameraConfig, DevicesConfig, IdCardConfig, PrinterConfig, ScannerConfig
from devices.manager import DeviceManager
from devices.state import DeviceState


@pytest.fixture
def camera():
    sim = DocumentCameraSimulator(fps=30)
    cam = DocumentCamera(sim.open)
    cam.start()
    wait_for(lambda: cam.frames > 2)
    yield sim, cam
    cam.stop()


def test_still_page_is_captured_cropped_as_jpeg(camera) -> None:
    sim, cam = camera
    photo = cam.capture(timeout=5)
    assert photo.page_found
    image = cv2.imdecode(np.frombuffer(photo.jpeg, np.uint8), cv2.IMREAD_COLOR)
    h, w = image.shape[:2]
    # The simulated page is A4-like (1:1.414) and 80 % of the frame high: the crop is the page,
    # straightened, not the desk.
    assert abs(h / w - 1.414) < 0.08 and 0.7 * sim.height < h < 0.9 * sim.height
    assert image[h // 2, 5].mean() > 200      # page white up to the edge: the desk was cut off
    assert cam.preview_jpeg() is not None


@pytest.mark.parametrize(("fault", "problem"), [
    (CameraFault.MOVING, CameraProblem.NOT_STILL),
    (CameraFault.BLURRED, CameraProblem.BLURRED),
    (CameraFault.BLACK_FRAME, CameraProblem.BLACK),
    (CameraFault.NO_FRAME, CameraProblem.NO_FRAME),
])
def test_faults_refuse_the_photo_with_a_reason(camera, fault, problem) -> None:
    sim, cam = camera
    sim.set_fault(fault.value)
    with pytest.raises(CaptureError) as err:
        cam.capture(timeout=1.5)
    assert err.value.problem is problem
    sim.set_fault(None)
    wait_for(lambda: cam.state == DeviceState.READY, timeout=10)
    assert cam.capture(timeout=5).page_found


def test_unplugged_camera_is_disconnected_then_comes_back(camera) -> None:
    sim, cam = camera
    sim.set_fault("disconnect")
    wait_for(lambda: cam.state == DeviceState.DISCONNECTED, timeout=5)
    with pytest.raises(CaptureError) as err:
        cam.capture(timeout=1)
    assert err.value.problem is CameraProblem.DISCONNECTED
    sim.set_fault(None)
    wait_for(lambda: cam.state == DeviceState.READY, timeout=15)
    assert cam.health().frames > 0


def test_slow_camera_still_gives_a_photo_in_time(camera) -> None:
    sim, cam = camera
    sim.set_fault("slow")
    photo = cam.capture(timeout=10)
    assert photo.page_found


def test_stillness_counts_only_unmoving_frames() -> None:
    sim = DocumentCameraSimulator()
    still = Stillness(needed=3)
    page = sim.draw_page(6.0)
    assert [still.feed(page) for _ in range(4)] == [False, False, False, True]
    assert still.feed(sim.draw_page(6.0, shift=60)) is False


def test_crop_without_a_page_keeps_the_frame() -> None:
    desk = np.full((480, 640, 3), 70, np.uint8)
    out, found = crop_to_page(desk)
    assert not found and out.shape == desk.shape


def test_manager_builds_the_configured_camera() -> None:
    none = dict(idcard=IdCardConfig(port="none"), printer=PrinterConfig(connection="none"),
                scanner=ScannerConfig(kind="none"))
    with DeviceManager(DevicesConfig(**none)) as m:      # the simulator by default
        wait_for(lambda: m.state("camera")[0] == DeviceState.READY, timeout=15)
        assert m.camera is not None and m.faults("camera") == DocumentCameraSimulator.FAULTS
    alerts: list[tuple[str, str]] = []
    before = threading.active_count()
    config = DevicesConfig(**none, camera=CameraConfig(device="/dev/kiosk-camera-absent"))
    with DeviceManager(config, on_alert=lambda k, msg: alerts.append((k, msg))) as m:
        wait_for(lambda: alerts, timeout=15)
        assert m.state("camera") == (DeviceState.DISCONNECTED, "disconnected")
        assert alerts[0][0] == "camera" and m.faults("camera") == ()
        assert m.state("idcard") == (DeviceState.DISCONNECTED, "not configured")
        with pytest.raises(CaptureError):
            m.camera.capture(timeout=0.5)
    wait_for(lambda: threading.active_count() <= before, timeout=15)
