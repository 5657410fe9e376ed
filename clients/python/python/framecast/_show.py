"""One line: ``framecast.show(frame)`` and OpenCV's ``imshow``/``waitKey``,
on a server this module starts in the process on first use."""

from __future__ import annotations

import errno
import re
import sys
import threading
import time
from typing import Any

import numpy as np

from . import _native
from ._arrays import as_array
from ._errors import ArrayError

#: The port ``show`` serves on, unless taken (then any free one).
DEFAULT_PORT = 8080
#: How often ``waitKey`` looks for a key, in seconds.
_KEY_POLL_S = 0.01
#: Keys ``waitKey`` returns as OpenCV does, besides single characters (their
#: code point).
_KEY_CODES = {"Enter": 13, "Escape": 27, "Backspace": 8, "Tab": 9}


class _Shows:
    """What ``show`` and ``imshow`` keep: the server they start on first use,
    the streams shown, the notebook cell each was last shown in, and
    imshow's windows."""

    def __init__(self, port: int = DEFAULT_PORT) -> None:
        self.port = port
        self.lock = threading.Lock()
        self.server: _native.Server | None = None
        self.streams: dict[str, _native.Stream] = {}
        #: IPython's execution count of the cell each stream was shown in.
        self.shown_in: dict[str, int] = {}
        #: imshow's window names, to stream names.
        self.windows: dict[str, str] = {}

    def running(self) -> _native.Server:
        with self.lock:
            if self.server is None:
                from . import serve

                try:
                    self.server = serve(port=self.port)
                    taken = ""
                except OSError as error:
                    if error.errno != errno.EADDRINUSE:
                        raise
                    self.server = serve(port=0)
                    taken = f" (port {self.port} is taken)"
                print(f"framecast: watch at {self.server.url}{taken}", flush=True)
            return self.server

    def stream(self, name: str) -> _native.Stream:
        running = self.running()
        with self.lock:
            stream = self.streams.get(name)
            if stream is None:
                stream = self.streams[name] = running.stream(name)
            return stream

    def show_in_notebook(self, name: str, stream: _native.Stream) -> None:
        """Displays the live view in the running cell's output, once a cell."""
        shell = _notebook_shell()
        if shell is None or self.shown_in.get(name) == shell.execution_count:
            return
        self.shown_in[name] = shell.execution_count
        try:
            stream.show()
        except ImportError:
            print("framecast: pip install 'framecast[jupyter]' to see the stream in the notebook", flush=True)

    def window_streams(self) -> list[_native.Stream]:
        with self.lock:
            return [self.streams[name] for name in set(self.windows.values()) if name in self.streams]

    def close(self) -> None:
        """Stops the server; the next ``show`` starts another."""
        with self.lock:
            server, self.server = self.server, None
            self.streams.clear()
            self.shown_in.clear()
            self.windows.clear()
        if server is not None:
            server.close()


_shows = _Shows()


def server() -> _native.Server:
    """The server ``show`` and ``imshow`` publish to, started on first use:
    on 127.0.0.1:8080, or on a free port if 8080 is taken. Prints its URL
    once."""
    return _shows.running()


def show(
    frame: object,
    name: str = "main",
    *,
    cmap: str | None = None,
    vmin: float | None = None,
    vmax: float | None = None,
    range: str | None = None,
) -> None:
    """Shows ``frame`` live as the stream ``name``. The first call starts a
    server in this process (``server()``) and prints its URL; later calls
    send. In a notebook the first call in each cell shows the live view in
    its output. ``frame`` is anything ``Stream.send`` takes (a numpy array,
    DLPack on the CPU, ``__array__``, a PIL image, a matplotlib figure);
    ``cmap``, ``vmin``, ``vmax`` and ``range`` as for ``Stream.send``."""
    stream = _shows.stream(name)
    stream.send(frame, cmap=cmap, vmin=vmin, vmax=vmax, range=range)
    _shows.show_in_notebook(name, stream)


def _notebook_shell() -> Any:
    """The IPython shell of a notebook kernel running this, or None."""
    ipython = sys.modules.get("IPython")
    shell = ipython.get_ipython() if ipython is not None else None
    return shell if shell is not None and hasattr(shell, "kernel") else None


def stream_name(winname: str) -> str:
    """The stream an ``imshow`` window name shows as: each run of characters
    other than A-Z a-z 0-9 _ - . becomes one ``-``, cut to 64 characters
    ("Camera 1 (left)" is ``Camera-1-left-``); an empty name is ``main``."""
    name = re.sub(r"[^A-Za-z0-9_.-]+", "-", winname)[:64]
    return name or "main"


def imshow(winname: str, mat: object) -> None:
    """``cv2.imshow`` without a window: shows ``mat`` live as the stream
    ``stream_name(winname)``, as OpenCV shows it: 3 channels are BGR, 4
    BGRA, 1 gray; 8-bit as it is, 16-bit and 32-bit integers divided by 256,
    floats multiplied by 255 (0..1 to 0..255), rounded and clipped to
    0..255. No ``waitKey`` is needed for it to show."""
    name = stream_name(winname)
    _shows.windows[winname] = name
    show(_as_opencv_shows(as_array(mat)), name)


def _as_opencv_shows(mat: object) -> np.ndarray:
    """The 8-bit RGB(A) or gray picture OpenCV's imshow makes of ``mat``."""
    if not isinstance(mat, np.ndarray):
        raise ArrayError(f"imshow takes a numpy array (or array-like), got {type(mat).__name__}")
    channels = 1 if mat.ndim == 2 else mat.shape[2] if mat.ndim == 3 else 0
    if channels not in (1, 3, 4):
        raise ArrayError(f"imshow takes H x W, H x W x 1, x 3 (BGR) or x 4 (BGRA) arrays, got shape {mat.shape}")
    kind = mat.dtype
    if kind == np.uint8:
        pixels = mat
    elif kind == np.int8 or kind in (np.uint16, np.int16, np.int32) or kind.kind == "f":
        # OpenCV's cvConvertImage: scale and shift by depth, then round (half
        # to even) and saturate to 8 bits; in single precision where that is
        # exact (16-bit integers) or what OpenCV uses (float32).
        scale = 1.0 if kind == np.int8 else 255.0 if kind.kind == "f" else 1 / 256
        shift = 128.0 if kind in (np.int8, np.int16) else 0.0
        precision = np.float64 if kind in (np.int32, np.float64) else np.float32
        scaled = mat.astype(precision)
        if scale != 1.0:
            np.multiply(scaled, precision(scale), out=scaled)
        if shift:
            np.add(scaled, precision(shift), out=scaled)
        np.rint(scaled, out=scaled)
        np.clip(scaled, 0, 255, out=scaled)
        if kind.kind == "f":
            np.nan_to_num(scaled, copy=False, nan=0.0)  # NaN shows black, as OpenCV's
        pixels = scaled.astype(np.uint8)
    elif kind == np.bool_:
        raise ArrayError("imshow does not take bool arrays (nor does OpenCV); framecast.show does")
    else:
        raise ArrayError(f"imshow takes uint8, int8, uint16, int16, int32, float32 or float64 arrays, got {kind}")
    if channels == 3:
        return pixels[..., ::-1]
    if channels == 4:
        return pixels[..., [2, 1, 0, 3]]
    return pixels


def waitKey(delay: int = 0) -> int:  # noqa: N802 (OpenCV's name)
    """OpenCV's ``waitKey``: the newest key pressed in a view of an
    ``imshow`` window since the last call, waiting up to ``delay``
    milliseconds for one (forever when ``delay`` <= 0); -1 if none. A
    character is its code point (``ord("q")``), Enter 13, Escape 27,
    Backspace 8, Tab 9; other keys are not counted. Frames show without it."""
    streams = _shows.window_streams()
    if not streams:
        return -1  # no window to press a key in
    deadline = None if delay <= 0 else time.monotonic() + delay / 1000
    while True:
        key = -1
        for stream in streams:
            for event in stream.poll_events():
                if event.get("type") == "keydown":
                    code = _key_code(event.get("key", ""))
                    key = code if code is not None else key
        if key != -1 or (deadline is not None and time.monotonic() >= deadline):
            return key
        time.sleep(_KEY_POLL_S)


def _key_code(key: str) -> int | None:
    if len(key) == 1:
        return ord(key)
    return _KEY_CODES.get(key)
