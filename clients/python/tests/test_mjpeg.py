"""The MJPEG route read by OpenCV's ``cv2.VideoCapture``, a client framecast
did not write: the frames it gets come within 30 dB of the published ones,
and follow them as they change."""

import urllib.request

import numpy as np
import pytest

cv2 = pytest.importorskip("cv2")


def smooth(width: int, height: int, t: float) -> np.ndarray:
    """A natural-looking RGB picture (JPEG is judged against it in dB)."""
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float32)
    channels = [
        np.sin(xx * k + yy * 0.02 + t + phase) * 90 + 128 for k, phase in ((0.03, 0.0), (0.05, 1.0), (0.02, 2.0))
    ]
    return np.stack(channels, axis=-1).astype(np.uint8)


def post(server, stream: str, frame: np.ndarray) -> None:
    height, width, _ = frame.shape
    request = urllib.request.Request(
        f"{server.url}/api/streams/{stream}/frame?width={width}&height={height}",
        data=frame.tobytes(),
        headers={"Content-Type": "application/octet-stream"},
    )
    with urllib.request.urlopen(request) as response:
        assert response.status == 200


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    mse = np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2)
    return float(10 * np.log10(255**2 / mse))


def test_opencv_reads_the_mjpeg_route(server):
    first, second = smooth(320, 240, 0.0), smooth(320, 240, 2.0)
    post(server, "cam", first)
    capture = cv2.VideoCapture(f"{server.url}/api/streams/cam/mjpeg?quality=90", cv2.CAP_FFMPEG)
    try:
        assert capture.isOpened(), "OpenCV opened the stream"
        ok, shown = capture.read()
        assert ok
        assert shown.shape == (240, 320, 3)
        assert psnr(cv2.cvtColor(shown, cv2.COLOR_BGR2RGB), first) > 30

        # A new frame: OpenCV gets it (after any part of the first it had
        # read ahead), within 30 dB of it.
        post(server, "cam", second)
        for _ in range(10):
            ok, shown = capture.read()
            assert ok
            if psnr(cv2.cvtColor(shown, cv2.COLOR_BGR2RGB), second) > 30:
                break
        else:
            raise AssertionError("OpenCV never got the second frame")
    finally:
        capture.release()
