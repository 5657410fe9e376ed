"""Fixtures: the real framecast server on a free loopback port, and a viewer
that decodes frames with framecast-codec (the `peek` example)."""

import json
import os
import re
import subprocess
import threading
import time
import urllib.request
from pathlib import Path

import numpy as np
import pytest

REPO = Path(__file__).resolve().parents[3]
SERVER = Path(os.environ.get("FRAMECAST_BIN", REPO / "target/release/framecast"))
PEEK = Path(os.environ.get("FRAMECAST_PEEK", REPO / "target/release/examples/peek"))


class Server:
    """The ``framecast`` command with ``args`` (on a free loopback port unless
    they say ``--bind``); ``command`` is the Rust binary unless given."""

    def __init__(self, *args, command=(str(SERVER),)):
        bind = () if "--bind" in args else ("--bind", "127.0.0.1:0")
        self.process = subprocess.Popen(
            [*command, *bind, *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env={**os.environ, "RUST_LOG": "info", "NO_COLOR": "1"},
        )
        self.log = []
        self.token = None  # the token framecast printed in the URL to open, if any
        found = threading.Event()

        def read():
            for line in self.process.stdout:
                self.log.append(line)
                match = re.search(r"open (http://[\d.:]+)/(?:\?token=([^\s&]+))?", line)
                if match and not found.is_set():
                    self.url, self.token = match.groups()
                    found.set()

        threading.Thread(target=read, daemon=True).start()
        if not found.wait(20):
            self.stop()
            raise RuntimeError("framecast printed no URL:\n" + "".join(self.log))

    @property
    def ws(self):
        return self.url.replace("http://", "ws://")

    @property
    def query(self):
        """`?token=...` where the server needs one, else nothing."""
        return f"?token={self.token}" if self.token else ""

    def stop(self):
        self.process.terminate()
        self.process.wait(10)


@pytest.fixture
def server():
    server = Server("--source", "none")
    yield server
    server.stop()


def wait_for_stream(server, stream, timeout=20):
    """Waits until the server lists `stream` with a frame."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with urllib.request.urlopen(f"{server.url}/api/streams{server.query}") as response:
            if any(s["name"] == stream and s["seq"] > 0 for s in json.load(response)):
                return
        time.sleep(0.02)
    raise AssertionError(f"no frame on stream {stream!r} within {timeout} s")


#: What a viewer holds for each format: (dtype, channels); colours as RGBA.
HELD = {"rgb8": ("u1", 4), "rgba8": ("u1", 4), "gray8": ("u1", None), "gray16": ("<u2", None), "f32": ("<f4", None)}


def peek(server, stream, seq=None, timeout=20):
    """Watches `stream` as a viewer until it holds frame `seq`; returns
    (seq, framebuffer): H x W x 4 RGBA for colours, H x W of the values as
    published (uint8, uint16, float32) for the value formats."""
    wait_for_stream(server, stream, timeout)
    args = [str(PEEK), f"{server.ws}/ws/{stream}{server.query}"] + (["--seq", str(seq)] if seq else [])
    out = subprocess.run(args, capture_output=True, timeout=timeout, check=True).stdout
    header, pixels = out.split(b"\n", 1)
    width, height, held, format = header.decode().split()
    dtype, channels = HELD[format]
    shape = (int(height), int(width)) + ((channels,) if channels else ())
    return int(held), np.frombuffer(pixels, dtype=dtype).reshape(shape)


#: Arrays that ``send`` refuses at once, Publisher's and the in-process
#: stream's alike: (frame, error, part of its message).
# What each is refused with: framecast.ArrayError, which is also a ValueError
# and a TypeError (what code written without framecast would catch).
BAD_ARRAYS = [
    (
        np.zeros((10, 10, 3), np.float32),
        ValueError,
        "a float32 array of shape (10, 10, 3) is no frame; framecast takes uint8 (H, W, 3) RGB",
    ),
    (np.zeros((10, 10), np.int32), TypeError, "float32 or float64 (H, W); bool (H, W); got dtype int32"),
    (np.zeros((10, 10, 2), np.uint8), ValueError, "a uint8 array of shape (10, 10, 2) is no frame"),
    (np.zeros((10,), np.uint16), ValueError, "a uint16 array of shape (10,) is no frame"),
    ([[1, 2, 3]], TypeError, "expected a numpy array, got list"),
]


def rgba(frame):
    """What a viewer should hold for `frame`: RGB gets opaque alpha."""
    if frame.shape[2] == 4:
        return frame
    return np.concatenate([frame, np.full((*frame.shape[:2], 1), 255, np.uint8)], axis=2)
