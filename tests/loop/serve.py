"""The same numpy loop as mjpeg.py, with the framecast server inside the
Python process (``framecast.serve``): frames go to the stream without a
socket. For the comparison in BENCHMARKS.md.

    python serve.py FRAMES.rgb STREAM --port 8080 --fps 20

At ``--fps 0`` each frame waits until every viewer has been sent the one
before (``stream.flush``), the way MJPEG's generator waits for its socket,
rather than copying frames that would only be overtaken.
"""

import argparse
import signal
import threading

import framecast

import frames as loop

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("frames", help="raw RGB8 frames written by framecast-bench-frames")
parser.add_argument("stream")
parser.add_argument("--port", type=int, default=8080)
parser.add_argument("--fps", type=float, default=20, help="frames a second; 0 publishes as fast as the viewers take them")
args = parser.parse_args()

stop = threading.Event()
signal.signal(signal.SIGTERM, lambda *_: stop.set())
frames = loop.load(args.frames)
with framecast.serve(port=args.port) as server:
    stream = server.stream(args.stream)
    for frame, _capture_time in loop.paced(frames, args.fps):
        if stop.is_set():
            break
        stream.send(frame)
        if args.fps <= 0:
            stream.flush(timeout=1.0)
