"""The JPEG encoder inside framecast's wheel (libjpeg-turbo with its SIMD
path, the encoder of the server's JPEG tiles and MJPEG route) against
``cv2.imencode`` on the same frames: each corpus class's frames (made by
framecast-bench-frames into target/bench/jpeg/), 1000x1000, quality 95 (cv2's default), 4:2:0,
one thread each. framecast's figure includes copying the array out of
numpy (its ``send`` does the same); cv2 gets its BGR frames made
beforehand. Medians of the thread's CPU time. Prints a Markdown table (and
JSON with --json).

    python jpeg_cost.py path/to/framecast-bench-frames [--frames 60] [--json]
"""

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

import cv2
import numpy as np
from frames import load

import framecast
from framecast import _native

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("frames_bin", type=Path, help="framecast-bench-frames, which makes the corpus' frames")
parser.add_argument("--classes", default="sprite,scroll,plasma,noise,camera")
parser.add_argument("--frames", type=int, default=60, help="frames to encode per class and encoder")
parser.add_argument("--quality", type=int, default=95)
parser.add_argument("--json", action="store_true")
args = parser.parse_args()
cv2.setNumThreads(1)
PARAMS = [cv2.IMWRITE_JPEG_QUALITY, args.quality]


def cpu_ms(encode, frames):
    """Median thread CPU time of ``encode`` over ``frames``, ms, and the
    mean size of what it made, bytes."""
    times, sizes = [], []
    for frame in frames:
        started = time.thread_time()
        encoded = encode(frame)
        times.append(time.thread_time() - started)
        sizes.append(len(encoded))
    return statistics.median(times) * 1000, statistics.mean(sizes)


FRAMES_DIR = Path(__file__).resolve().parents[2] / "target/bench/jpeg"
FRAMES_DIR.mkdir(parents=True, exist_ok=True)
results = []
for name in args.classes.split(","):
    path = FRAMES_DIR / f"{name}.rgb"
    subprocess.run([args.frames_bin, name, str(args.frames), path, "1000x1000"], check=True, stdout=sys.stderr)
    frames = load(str(path))
    bgr = [np.ascontiguousarray(frame[..., ::-1]) for frame in frames]
    cpu_ms(lambda frame: _native._jpeg(frame, args.quality), frames[:5])  # warm-up
    ours, our_bytes = cpu_ms(lambda frame: _native._jpeg(frame, args.quality), frames)
    theirs, their_bytes = cpu_ms(lambda frame: cv2.imencode(".jpg", frame, PARAMS)[1], bgr)
    results.append(
        {
            "class": name,
            "framecast_ms": ours,
            "cv2_ms": theirs,
            "ratio": ours / theirs,
            "framecast_kb": our_bytes / 1e3,
            "cv2_kb": their_bytes / 1e3,
        }
    )

if args.json:
    print(json.dumps(results))
else:
    print(f"framecast {framecast.__version__} ({Path(_native.__file__).name}), OpenCV {cv2.__version__}\n")
    print("| class | framecast's wheel, ms | cv2.imencode, ms | ratio | KB (framecast / cv2) |")
    print("|---|---|---|---|---|")
    for row in results:
        print(
            f"| {row['class']} | {row['framecast_ms']:.2f} | {row['cv2_ms']:.2f} | {row['ratio']:.2f}x "
            f"| {row['framecast_kb']:.0f} / {row['cv2_kb']:.0f} |"
        )
