"""The server inside the Python process (``framecast.serve``): what a script
sends is what a viewer decodes, bad arrays fail at once, a taken port is a
clear error, and closing frees the port and the server's threads."""

import json
import logging
import os
import socket
import time
import urllib.error
import urllib.request
from types import SimpleNamespace

import numpy as np
import pytest
from websockets.sync.client import connect

import framecast
from conftest import BAD_ARRAYS, peek, rgba


def viewable(server):
    """What conftest's ``peek`` needs to watch an in-process server."""
    url = server.url.rstrip("/")
    return SimpleNamespace(url=url, ws=url.replace("http://", "ws://"), query="")


def server_threads():
    """The names of this process's threads that the Rust server runs."""
    names = []
    for task in os.listdir("/proc/self/task"):
        with open(f"/proc/self/task/{task}/comm") as comm:
            names.append(comm.read().strip())
    # framecast-log is the process's, not a server's (framecast._logs).
    return [name for name in names if name.startswith(("framecast", "actix")) and name != "framecast-log"]


def test_frames_sent_in_process_arrive_exactly():
    rng = np.random.default_rng(3)
    rgb = rng.integers(0, 256, (90, 120, 3), dtype=np.uint8)
    rgba_frame = rng.integers(0, 256, (64, 48, 4), dtype=np.uint8)
    transposed = rgb.transpose(1, 0, 2)  # not C-contiguous
    assert not transposed.flags.c_contiguous
    with framecast.serve(port=0) as server:
        stream = server.stream("sim")
        # Contiguous; rows contiguous (a crop, rows flipped); neither.
        views = [rgb, rgba_frame, rgb[10:80, 20:100], rgb[::-1], transposed, rgb[::-1, ::2]]
        for seq, frame in enumerate(views, start=1):
            assert stream.send(frame) == seq
            held, shown = peek(viewable(server), "sim", seq=seq)
            assert held == seq
            np.testing.assert_array_equal(shown, rgba(np.ascontiguousarray(frame)))


@pytest.mark.parametrize(
    "frame, error, message",
    [*BAD_ARRAYS, (np.zeros((0, 10, 3), np.uint8), ValueError, "has a zero side")],
)
def test_bad_arrays_fail_at_once_and_publish_nothing(frame, error, message):
    with framecast.serve(port=0) as server:
        stream = server.stream("bad")
        with pytest.raises(framecast.ArrayError) as raised:
            stream.send(frame)
        assert isinstance(raised.value, error)
        assert message in str(raised.value)
        assert stream.send(np.zeros((4, 4, 3), np.uint8)) == 1, "nothing was published before"


def test_serve_on_a_taken_port_is_a_clear_error():
    taken = socket.socket()
    taken.bind(("127.0.0.1", 0))
    taken.listen()
    port = taken.getsockname()[1]
    try:
        with pytest.raises(OSError, match=f"cannot listen on 127.0.0.1:{port}: Address already in use"):
            framecast.serve(port=port)
    finally:
        taken.close()


def test_close_frees_the_port_and_the_threads():
    server = framecast.serve(port=0)
    port = server.port
    assert server.url == f"http://127.0.0.1:{port}/"
    # A thread names itself once it runs.
    deadline = time.monotonic() + 5
    while "framecast-srv" not in server_threads() and time.monotonic() < deadline:
        time.sleep(0.01)
    assert "framecast-srv" in server_threads()
    server.stream("s").send(np.zeros((8, 8, 3), np.uint8))
    server.close()
    server.close()  # closing twice is fine
    with socket.socket() as again:
        again.bind(("127.0.0.1", port))
    deadline = time.monotonic() + 5
    while server_threads() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server_threads() == []
    with pytest.raises(RuntimeError, match="the server is closed"):
        server.stream("s")


def test_beyond_loopback_the_url_carries_a_view_token_that_cannot_publish():
    with framecast.serve(host="0.0.0.0", port=0) as server:
        url, token = server.url.split("/?token=")
        assert len(token) >= 32
        url = url.replace("0.0.0.0", "127.0.0.1")
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(f"{url}/api/streams")
        assert refused.value.code == 401
        with urllib.request.urlopen(f"{url}/api/streams?token={token}") as response:
            assert response.status == 200
        with pytest.raises(ConnectionError, match="HTTP 403"):
            framecast.Publisher(url, "sim", token=token)


def test_a_stream_gives_its_page_and_the_html_that_embeds_it():
    with framecast.serve(port=0, allow_origins=["http://127.0.0.1:5000/"]) as server:
        stream = server.stream("sim")
        base = f"http://127.0.0.1:{server.port}/"
        assert stream.url == f"{base}?stream=sim"
        assert stream.embed_html() == (
            f'<script type="module" src="{base}framecast.js"></script>\n'
            f'<framecast-view server="{base}" stream="sim"></framecast-view>'
        )
        # The app's origin may read the API; another may not.
        request = urllib.request.Request(f"{base}api/streams", headers={"Origin": "http://127.0.0.1:5000"})
        with urllib.request.urlopen(request) as response:
            assert response.headers["Access-Control-Allow-Origin"] == "http://127.0.0.1:5000"
        request = urllib.request.Request(f"{base}api/streams", headers={"Origin": "http://127.0.0.1:5001"})
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(request)
        assert refused.value.code == 403
    with pytest.raises(ValueError, match="allow_origins: expected an origin like"):
        framecast.serve(port=0, allow_origins=["127.0.0.1:5000"])


def test_beyond_loopback_the_embedding_html_carries_the_view_token_only():
    with framecast.serve(host="0.0.0.0", port=0) as server:
        view_token = server.url.split("/?token=")[1]
        html = server.stream("sim").embed_html()
        assert f' token="{view_token}"' in html
        assert server.stream("sim").url.endswith(f"?stream=sim&token={view_token}")
        # That token views, and cannot publish.
        base = f"http://127.0.0.1:{server.port}"
        with urllib.request.urlopen(f"{base}/api/streams?token={view_token}") as response:
            assert response.status == 200
        post = urllib.request.Request(
            f"{base}/api/streams/x/frame?width=1&height=1&token={view_token}",
            data=b"\0\0\0",
            headers={"Content-Type": "application/octet-stream"},
        )
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(post)
        assert refused.value.code == 403


def test_viewer_input_events_reach_poll_events():
    with framecast.serve(port=0) as server:
        stream = server.stream("gui")
        assert stream.poll_events() == []
        stream.send(np.zeros((20, 20, 3), np.uint8))
        ws = server.url.replace("http://", "ws://").rstrip("/")
        with connect(f"{ws}/ws/gui", compression=None) as viewer:
            click = {"type": "pointerdown", "x": 3.0, "y": 4.5, "button": 0, "buttons": 1}
            key = {
                "type": "keydown",
                "key": "a",
                "code": "KeyA",
                "shift": False,
                "ctrl": False,
                "alt": False,
                "meta": False,
            }
            viewer.send(json.dumps(click))
            viewer.send(json.dumps(key))
            viewer.send('{"type": "explode"}')  # refused by the server, never relayed
            events = []
            deadline = time.monotonic() + 10
            while len(events) < 2 and time.monotonic() < deadline:
                events += stream.poll_events()
                time.sleep(0.01)
        assert events == [click, key]
        assert stream.poll_events() == []


def test_events_not_polled_in_time_are_counted_not_returned():
    with framecast.serve(port=0) as server:
        stream = server.stream("busy")
        stream.send(np.zeros((8, 8, 3), np.uint8))
        ws = server.url.replace("http://", "ws://").rstrip("/")
        with connect(f"{ws}/ws/busy", compression=None) as viewer:
            # 600 key events within the viewer's rate (a burst of 240, then
            # 240 a second), while the program does not poll: 256 wait.
            for n in range(600):
                viewer.send(json.dumps({"type": "keydown", "key": str(n), "code": "KeyK"}))
                if n >= 200:
                    time.sleep(1 / 200)
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline:
                with urllib.request.urlopen(f"{server.url.rstrip('/')}/api/streams") as response:
                    counts = json.load(response)[0]["events"]
                if counts["relayed"] + counts["limited"] == 600:
                    break
                time.sleep(0.05)
        events = stream.poll_events()
        assert counts["relayed"] > 256, counts
        assert len(events) == 256
        assert stream.events_dropped == counts["relayed"] - 256
        keys = [int(event["key"]) for event in events]
        assert keys == list(range(keys[0], keys[0] + 256)), "the newest, in order"
        with urllib.request.urlopen(f"{server.url.rstrip('/')}/api/streams") as response:
            assert json.load(response)[0]["events"]["dropped"] == stream.events_dropped


def test_server_logs_go_to_python_logging(caplog):
    caplog.set_level(logging.INFO, logger="framecast")
    with framecast.serve(port=0) as server:
        server.stream("logged").send(np.zeros((8, 8, 3), np.uint8))
        peek(viewable(server), "logged")
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            connected = [
                r
                for r in caplog.records
                if r.name == "framecast.viewer" and r.getMessage().startswith("viewer connected")
            ]
            if connected:
                break
            time.sleep(0.02)
    assert connected, [r.getMessage() for r in caplog.records]
    assert connected[0].levelno == logging.INFO
    assert 'stream="logged"' in connected[0].getMessage()


def producer_connected(server, name):
    with urllib.request.urlopen(f"{server.url.rstrip('/')}/api/streams") as response:
        return {stream["name"]: stream["producer"] for stream in json.load(response)}.get(name)


def test_the_program_is_one_producer_however_many_stream_objects_it_makes():
    with framecast.serve(port=0) as server:
        # More than the server's producers per stream (4).
        streams = [server.stream("many") for _ in range(10)]
        frame = np.full((8, 8, 3), 7, np.uint8)
        assert [stream.send(frame) for stream in streams] == list(range(1, 11))
        assert producer_connected(server, "many") is True
        del streams
        import gc

        gc.collect()
        assert producer_connected(server, "many") is False
        # A deleted stream is made again, with a producer's place of its own.
        stream = server.stream("many")
        request = urllib.request.Request(f"{server.url.rstrip('/')}/api/streams/many", method="DELETE")
        urllib.request.urlopen(request).close()
        assert producer_connected(server, "many") is None
        again = server.stream("many")
        assert again.send(frame) == 1
        assert producer_connected(server, "many") is True
        del stream


def test_flush_waits_until_every_viewer_was_sent_the_newest_frame():
    import struct

    with framecast.serve(port=0) as server:
        stream = server.stream("paced")
        frame = np.zeros((16, 16, 3), np.uint8)
        stream.send(frame)
        assert stream.flush(timeout=0), "no viewer: nothing to wait for"
        ws = server.url.replace("http://", "ws://").rstrip("/")
        with connect(f"{ws}/ws/paced", compression=None) as viewer:
            assert stream.flush(timeout=10)
            # Two frames may be in flight: the second is sent, the third
            # waits for an ack, and so does flush.
            stream.send(frame + 1)
            assert stream.flush(timeout=10)
            stream.send(frame + 2)
            started = time.monotonic()
            assert not stream.flush(timeout=0.3)
            assert time.monotonic() - started >= 0.3
            frames = []
            while len(frames) < 2:
                message = viewer.recv(timeout=10)
                if isinstance(message, bytes):
                    frames.append(struct.unpack_from("<Q", message, 8)[0])
            viewer.send(struct.pack("<4sBBHQIII", b"FCST", framecast.PROTOCOL_VERSION, 2, 0, frames[-1], 0, 0, 0))
            assert stream.flush(timeout=10)
        # The viewer left: nobody to wait for.
        stream.send(frame + 3)
        assert stream.flush(timeout=10)
