"""A canvas that reacts to the browser: click to drop a dot, drag to paint,
press c to clear. Open the page, pick the stream "paint", and click.

    python examples/interactive.py [--url http://127.0.0.1:8080] [--stream paint] [--frames N]
"""

import argparse

import numpy as np

import framecast

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--url", default="http://127.0.0.1:8080")
parser.add_argument("--stream", default="paint")
parser.add_argument("--frames", type=int, default=None, help="stop after this many events")
args = parser.parse_args()

WIDTH, HEIGHT, RADIUS = 800, 600, 12
canvas = np.full((HEIGHT, WIDTH, 3), 245, dtype=np.uint8)
yy, xx = np.mgrid[0:HEIGHT, 0:WIDTH]


def dot(x, y, color):
    canvas[(xx - x) ** 2 + (yy - y) ** 2 <= RADIUS**2] = color


with framecast.Publisher(args.url, args.stream) as publisher:
    publisher.send(canvas)
    handled = 0
    for event in publisher.events():
        kind = event["type"]
        if kind == "pointerdown" or (kind == "pointermove" and event["buttons"] & 1):
            dot(event["x"], event["y"], (30, 90, 200) if event.get("button", 0) == 0 else (200, 50, 40))
        elif kind == "keydown" and event["key"] == "c":
            canvas[:] = 245
        else:
            continue
        publisher.send(canvas)
        handled += 1
        print(f"{kind} at ({event.get('x', 0):.0f}, {event.get('y', 0):.0f})" if "x" in event else kind)
        if args.frames is not None and handled >= args.frames:
            break
