"""A matplotlib animation rendered to an array and published: a sine wave
whose phase moves, drawn with the Agg backend (no window).

    python examples/matplotlib_anim.py [--url http://127.0.0.1:8080] [--stream plot] [--frames N]
"""

import argparse
import time

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

import framecast  # noqa: E402

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--url", default="http://127.0.0.1:8080")
parser.add_argument("--stream", default="plot")
parser.add_argument("--frames", type=int, default=None, help="stop after this many frames")
parser.add_argument("--fps", type=float, default=30)
args = parser.parse_args()

figure, axes = plt.subplots(figsize=(8, 5), dpi=100)
x = np.linspace(0, 4 * np.pi, 500)
(line,) = axes.plot(x, np.sin(x))
axes.set_ylim(-1.2, 1.2)
axes.set_title("framecast: a live matplotlib figure")

with framecast.Publisher(args.url, args.stream) as publisher:
    frame = 0
    while args.frames is None or frame < args.frames:
        line.set_ydata(np.sin(x + frame / 10))
        figure.canvas.draw()
        # buffer_rgba() is the figure's own RGBA memory: send copies it once.
        publisher.send(np.asarray(figure.canvas.buffer_rgba()))
        frame += 1
        time.sleep(1 / args.fps)
