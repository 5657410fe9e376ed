"""A Flask web app with live views of its simulation in its own page.

The usual answer to "show my numpy frames in my web app" is an MJPEG route
(cv2.imencode in a generator behind multipart/x-mixed-replace). Here the
app keeps its page, its routes and its controls, and the frames go to the
page through framecast, served from the same process: exact pixels, only
what changed, a fraction of the CPU.

    pip install flask target/wheels/framecast-*.whl   # (./dev.sh wheel; or ./clients/python)
    python examples/flask_app.py          # then open http://127.0.0.1:5000/

Two streams: "waves" (a smooth field, every pixel changes) and "particles"
(sprites on a still background: click in its view to add one). The page's
buttons change the simulation through the app's own routes.
"""

import argparse
import threading
import time

import numpy as np
from flask import Flask, jsonify, render_template_string, request

import framecast

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--port", type=int, default=5000, help="the app's port")
parser.add_argument("--framecast-port", type=int, default=8080, help="the frames' port (0: any free one)")
parser.add_argument("--fps", type=float, default=30.0)
args = parser.parse_args()

WIDTH, HEIGHT = 640, 400

app = Flask(__name__)
# The app's pages may embed the streams: its own origins, by either name.
origins = [f"http://127.0.0.1:{args.port}", f"http://localhost:{args.port}"]
frames = framecast.serve(port=args.framecast_port, allow_origins=origins)


class Simulation:
    """Waves from moving sources, and particles bouncing in a box."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.speed = 1.0
        self.reset()
        yy, xx = np.mgrid[0:HEIGHT, 0:WIDTH]
        self.xx, self.yy = xx.astype(np.float32), yy.astype(np.float32)
        # A still, textured background for the particles.
        self.background = ((xx // 20 + yy // 20) % 2 * 24 + 32).astype(np.uint8)[..., None].repeat(3, axis=2)

    def reset(self) -> None:
        with self.lock:
            rng = np.random.default_rng(7)
            self.t = 0.0
            self.particles = [self.particle(rng.uniform(20, WIDTH - 20), rng.uniform(20, HEIGHT - 20), rng) for _ in range(12)]

    @staticmethod
    def particle(x: float, y: float, rng: np.random.Generator) -> dict:
        angle = rng.uniform(0, 2 * np.pi)
        colour = rng.integers(80, 256, 3).astype(np.uint8)
        return {"x": x, "y": y, "dx": 3 * np.cos(angle), "dy": 3 * np.sin(angle), "colour": colour}

    def step(self) -> "tuple[np.ndarray, np.ndarray]":
        with self.lock:
            self.t += 0.05 * self.speed
            t = self.t
            field = np.zeros((HEIGHT, WIDTH), np.float32)
            for k in range(3):
                cx = WIDTH / 2 + 180 * np.cos(t * (0.7 + 0.2 * k) + k * 2.1)
                cy = HEIGHT / 2 + 120 * np.sin(t * (0.5 + 0.3 * k) + k)
                field += np.sin(np.hypot(self.xx - cx, self.yy - cy) * 0.08 - t * 4)
            waves = np.empty((HEIGHT, WIDTH, 3), np.uint8)
            for channel, phase in enumerate((0.0, 2.1, 4.2)):
                waves[..., channel] = (127.5 + 127.5 * np.sin(field * 1.2 + phase)).astype(np.uint8)

            particles = self.background.copy()
            for p in self.particles:
                p["x"] += p["dx"] * self.speed
                p["y"] += p["dy"] * self.speed
                if not 10 <= p["x"] <= WIDTH - 10:
                    p["dx"] = -p["dx"]
                if not 10 <= p["y"] <= HEIGHT - 10:
                    p["dy"] = -p["dy"]
                x, y = int(np.clip(p["x"], 10, WIDTH - 10)), int(np.clip(p["y"], 10, HEIGHT - 10))
                particles[y - 8 : y + 8, x - 8 : x + 8] = p["colour"]
            return waves, particles

    def add(self, x: float, y: float) -> None:
        with self.lock:
            self.particles.append(self.particle(x, y, np.random.default_rng()))


simulation = Simulation()


def run() -> None:
    waves, particles = frames.stream("waves"), frames.stream("particles")
    interval = 1 / args.fps
    next_at = time.monotonic()
    while True:
        field, sprites = simulation.step()
        waves.send(field)
        particles.send(sprites)
        for event in particles.poll_events():
            if event["type"] == "pointerdown":
                simulation.add(event["x"], event["y"])
        next_at += interval
        time.sleep(max(0.0, next_at - time.monotonic()))


PAGE = """<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>A Flask app with live frames</title>
  <script type="module" src="{{ frames }}framecast.js"></script>
  <style>
    body { font: 15px/1.4 system-ui, sans-serif; margin: 1.5em; }
    .views { display: flex; gap: 1em; flex-wrap: wrap; }
    figure { margin: 0; }
    framecast-view { width: 480px; height: 300px; }
  </style>
</head>
<body>
  <h1>My simulation</h1>
  <p>
    <button id="reset">Reset</button>
    <label>Speed <input id="speed" type="range" min="0" max="3" step="0.1" value="{{ speed }}"></label>
    <button id="save">Save the waves as PNG</button>
  </p>
  <div class="views">
    <figure><framecast-view id="waves" server="{{ frames }}" stream="waves" status></framecast-view>
      <figcaption>waves</figcaption></figure>
    <figure><framecast-view id="particles" server="{{ frames }}" stream="particles" status interactive></framecast-view>
      <figcaption>particles: click to add one</figcaption></figure>
  </div>
  <script type="module">
    const post = (path, body) => fetch(path, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });
    document.getElementById("reset").onclick = () => post("/reset", {});
    document.getElementById("speed").oninput = (event) => post("/speed", { speed: Number(event.target.value) });
    document.getElementById("save").onclick = async () => {
      const link = Object.assign(document.createElement("a"), { download: "waves.png" });
      link.href = URL.createObjectURL(await document.getElementById("waves").snapshot());
      link.click();
    };
  </script>
</body>
</html>
"""


@app.get("/")
def index() -> str:
    base = f"http://127.0.0.1:{frames.port}/"
    return render_template_string(PAGE, frames=base, speed=simulation.speed)


@app.post("/reset")
def reset():
    simulation.reset()
    return jsonify(ok=True)


@app.post("/speed")
def speed():
    value = request.get_json(silent=True, force=True) or {}
    try:
        simulation.speed = min(3.0, max(0.0, float(value.get("speed", 1.0))))
    except (TypeError, ValueError):
        return jsonify(error="speed is a number from 0 to 3"), 400
    return jsonify(speed=simulation.speed)


if __name__ == "__main__":
    threading.Thread(target=run, daemon=True, name="simulation").start()
    print(f"open http://127.0.0.1:{args.port}/ (frames from {frames.url})", flush=True)
    app.run(host="127.0.0.1", port=args.port, threaded=True)
