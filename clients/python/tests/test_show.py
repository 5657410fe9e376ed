"""One line: ``framecast.show`` and ``imshow``/``waitKey`` (in this process,
on a server of their own per test, and in a script as a user runs it), and
the array-likes every ``send`` takes: DLPack, PIL images, matplotlib
figures, each arriving exactly as its pixels."""

import json
import socket
import subprocess
import sys
import time
import urllib.request

import cv2
import matplotlib
import numpy as np
import pytest
from PIL import Image
from websockets.sync.client import connect

import framecast
from conftest import REPO
from framecast import _arrays, _native, _show

matplotlib.use("Agg")
from matplotlib import pyplot as plt
from matplotlib.figure import Figure


@pytest.fixture
def shows(monkeypatch):
    """``show``'s server for this test alone, on a free port; closed after."""
    shows = _show._Shows(port=0)
    monkeypatch.setattr(_show, "_shows", shows)
    yield shows
    shows.close()


def published(name, server=None):
    """The pixels of stream ``name`` as the server holds them (bytes as
    published), and its format."""
    url = (server or framecast.server()).url
    with urllib.request.urlopen(f"{url}api/streams/{name}/frame") as response:
        return response.read(), response.headers["X-Framecast-Format"]


class DLPackOnly:
    """An array-like that offers DLPack alone (as torch and jax tensors do),
    forwarding to numpy's own ``__dlpack__``."""

    def __init__(self, array, device=(1, 0)):
        self._array, self._device = array, device

    def __dlpack__(self, **kwargs):
        return self._array.__dlpack__(**kwargs)

    def __dlpack_device__(self):
        return self._device


def rgb(seed, shape=(60, 80, 3)):
    return np.random.default_rng(seed).integers(0, 256, shape, dtype=np.uint8)


def test_show_publishes_and_prints_the_url_once(shows, capsys):
    first, second = rgb(1), rgb(2)
    framecast.show(first)
    framecast.show(second)
    framecast.show(rgb(3), name="other")
    printed = capsys.readouterr().out
    assert printed == f"framecast: watch at {framecast.server().url}\n"
    assert published("main")[0] == second.tobytes()
    assert published("other")[0] == rgb(3).tobytes()


def test_show_takes_port_8080_or_a_free_one_and_says_so(tmp_path):
    # In a script, as a user runs it, with 8080 taken (by us, if no one else).
    taken = socket.socket()
    # (Past servers' connections in TIME_WAIT do not keep this from binding,
    # as they do not keep framecast from binding.)
    taken.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        taken.bind(("127.0.0.1", 8080))
        taken.listen()
    except OSError:
        pass  # taken already
    script = "import framecast, numpy as np\nframecast.show(np.zeros((4, 4), np.uint8))\n"
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=tmp_path, timeout=60)
    taken.close()
    assert run.returncode == 0, run.stderr
    assert run.stdout.startswith("framecast: watch at http://127.0.0.1:")
    assert run.stdout.endswith("/ (port 8080 is taken)\n")


def test_dlpack_pil_and_matplotlib_arrive_as_their_pixels(shows):
    frame = rgb(4)
    framecast.show(DLPackOnly(frame), name="dlpack")
    assert published("dlpack") == (frame.tobytes(), "rgb8")
    field = np.linspace(-1, 1, 48 * 64, dtype=np.float32).reshape(48, 64)
    framecast.show(DLPackOnly(field), name="dlpack-field")
    assert published("dlpack-field") == (field.tobytes(), "f32")

    framecast.show(Image.fromarray(frame), name="pil")
    assert published("pil") == (frame.tobytes(), "rgb8")
    depth = np.arange(40 * 30, dtype=np.uint16).reshape(30, 40) * 50
    framecast.show(Image.fromarray(depth), name="pil16")
    assert published("pil16") == (depth.tobytes(), "gray16")
    palette = Image.fromarray(frame).convert("P", palette=Image.Palette.ADAPTIVE, colors=16)
    framecast.show(palette, name="palette")
    assert published("palette") == (np.asarray(palette.convert("RGB")).tobytes(), "rgb8")

    figure = Figure(figsize=(3, 2), dpi=50)
    figure.add_subplot().plot([0, 1, 4, 9])
    framecast.show(figure, name="figure")
    assert published("figure") == (np.asarray(_agg_rendering(figure)).tobytes(), "rgba8")


def _agg_rendering(figure):
    """The figure drawn by matplotlib's Agg canvas, independently."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    canvas = FigureCanvasAgg(Figure(figsize=figure.get_size_inches(), dpi=figure.dpi))
    copy = canvas.figure
    copy.add_subplot().plot([0, 1, 4, 9])
    canvas.draw()
    return np.asarray(canvas.buffer_rgba()).copy()


def test_a_figure_is_rendered_again_only_when_it_changed():
    figure, axes = plt.subplots(figsize=(2, 2), dpi=40)
    (line,) = axes.plot([0, 1, 2])
    first = _arrays.as_array(figure)
    assert _arrays.as_array(figure) is first, "not drawn again while unchanged"
    line.set_ydata([2, 1, 0])
    changed = _arrays.as_array(figure)
    assert changed is not first and not np.array_equal(changed, first)
    assert first.shape == (80, 80, 4)
    plt.close(figure)


def test_array_likes_through_the_five_line_api_and_the_publisher(server):
    frame = rgb(5)
    with framecast.serve(port=0) as local:
        stream = local.stream("likes")
        stream.send(DLPackOnly(frame))
        assert published("likes", local)[0] == frame.tobytes()
    with framecast.Publisher(server.url, "likes") as publisher:
        publisher.send(Image.fromarray(frame))
        assert publisher.flush()
    with urllib.request.urlopen(f"{server.url}/api/streams/likes/frame") as response:
        assert response.read() == frame.tobytes()


@pytest.mark.parametrize(
    "frame, given",
    [
        (DLPackOnly(np.zeros((4, 4), np.uint8), device=(2, 0)), "test_show.DLPackOnly on a CUDA GPU (device 0)"),
        (np.zeros((4, 4), np.int64), "got dtype int64"),
        (Image.new("I", (4, 4), -5), "got dtype int32"),
    ],
)
def test_a_gpu_tensor_or_a_bad_dtype_fails_at_once_naming_both(shows, frame, given):
    with pytest.raises(framecast.ArrayError) as raised:
        framecast.show(frame, name="refused")
    message = str(raised.value)
    assert given in message
    if "GPU" in given:
        assert "framecast reads frames from the CPU's memory: bring it there first (torch: .cpu()" in message
    else:
        assert framecast.ACCEPTED in message
    with urllib.request.urlopen(f"{framecast.server().url}api/streams") as response:
        streams = {stream["name"]: stream for stream in json.load(response)}
    assert streams["refused"]["seq"] == 0, "nothing was published"


def test_imshow_shows_bgr_and_scales_16_bit_and_float_as_opencv_does(shows):
    bgr = rgb(6)
    framecast.imshow("Camera 1 (left)", bgr)
    assert framecast.stream_name("Camera 1 (left)") == "Camera-1-left-"
    assert published("Camera-1-left-") == (cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB).tobytes(), "rgb8")
    bgra = rgb(7, (20, 30, 4))
    framecast.imshow("bgra", bgra)
    assert published("bgra")[0] == cv2.cvtColor(bgra, cv2.COLOR_BGRA2RGBA).tobytes()

    depth = np.random.default_rng(8).integers(0, 65536, (50, 70), dtype=np.uint16)
    depth[0, :4] = [127, 128, 384, 65535]  # halves round to even, as OpenCV's do
    framecast.imshow("depth", depth)
    # OpenCV shows 16-bit images divided by 256: convertTo(CV_8U, 1/256).
    assert published("depth") == (cv2.convertScaleAbs(depth, alpha=1 / 256).tobytes(), "gray8")
    unit = np.random.default_rng(9).random((50, 70, 3), dtype=np.float32)
    framecast.imshow("unit", unit)  # floats times 255, BGR
    expected = cv2.cvtColor(cv2.convertScaleAbs(unit, alpha=255), cv2.COLOR_BGR2RGB)
    assert published("unit")[0] == expected.tobytes()

    signed = np.random.default_rng(11).integers(-32768, 32768, (30, 40), dtype=np.int16)
    framecast.imshow("signed", signed)  # int16: /256, +128
    assert published("signed")[0] == cv2.convertScaleAbs(signed, alpha=1 / 256, beta=128).tobytes()

    with pytest.raises(framecast.ArrayError, match=r"got shape \(4, 4, 2\)"):
        framecast.imshow("two", np.zeros((4, 4, 2), np.uint8))


def test_wait_key_returns_the_newest_key_pressed_in_a_view(shows):
    assert framecast.waitKey(1) == -1, "no window yet"
    framecast.imshow("keys", rgb(10))
    started = time.monotonic()
    assert framecast.waitKey(50) == -1
    assert time.monotonic() - started >= 0.05
    ws = framecast.server().url.replace("http://", "ws://")
    with connect(f"{ws}ws/keys", compression=None) as viewer:
        viewer.recv(timeout=10)  # the frame: connected

        def press(*keys):
            for key in keys:
                event = {"type": "keydown", "key": key, "code": "", "shift": False, "ctrl": False, "alt": False}
                viewer.send(json.dumps({**event, "meta": False}))

        press("a")
        assert framecast.waitKey(5000) == ord("a")
        press("Shift", "q")  # Shift alone is no key to OpenCV: waits on
        assert framecast.waitKey(5000) == ord("q")
        press("x", "Escape")
        time.sleep(0.5)  # both arrive before the call: the newest wins
        assert framecast.waitKey(0) == 27
        assert framecast.waitKey(1) == -1


def test_the_package_writes_no_wire_format():
    # Everything about the wire is the extension's (the codec's).
    assert framecast.PROTOCOL_VERSION == _native.PROTOCOL_VERSION
    assert (framecast.MAX_DIMENSION, framecast.MAX_FRAME_PIXELS) == (_native.MAX_DIMENSION, _native.MAX_FRAME_PIXELS)
    message = _native.publish_message(np.zeros((2, 3), np.uint16), capture_us=7)
    assert bytes(message[:6]) == b"FCST" + bytes([framecast.PROTOCOL_VERSION, 4])
    sources = REPO / "clients/python/python/framecast"
    for source in sources.glob("*.py"):
        text = source.read_text()
        assert "FCST" not in text and "import struct" not in text, f"{source.name} writes the wire format"


def test_show_in_a_notebook_cell_shows_the_live_view():
    nbformat = pytest.importorskip("nbformat")
    from nbclient import NotebookClient

    notebook = nbformat.v4.new_notebook()
    setup = "import framecast, numpy as np\nframecast._show._shows.port = 0\n"
    notebook.cells = [
        nbformat.v4.new_code_cell(setup + "frame = np.full((30, 40, 3), 200, np.uint8)\nframecast.show(frame)"),
        nbformat.v4.new_code_cell("for i in range(3):\n    framecast.show(np.full((30, 40, 3), i, np.uint8))"),
        nbformat.v4.new_code_cell(
            "import urllib.request\n"
            "print(urllib.request.urlopen(framecast.server().url + 'api/streams/main/frame').read()[:3])"
        ),
        nbformat.v4.new_code_cell(
            "from matplotlib.figure import Figure\n"
            "figure = Figure(figsize=(2, 1.5), dpi=50)\n"
            "figure.add_subplot().plot([0, 1, 4, 9])\n"
            "framecast.show(figure, name='plot')\n"
            "framecast.show(np.linspace(0, 1, 600).reshape(20, 30), name='field', cmap='magma')"
        ),
    ]
    NotebookClient(notebook, timeout=120, kernel_name="python3").execute()
    first, loop, check, more = (cell.outputs for cell in notebook.cells)
    widget = "application/vnd.jupyter.widget-view+json"
    assert first[0].output_type == "stream" and first[0].text.startswith("framecast: watch at http://127.0.0.1:")
    assert [output.output_type for output in first[1:]] == ["display_data"] and widget in first[1].data
    assert [output.output_type for output in loop] == ["display_data"], "once a cell, however many frames"
    assert check[0].text == "b'\\x02\\x02\\x02'\n"
    assert [output.output_type for output in more] == ["display_data"] * 2, "a figure and a field, a view each"
    assert all(widget in output.data for output in more)
