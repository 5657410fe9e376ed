"""A new user's install: the wheel (``./dev.sh wheel``; the test command
builds it first) into a fresh virtualenv whose PATH has no Rust toolchain,
C compiler, cmake or nasm, then the README's five lines and
``framecast.show`` with one line each for an array and a float field."""

import os
import re
import shutil
import subprocess
import sys
import textwrap
import zipfile

import pytest

from conftest import REPO

WHEELS = REPO / "target/wheels"
#: What building framecast from source needs, and the wheel must not.
BUILD_TOOLS = ("cargo", "rustc", "rustup", "cc", "gcc", "cmake", "nasm", "zig", "maturin")

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
    def served(url, path):
        with urllib.request.urlopen(url + path) as response:
            return response.read()
    assert served(server.url, "api/streams/sim/frame") == frame.tobytes(), "the frame served is not the frame sent"
    with open(WASM, "rb") as committed:
        assert served(server.url, "pkg/framecast_viewer_bg.wasm") == committed.read(), "not the committed viewer"
    server.close()
    print("ok")
    """
)

SHOW = textwrap.dedent(
    """
    import framecast, numpy as np, urllib.request
    y, x = np.mgrid[0:120, 0:160]
    field = np.sin(x / 9.0) * np.cos(y / 7.0) * 3.5   # float64, sent as float32
    framecast.show(frame)
    framecast.show(field, name="field", cmap="viridis")
    url = framecast.server().url
    with urllib.request.urlopen(url + "api/streams/main/frame") as response:
        assert response.read() == frame.tobytes()
    with urllib.request.urlopen(url + "api/streams/field/frame") as response:
        assert response.read() == field.astype("<f4").tobytes()
    print("ok")
    """
)


def the_wheel():
    wheels = sorted(WHEELS.glob("framecast-*.whl"))
    assert len(wheels) == 1, f"expected one wheel in {WHEELS} (./dev.sh wheel builds it), found {wheels}"
    return wheels[0]


def test_the_wheel_is_abi3_and_needs_only_glibc_2_17():
    wheel = the_wheel()
    assert re.fullmatch(r"framecast-[\d.]+-cp39-abi3-manylinux2014_x86_64\.manylinux_2_17_x86_64\.whl", wheel.name)
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        extension = archive.read("framecast/_native.abi3.so")
    assert "framecast/py.typed" in names and "framecast/_native.pyi" in names
    # The symbol versions the extension asks of the C library: none newer
    # than the tag says.
    versions = {tuple(int(part) for part in v.split(b".")) for v in re.findall(rb"GLIBC_(\d+(?:\.\d+)+)", extension)}
    assert versions and max(versions) <= (2, 17), sorted(versions)[-3:]


@pytest.fixture(scope="module")
def fresh_venv(tmp_path_factory):
    """A virtualenv with the wheel installed, and an environment whose PATH
    has only the venv's bin: no build tool can be found."""
    venv = tmp_path_factory.mktemp("fresh") / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    env = {**os.environ, "PATH": str(venv / "bin")}
    env.pop("CARGO_TARGET_DIR", None)
    env.pop("VIRTUAL_ENV", None)
    for tool in BUILD_TOOLS:
        assert shutil.which(tool, path=env["PATH"]) is None, f"{tool} is on the fresh PATH"
    # Wheels only, from the file and the registry: nothing is compiled.
    install = subprocess.run(
        [venv / "bin/pip", "install", "--quiet", "--disable-pip-version-check", "--only-binary", ":all:", the_wheel()],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
    )
    assert install.returncode == 0, install.stderr[-3000:]
    return venv, env


FRAME = "import numpy as np\nframe = np.random.default_rng(1).integers(0, 256, (48, 64, 3), dtype=np.uint8)\n"


def test_fresh_venv_runs_the_command_and_the_five_lines(fresh_venv, tmp_path):
    venv, env = fresh_venv
    help = subprocess.run([venv / "bin/framecast", "--help"], capture_output=True, text=True, cwd=tmp_path, env=env)
    assert help.returncode == 0 and "Usage: framecast [OPTIONS]" in help.stdout, help.stderr

    wasm = REPO / "www/pkg/framecast_viewer_bg.wasm"
    script = f"WASM = {str(wasm)!r}\n" + FRAME + FIVE_LINES + CHECK
    run = subprocess.run(
        [venv / "bin/python", "-c", script], capture_output=True, text=True, cwd=tmp_path, env=env, timeout=60
    )
    assert run.returncode == 0, run.stderr
    url, ok = run.stdout.split()
    assert url.startswith("http://127.0.0.1:") and ok == "ok"


def test_fresh_venv_shows_an_array_and_a_float_field_in_one_line_each(fresh_venv, tmp_path):
    venv, env = fresh_venv
    run = subprocess.run(
        [venv / "bin/python", "-c", FRAME + SHOW], capture_output=True, text=True, cwd=tmp_path, env=env, timeout=60
    )
    assert run.returncode == 0, run.stderr
    printed, ok = run.stdout.strip().split("\n")
    assert re.fullmatch(r"framecast: watch at http://127\.0\.0\.1:\d+/( \(port 8080 is taken\))?", printed), printed
    assert ok == "ok"
