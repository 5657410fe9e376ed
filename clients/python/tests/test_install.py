"""A new user's install: a clean clone, a fresh virtualenv, ``pip install
./clients/python``, and the README's five lines, with nothing of this
checkout's build but cargo's cache of compiled dependencies."""

import os
import subprocess
import sys
import textwrap

from conftest import REPO

FIVE_LINES = textwrap.dedent(
    """
    import framecast, numpy as np
    server = framecast.serve(port=0)
    stream = server.stream("sim")
    stream.send(frame)
    print(server.url)
    """
)

CHECK = textwrap.dedent(
    """
    import urllib.request
    with urllib.request.urlopen(server.url + "api/streams/sim/frame") as response:
        assert response.read() == frame.tobytes(), "the frame served is not the frame sent"
    with urllib.request.urlopen(server.url + "pkg/framecast_viewer_bg.wasm") as response:
        wasm = response.read()
    with open(WASM, "rb") as committed:
        assert wasm == committed.read(), "the page's viewer is not the committed one"
    server.close()
    print("ok")
    """
)


def test_fresh_virtualenv_install_from_a_clean_clone(tmp_path):
    clone = tmp_path / "framecast"
    subprocess.run(["git", "clone", "--quiet", str(REPO), str(clone)], check=True)
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    # Only cargo's cache is shared, so that dependencies are not compiled again.
    env = {**os.environ, "CARGO_TARGET_DIR": str(REPO / "target")}
    install = subprocess.run(
        [venv / "bin/pip", "install", "--quiet", "--disable-pip-version-check", clone / "clients/python"],
        capture_output=True, text=True, env=env, timeout=1800,
    )
    assert install.returncode == 0, install.stderr[-3000:]

    help = subprocess.run([venv / "bin/framecast", "--help"], capture_output=True, text=True, cwd=tmp_path)
    assert help.returncode == 0 and "Usage: framecast [OPTIONS]" in help.stdout, help.stderr

    frame = "import numpy as np\nframe = np.random.default_rng(1).integers(0, 256, (48, 64, 3), dtype=np.uint8)\n"
    script = f"WASM = {str(clone / 'www/pkg/framecast_viewer_bg.wasm')!r}\n" + frame + FIVE_LINES + CHECK
    run = subprocess.run([venv / "bin/python", "-c", script], capture_output=True, text=True, cwd=tmp_path, timeout=60)
    assert run.returncode == 0, run.stderr
    url, ok = run.stdout.split()
    assert url.startswith("http://127.0.0.1:") and ok == "ok"
