"""What a numpy producer of values spends per 1000x1000 frame, with the
server in its own process and no viewer (so nothing is encoded: the
encoders' costs are framecast-bench-values'): the loop people write today
(normalise to the range, clip, scale to uint8, colour through a 256-entry
colormap table, ``stream.send`` the RGB) against ``stream.send`` of the
values as they are, for a float32 field, a 12-bit camera in uint16 and an
8-bit gray camera. Wall and thread CPU time, medians. Prints a Markdown
table (and JSON with --json).

    python values_cost.py [--frames 200] [--json]
"""

import argparse
import json
import statistics
import time

import numpy as np

import framecast

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--frames", type=int, default=200)
parser.add_argument("--json", action="store_true")
args = parser.parse_args()

H = W = 1000
y, x = np.mgrid[0:H, 0:W].astype(np.float32)
rng = np.random.default_rng(5)
texture = rng.random((H // 40 + 2, W // 40 + 2)).astype(np.float32)
scene = np.kron(texture, np.ones((40, 40), np.float32))[:H, :W]


def field(t):
    fx, fy = x / 113.0, y / 97.0
    return (np.sin(fx + t) + np.sin(fy * 1.3 - t) + np.sin((fx + fy) * 0.7 + t * 1.5)).astype(np.float32)


def camera16(t):
    noise = rng.integers(-6, 7, (H, W))
    return np.clip(np.roll(scene, t, axis=1) * 4000 + noise, 0, 4095).astype(np.uint16)


def gray8(t):
    noise = rng.integers(-2, 3, (H, W))
    return np.clip(np.roll(scene, t, axis=1) * 250 + noise, 0, 255).astype(np.uint8)


try:
    from matplotlib import colormaps

    viridis = (colormaps["viridis"](np.arange(256))[:, :3] * 255).astype(np.uint8)
except ImportError:  # a gray table instead: the cost is the same
    viridis = np.repeat(np.arange(256, dtype=np.uint8)[:, None], 3, axis=1)
gray = np.repeat(np.arange(256, dtype=np.uint8)[:, None], 3, axis=1)

CLASSES = [
    ("field (float32)", field, -3.0, 3.0, viridis, "viridis"),
    ("camera16 (uint16, 12 bits)", camera16, 0.0, 4095.0, gray, "gray"),
    ("gray8 (uint8)", gray8, 0.0, 255.0, gray, "gray"),
]


def today(values, lo, hi, table):
    """The usual loop: normalise, clip, to uint8, through the colormap."""
    norm = np.clip((values.astype(np.float32) - lo) / (hi - lo), 0.0, 1.0)
    return table[(norm * 255).astype(np.uint8)]


def timed(function, repeat):
    wall, cpu = [], []
    for n in range(repeat):
        started, started_cpu = time.perf_counter(), time.thread_time()
        function(n)
        wall.append(time.perf_counter() - started)
        cpu.append(time.thread_time() - started_cpu)
    return statistics.median(wall) * 1000, statistics.median(cpu) * 1000


rows = []
with framecast.serve(port=0) as server:
    stream = server.stream("values")
    for name, make, lo, hi, table, cmap in CLASSES:
        frames = [make(t) for t in range(8)]
        stream.send(frames[0], cmap=cmap, vmin=lo, vmax=hi)
        convert = timed(lambda n: today(frames[n % 8], lo, hi, table), args.frames)
        send_rgb = timed(lambda n: stream.send(today(frames[n % 8], lo, hi, table)), args.frames)
        send_values = timed(lambda n: stream.send(frames[n % 8]), args.frames)
        rows.append({
            "class": name,
            "colour_map_ms": convert[0],
            "today_send_ms": send_rgb[0],
            "today_send_cpu_ms": send_rgb[1],
            "values_send_ms": send_values[0],
            "values_send_cpu_ms": send_values[1],
        })

if args.json:
    print(json.dumps({"width": W, "height": H, "frames": args.frames, "rows": rows}))
else:
    print(f"| class | today: normalise + colormap in numpy, ms | today: that and `send` of the RGB, ms (thread CPU) | `send` of the values, ms (thread CPU) | values / today |")
    print("|---|---|---|---|---|")
    for row in rows:
        print(
            f"| {row['class']} | {row['colour_map_ms']:.2f} | {row['today_send_ms']:.2f} ({row['today_send_cpu_ms']:.2f}) | "
            f"{row['values_send_ms']:.2f} ({row['values_send_cpu_ms']:.2f}) | {row['values_send_ms'] / row['today_send_ms']:.3f} |"
        )
