"""What the remote Publisher's deltas cost and save, per corpus class: for
each frame of ``framecast-bench-frames`` (1000x1000 RGB, played as the loop
plays them), the bytes sent and the producer CPU of choosing between a delta
and the whole frame (``framecast._changes.Changes``, as the I/O thread does it),
against sending every frame whole. No server: only the producer's side.
Prints JSON, one object per class.

    python delta_cost.py FRAMES_DIR [--classes sprite,scroll,...] [--frames 120]
"""

import argparse
import json
import statistics
import time
from pathlib import Path

import numpy as np

import framecast
from framecast import _native
from framecast._changes import Changes
from frames import load

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("frames_dir", type=Path, help="where framecast-bench-frames wrote CLASS.rgb")
parser.add_argument("--classes", default="sprite,scroll,plasma,noise,camera")
parser.add_argument("--frames", type=int, default=120, help="frames to send per class")
args = parser.parse_args()

results = []
for name in args.classes.split(","):
    frames = load(str(args.frames_dir / f"{name}.rgb"))
    order = list(range(len(frames))) + list(range(len(frames) - 2, 0, -1))
    messages = []
    for n in range(args.frames):
        frame = frames[order[n % len(order)]]
        messages.append(_native.publish_message(frame))
    changes = Changes()
    sent, cpu, deltas = [], [], 0
    for message in messages:
        started = time.thread_time()
        delta = changes.message(message)
        cpu.append(time.thread_time() - started)
        sent.append(len(message if delta is None else delta))
        deltas += delta is not None
    whole = len(messages[0])
    results.append({
        "class": name,
        "frames": args.frames,
        "deltas": deltas,
        "bytes_per_frame": statistics.mean(sent),
        "whole_bytes": whole,
        "bytes_vs_whole": statistics.mean(sent) / whole,
        "choose_cpu_ms_mean": statistics.mean(cpu) * 1000,
        "choose_cpu_ms_p50": statistics.median(cpu) * 1000,
    })
    print(json.dumps(results[-1]), flush=True)
