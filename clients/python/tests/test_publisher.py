"""The Python client against the real server: what a script sends is what a
viewer decodes, bad arrays fail at once, the producer's loop never waits for
the network, and viewers' input events come back."""

import json
import threading
import time

import numpy as np
import pytest
from websockets.sync.client import connect

import framecast
from conftest import BAD_ARRAYS, peek, rgba
from framecast import _native
from framecast._changes import Changes


def wait_for(predicate, timeout=10.0):
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("timed out")
        time.sleep(0.01)


def test_noise_frames_arrive_exactly(server):
    rng = np.random.default_rng(1)
    with framecast.Publisher(server.url, "noise") as publisher:
        frames = [rng.integers(0, 256, (240, 320, 3), dtype=np.uint8) for _ in range(5)]
        for frame in frames:
            publisher.send(frame)
            assert publisher.flush()
    seq, shown = peek(server, "noise", seq=5)
    assert seq == 5
    np.testing.assert_array_equal(shown, rgba(frames[-1]))


def test_rgba_and_non_contiguous_arrays(server):
    base = np.arange(90 * 120 * 4, dtype=np.uint32).astype(np.uint8).reshape(90, 120, 4)
    flipped = base[:, ::-1]  # a view with a negative stride
    transposed = base.transpose(1, 0, 2)  # 120 x 90, not C-contiguous
    assert not flipped.flags.c_contiguous and not transposed.flags.c_contiguous
    with framecast.Publisher(server.url, "views") as publisher:
        publisher.send(flipped)
        publisher.flush()
        _, shown = peek(server, "views", seq=1)
        np.testing.assert_array_equal(shown, flipped)
        publisher.send(transposed)  # size changes between frames
        publisher.flush()
    _, shown = peek(server, "views", seq=2)
    np.testing.assert_array_equal(shown, transposed)


@pytest.mark.parametrize(
    "frame, error, message",
    [*BAD_ARRAYS, (np.zeros((0, 10, 3), np.uint8), ValueError, "has a zero side")],
)
def test_bad_arrays_fail_at_once_and_send_nothing(server, frame, error, message):
    with framecast.Publisher(server.url, "strict") as publisher:
        with pytest.raises(framecast.ArrayError) as raised:
            publisher.send(frame)
        assert isinstance(raised.value, error)
        assert message in str(raised.value)
        good = np.full((8, 8, 3), 9, np.uint8)
        publisher.send(good)
        publisher.flush()
    seq, shown = peek(server, "strict")
    assert seq == 1
    np.testing.assert_array_equal(shown, rgba(good))


def test_send_never_waits_newest_frame_wins(server):
    frames = [np.full((500, 500, 3), i, np.uint8) for i in range(60)]
    with framecast.Publisher(server.url, "burst") as publisher:
        for frame in frames:
            publisher.send(frame)
        assert publisher.flush()
        assert publisher.frames_sent + publisher.frames_dropped == 60
        sent = publisher.frames_sent
    seq, shown = peek(server, "burst", seq=sent)
    assert seq == sent
    np.testing.assert_array_equal(shown, rgba(frames[-1]))


def test_viewer_input_events_reach_the_script(server):
    with framecast.Publisher(server.url, "gui") as publisher:
        publisher.send(np.zeros((20, 20, 3), np.uint8))
        publisher.flush()
        with connect(f"{server.ws}/ws/gui", compression=None) as viewer:
            click = {"type": "pointerdown", "x": 3.0, "y": 4.5, "button": 0, "buttons": 1}
            viewer.send(json.dumps(click))
            assert publisher.next_event(timeout=10) == click
            viewer.send(json.dumps({"type": "wheel", "x": 1.0, "y": 1.0, "dx": 0.0, "dy": 120.0}))
            wait_for(lambda: publisher._events)
            assert [e["type"] for e in publisher.poll_events()] == ["wheel"]
            assert publisher.poll_events() == []


def test_events_the_server_dropped_are_counted_not_returned(server):
    # The server tells a producer that fell behind how many events it lost
    # (tests/hostile.rs makes one fall behind); the client counts them.
    with framecast.Publisher(server.url, "counted") as publisher:
        publisher._on_text('{"type": "dropped", "events": 7}')
        publisher._on_text('{"type": "keydown", "key": "a", "code": "KeyA"}')
        publisher._on_text('{"type": "dropped", "events": 3}')
        assert publisher.events_dropped == 10
        assert [e["type"] for e in publisher.poll_events()] == ["keydown"]


def test_unreachable_server_is_a_clear_error():
    with pytest.raises(framecast.ConnectError, match=r"cannot connect to framecast at ws://127\.0\.0\.1:9/ingest/x"):
        framecast.Publisher("http://127.0.0.1:9", "x", connect_timeout=2)


def test_bad_urls_are_refused():
    with pytest.raises(ValueError, match="expected a server URL"):
        framecast.Publisher("ftp://example", "x")


def test_publisher_reconnects_when_the_server_comes_back(server):
    from conftest import Server

    publisher = framecast.Publisher(server.url, "comeback")
    try:
        publisher.send(np.full((16, 16, 3), 1, np.uint8))
        publisher.flush()
        address = server.url.removeprefix("http://")
        server.stop()
        restarted = Server("--source", "none", "--bind", address)
        try:
            last = np.full((16, 16, 3), 2, np.uint8)
            publisher.send(last)
            assert publisher.flush(timeout=20), "sent once reconnected"
            _seq, shown = peek(restarted, "comeback")
            np.testing.assert_array_equal(shown, rgba(last))
        finally:
            restarted.stop()
    finally:
        publisher.close()


def test_close_returns_at_once_when_the_server_is_gone(server):
    publisher = framecast.Publisher(server.url, "gone")
    publisher.send(np.zeros((16, 16, 3), np.uint8))
    assert publisher.flush()
    server.stop()
    wait_for(lambda: not publisher.connected)
    publisher.send(np.ones((16, 16, 3), np.uint8))  # nowhere to go
    start = time.monotonic()
    publisher.close(timeout=30)
    assert time.monotonic() - start < 10, "close waited for a server that is gone"
    assert "framecast-gone" not in [thread.name for thread in threading.enumerate()]
    with pytest.raises(framecast.PublishError, match="closed"):
        publisher.send(np.zeros((16, 16, 3), np.uint8))


def test_one_io_thread_a_publisher_and_none_after_close(server):
    before = threading.active_count()
    with framecast.Publisher(server.url, "threads") as publisher:
        assert threading.active_count() == before + 1
        publisher.send(np.zeros((16, 16, 3), np.uint8))
    assert threading.active_count() == before


@pytest.mark.parametrize("quality", [0, 101, "best", 75.0, True])
def test_bad_quality_values_are_refused(quality):
    with pytest.raises(ValueError, match="quality is 'auto', 'lossless' or a JPEG quality from 1 to 100, got "):
        framecast.Publisher("http://127.0.0.1:9", "x", quality=quality)


def test_a_lossless_stream_arrives_exactly(server):
    rng = np.random.default_rng(2)
    frame = rng.integers(0, 256, (120, 160, 3), dtype=np.uint8)
    with framecast.Publisher(server.url, "exact", quality="lossless") as publisher:
        publisher.send(frame)
        assert publisher.flush()
    _seq, shown = peek(server, "exact", seq=1)
    np.testing.assert_array_equal(shown, rgba(frame))


def sprite_frames(count, height=240, width=320, channels=3):
    """A still background of noise with a small square moving across it."""
    background = np.random.default_rng(3).integers(0, 256, (height, width, channels), dtype=np.uint8)
    for i in range(count):
        frame = background.copy()
        frame[40:72, 10 + 8 * i : 42 + 8 * i] = 255
        yield frame


@pytest.mark.parametrize("channels", [3, 4])
def test_small_changes_go_as_deltas_and_arrive_exactly(server, channels):
    frames = list(sprite_frames(6, channels=channels))
    with framecast.Publisher(server.url, f"sprite{channels}") as publisher:
        for i, frame in enumerate(frames):
            publisher.send(frame)
            assert publisher.flush()
            _, shown = peek(server, f"sprite{channels}", seq=i + 1)
            np.testing.assert_array_equal(shown, rgba(frame))
        # The first frame whole, then only the tiles around the square.
        assert publisher.deltas_sent == len(frames) - 1
        assert publisher.bytes_sent < frames[0].nbytes * 1.3


def test_a_scrolled_frame_goes_as_a_delta_and_arrives_exactly(server):
    page = np.random.default_rng(4).integers(0, 256, (300, 200, 3), dtype=np.uint8)
    scrolled = np.roll(page, -17, axis=0)
    with framecast.Publisher(server.url, "scroll") as publisher:
        for frame in (page, scrolled):
            publisher.send(frame)
            assert publisher.flush()
        assert publisher.deltas_sent == 1
        assert publisher.bytes_sent < page.nbytes * 1.2
    _, shown = peek(server, "scroll", seq=2)
    np.testing.assert_array_equal(shown, rgba(scrolled))


def test_changes_everywhere_go_whole(server):
    rng = np.random.default_rng(5)
    frames = [rng.integers(0, 256, (120, 160, 3), dtype=np.uint8) for _ in range(4)]
    with framecast.Publisher(server.url, "whole") as publisher:
        for frame in frames:
            publisher.send(frame)
            assert publisher.flush()
        assert publisher.deltas_sent == 0
    _, shown = peek(server, "whole", seq=4)
    np.testing.assert_array_equal(shown, rgba(frames[-1]))


def test_after_a_refusal_a_keyframe_resynchronizes(server):
    frames = list(sprite_frames(4))
    with framecast.Publisher(server.url, "resync") as publisher:
        for frame in frames[:2]:
            publisher.send(frame)
            assert publisher.flush()
        # As the I/O thread does when the server refuses a message: the next
        # frame goes as a keyframe, and deltas follow it.
        publisher._loop.call_soon_threadsafe(publisher._on_text, '{"type": "error", "error": "refused"}')
        wait_for(lambda: publisher.last_error == "refused")
        for i, frame in enumerate(frames[2:], start=3):
            publisher.send(frame)
            assert publisher.flush()
            _, shown = peek(server, "resync", seq=i)
            np.testing.assert_array_equal(shown, rgba(frame))
        assert publisher.deltas_sent == 3


def test_a_delta_that_shrinks_little_goes_only_over_a_slow_link():
    # A smooth field that moves, as a simulation's: every tile changes, and
    # XOR and LZ4 shrink it to about half.
    y, x = np.mgrid[0:256, 0:256]
    frames = [
        np.dstack([128 + 100 * np.sin(x / 9 + t / 3 + c) * np.cos(y / 7 - t / 5) for c in range(3)]).astype(np.uint8)
        for t in range(6)
    ]
    messages = [_native.publish_message(frame) for frame in frames]

    def deltas(link_s_per_byte):
        changes = Changes()
        changes.link_s_per_byte = link_s_per_byte
        return [changes.message(message) for message in messages]

    assert deltas(0.0) == [None] * 6  # loopback: the bytes saved take no time
    slow = deltas(1e-3)  # a millisecond a byte
    assert slow[0] is None and all(len(messages[0]) // 4 < len(delta) < len(messages[0]) for delta in slow[1:])
    assert Changes(deltas=False).message(messages[0]) is None


def test_no_deltas_when_asked(server):
    with framecast.Publisher(server.url, "nodeltas", deltas=False) as publisher:
        for frame in sprite_frames(3):
            publisher.send(frame)
            assert publisher.flush()
        assert publisher.deltas_sent == 0
