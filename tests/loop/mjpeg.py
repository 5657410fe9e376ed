"""The classic MJPEG loop, as the people framecast is for write it: Flask,
``cv2.imencode`` and ``multipart/x-mixed-replace``, fed the numpy frames of
frames.py. The baseline of the comparison in BENCHMARKS.md; not part of
framecast.

    python mjpeg.py FRAMES.rgb --port 5000 --fps 20

``/`` is the page (one <img>), ``/video`` the stream, ``/stats`` the frames
and bytes sent so far (JSON), for the benchmark driver.
"""

import argparse
import threading

import cv2
from flask import Flask, Response, jsonify

import frames as loop

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("frames", help="raw RGB8 frames written by framecast-bench-frames")
parser.add_argument("--port", type=int, default=5000)
parser.add_argument("--fps", type=float, default=20, help="frames a second; 0 sends as fast as the client takes them")
args = parser.parse_args()

frames = loop.load(args.frames)
app = Flask(__name__)
sent = {"frames": 0, "bytes": 0}
sent_lock = threading.Lock()


@app.route("/")
def index():
    return '<!doctype html><title>MJPEG</title><img id="view" src="/video">'


@app.route("/video")
def video():
    def generate():
        # cv2 takes the array as it is (it reads BGR; the cost is the same).
        for frame, _ in loop.paced(frames, args.fps):
            ok, jpeg = cv2.imencode(".jpg", frame)
            if not ok:
                raise RuntimeError("cv2.imencode failed")
            part = b"--frame\r\nContent-Type: image/jpeg\r\n\r\n" + jpeg.tobytes() + b"\r\n"
            with sent_lock:
                sent["frames"] += 1
                sent["bytes"] += len(part)
            yield part

    return Response(generate(), mimetype="multipart/x-mixed-replace; boundary=frame")


@app.route("/stats")
def stats():
    with sent_lock:
        return jsonify(sent)


app.run(host="127.0.0.1", port=args.port, threaded=True)
