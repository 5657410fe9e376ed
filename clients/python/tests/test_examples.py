"""The examples run against the real server and publish what they draw."""

import json
import subprocess
import sys

import pytest
from websockets.sync.client import connect

from conftest import REPO, peek

EXAMPLES = REPO / "examples"


def run_example(name, server, *args, **kwargs):
    return subprocess.run(
        [sys.executable, str(EXAMPLES / name), "--url", server.url, *args],
        capture_output=True,
        text=True,
        timeout=120,
        **kwargs,
    )


@pytest.mark.parametrize(
    "name, stream, size", [("noise.py", "noise", (1000, 1000)), ("matplotlib_anim.py", "plot", (800, 500))]
)
def test_example_publishes_frames(server, name, stream, size):
    done = run_example(name, server, "--frames", "3")
    assert done.returncode == 0, done.stderr
    seq, shown = peek(server, stream)
    assert seq >= 1
    assert shown.shape[1::-1] == size
    assert len({tuple(p) for p in shown.reshape(-1, 4)[::997]}) > 5, "not a blank frame"


def test_interactive_example_paints_where_the_viewer_clicks(server):
    process = subprocess.Popen(
        [sys.executable, str(EXAMPLES / "interactive.py"), "--url", server.url, "--frames", "1"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        _, before = peek(server, "paint")  # also waits for the first frame
        assert tuple(before[300, 400]) == (245, 245, 245, 255)
        with connect(f"{server.ws}/ws/paint", compression=None) as viewer:
            viewer.send(json.dumps({"type": "pointerdown", "x": 400.0, "y": 300.0, "button": 0, "buttons": 1}))
            assert process.wait(timeout=30) == 0, process.stderr.read()
        _, after = peek(server, "paint", seq=2)
        assert tuple(after[300, 400]) == (30, 90, 200, 255)
        assert tuple(after[10, 10]) == (245, 245, 245, 255)
    finally:
        process.kill()
