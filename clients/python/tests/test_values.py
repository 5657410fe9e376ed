"""Arrays of values (gray uint8, bool, uint16, float32, float64), sent in
process and with the remote Publisher: a viewer holds exactly the values
sent (float64 as float32, bool as 0 and 255, NaN payloads kept), the
colormap and range asked for reach the server, and bad arguments fail at
once naming what is accepted."""

import json
import re
import time
import urllib.request
from types import SimpleNamespace

import numpy as np
import pytest

import framecast
from conftest import REPO, peek


def arrays():
    """(name, array sent, what a viewer holds)."""
    rng = np.random.default_rng(7)
    field = np.sin(np.linspace(0, 9, 48 * 64, dtype=np.float32)).reshape(48, 64) * 3.5
    field[0, 3] = np.float32(np.nan)
    field.view(np.uint32)[0, 4] = 0x7FA00042  # a NaN with a payload of its own
    field[1, 1] = np.inf
    camera = rng.integers(0, 4096, (48, 64), dtype=np.uint16)
    gray = rng.integers(0, 256, (48, 64), dtype=np.uint8)
    mask = rng.random((48, 64)) > 0.5
    wide = np.linspace(-1e3, 1e3, 48 * 64).reshape(48, 64)  # float64
    return [
        ("gray8", gray, gray),
        ("gray8-x1", gray[:, :, None], gray),
        ("bool", mask, mask.astype(np.uint8) * 255),
        ("gray16", camera, camera),
        ("f32", field, field),
        ("f32-transposed", field.T, np.ascontiguousarray(field.T)),
        ("f64", wide, wide.astype(np.float32)),
    ]


def listed(url, stream):
    with urllib.request.urlopen(f"{url}/api/streams") as response:
        return next(s for s in json.load(response) if s["name"] == stream)


def same_bits(held, expected):
    assert held.dtype.itemsize == expected.dtype.itemsize
    bits = {1: np.uint8, 2: np.uint16, 4: np.uint32}[held.dtype.itemsize]
    np.testing.assert_array_equal(held.view(bits), np.ascontiguousarray(expected).view(bits))


@pytest.mark.parametrize("name, frame, expected", arrays(), ids=[a[0] for a in arrays()])
def test_values_sent_in_process_arrive_exactly(name, frame, expected):
    with framecast.serve(port=0) as server:
        stream = server.stream(name)
        assert stream.send(frame) == 1
        url = server.url.rstrip("/")
        _, held = peek(SimpleNamespace(url=url, ws=url.replace("http://", "ws://"), query=""), name, seq=1)
        same_bits(held, expected)


@pytest.mark.parametrize("name, frame, expected", arrays(), ids=[a[0] for a in arrays()])
def test_values_sent_by_a_publisher_arrive_exactly(server, name, frame, expected):
    with framecast.Publisher(server.url, name) as publisher:
        publisher.send(frame)
        publisher.flush()
    _, held = peek(server, name, seq=1)
    same_bits(held, expected)


def test_the_colormap_and_range_asked_for_reach_the_server(server):
    field = np.linspace(0, 1, 32 * 16, dtype=np.float32).reshape(16, 32)
    with framecast.serve(port=0) as local:
        stream = local.stream("field")
        stream.send(field, cmap="viridis", vmin=0, vmax=1)
        assert listed(local.url.rstrip("/"), "field")["view"] == {
            "type": "view",
            "colormap": "viridis",
            "range": [0, 1],
        }
        stream.send(field, range="window")  # the colormap stays
        assert listed(local.url.rstrip("/"), "field")["view"]["range"] == "window"
        assert listed(local.url.rstrip("/"), "field")["view"]["colormap"] == "viridis"
    with framecast.Publisher(server.url, "remote") as publisher:
        publisher.send(field, cmap="inferno", vmin=-2.5, vmax=2.5)
        publisher.flush()
        assert listed(server.url, "remote")["view"] == {"type": "view", "colormap": "inferno", "range": [-2.5, 2.5]}
        publisher.send(field, cmap="turbo")
        publisher.flush()
        assert listed(server.url, "remote")["view"] == {"type": "view", "colormap": "turbo", "range": [-2.5, 2.5]}
        # Without a frame: the stream's view alone.
        publisher.set_view(range="frame")
        deadline = time.monotonic() + 10
        while listed(server.url, "remote")["view"]["range"] != "frame":
            assert time.monotonic() < deadline, "the view message arrived"
            time.sleep(0.02)
    with framecast.serve(port=0) as local:
        stream = local.stream("set")
        stream.set_view(cmap="magma", vmin=1, vmax=2)
        assert listed(local.url.rstrip("/"), "set")["view"] == {"type": "view", "colormap": "magma", "range": [1, 2]}
        with pytest.raises(ValueError, match="no colormap"):
            stream.set_view(cmap="nope")


BAD_VIEWS = [
    (dict(cmap="jet"), 'no colormap "jet"; expected gray, viridis, magma, inferno, turbo or coolwarm'),
    (dict(vmin=0), "needs both vmin and vmax"),
    (dict(vmin=1, vmax=0), "the first the smaller"),
    (dict(vmin=0, vmax=float("nan")), "two finite numbers"),
    (dict(range="sometimes"), 'no range "sometimes"'),
    (dict(range="frame", vmin=0, vmax=1), "not both"),
]


@pytest.mark.parametrize("view, message", BAD_VIEWS)
def test_bad_views_fail_at_once_and_publish_nothing(server, view, message):
    # Checked in one place, the extension's (the server's rules), for both.
    field = np.zeros((8, 8), np.float32)
    with framecast.serve(port=0) as local:
        stream = local.stream("bad")
        with pytest.raises(ValueError) as raised:
            stream.send(field, **view)
        assert message in str(raised.value)
        assert listed(local.url.rstrip("/"), "bad")["seq"] == 0
    with framecast.Publisher(server.url, "bad") as publisher:
        with pytest.raises(ValueError) as raised:
            publisher.send(field, **view)
        assert message in str(raised.value)
        assert publisher.frames_sent == 0


def test_the_element_offers_the_codecs_colormaps():
    # www/element.js lists them for its colour bar (it is a client of its
    # own, in another language); the codec's list is the one the extension
    # exports.
    element = (REPO / "www/element.js").read_text()
    listed = re.search(r"export const COLORMAPS = \[([^\]]*)\];", element)
    assert listed, "element.js no longer exports COLORMAPS"
    assert tuple(json.loads(f"[{listed.group(1)}]")) == framecast.COLORMAPS
    modes = re.search(r"const RANGE_MODES = \[([^\]]*)\];", element)
    assert modes and tuple(json.loads(f"[{modes.group(1)}]")) == framecast.RANGES
