"""The classic worst case: fresh random RGB every frame, as fast as it goes.

    python examples/noise.py [--url http://127.0.0.1:8080] [--stream noise] [--frames N]
"""

import argparse

import numpy as np

import framecast

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--url", default="http://127.0.0.1:8080")
parser.add_argument("--stream", default="noise")
parser.add_argument("--frames", type=int, default=None, help="stop after this many frames")
args = parser.parse_args()

with framecast.Publisher(args.url, args.stream) as publisher:
    sent = 0
    while args.frames is None or sent < args.frames:
        publisher.send(np.random.randint(0, 255, (1000, 1000, 3), dtype=np.uint8))
        sent += 1
    print(f"published {sent} frames ({publisher.frames_dropped} replaced before they were sent)")
