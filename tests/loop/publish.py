"""The same numpy loop as mjpeg.py, published to a framecast server with the
Python client (clients/python). For the comparison in BENCHMARKS.md.

    python publish.py FRAMES.rgb http://127.0.0.1:8080 STREAM --fps 20

At ``--fps 0`` each frame waits until the one before is on the network
(``Publisher.flush``), the way MJPEG's generator waits for its socket, rather
than copying frames that would only be dropped. ``--whole`` sends every
frame whole, never as a delta (for the uplink comparison).
"""

import argparse

import framecast

import frames as loop

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("frames", help="raw RGB8 frames written by framecast-bench-frames")
parser.add_argument("url", help="the framecast server")
parser.add_argument("stream")
parser.add_argument("--fps", type=float, default=20, help="frames a second; 0 publishes as fast as the server takes them")
parser.add_argument("--whole", action="store_true", help="never send a delta (only what changed)")
args = parser.parse_args()

frames = loop.load(args.frames)
with framecast.Publisher(args.url, args.stream, deltas=not args.whole) as publisher:
    for frame, capture_time in loop.paced(frames, args.fps):
        publisher.send(frame, capture_time=capture_time)
        if args.fps <= 0:
            publisher.flush()
