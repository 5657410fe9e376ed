"""The ``framecast`` command that ``pip install`` puts next to Python: the
Rust binary's command line, run by the extension in the Python process."""

import signal
import subprocess
import sys
from pathlib import Path

import numpy as np

import framecast
from conftest import Server, peek, rgba

#: The console script pip installed into this environment.
COMMAND = Path(sys.executable).parent / "framecast"


def test_help_and_version():
    help = subprocess.run([COMMAND, "--help"], capture_output=True, text=True, check=True).stdout
    assert help.startswith("Watch live frames from a program in a browser")
    assert "Usage: framecast [OPTIONS]" in help
    for flag in ("--bind", "--stdin", "--token", "--max-streams", "--quality"):
        assert flag in help
    version = subprocess.run(
        [sys.executable, "-m", "framecast", "--version"], capture_output=True, text=True, check=True
    )
    assert version.stdout.strip() == f"framecast {framecast.__version__}"


def test_bad_arguments_exit_with_the_message():
    run = subprocess.run([COMMAND, "--fps", "0"], capture_output=True, text=True)
    assert run.returncode == 1
    assert "error: --fps must be above 0 and at most 1000, got 0" in run.stderr
    run = subprocess.run([COMMAND, "--no-such-flag"], capture_output=True, text=True)
    assert run.returncode == 2
    assert "unexpected argument '--no-such-flag'" in run.stderr


def test_serves_published_frames_and_stops_on_ctrl_c():
    server = Server("--source", "none", command=(str(COMMAND),))
    try:
        frame = np.random.default_rng(5).integers(0, 256, (40, 70, 3), dtype=np.uint8)
        with framecast.Publisher(server.url, "cli") as publisher:
            publisher.send(frame)
            assert publisher.flush()
        _, pixels = peek(server, "cli")
        assert np.array_equal(pixels, rgba(frame))
    finally:
        server.process.send_signal(signal.SIGINT)
        status = server.process.wait(10)
    log = "".join(server.log)
    assert status == 0, log
    assert "interrupted (SIGINT); shutting down" in log
    assert "Traceback" not in log
