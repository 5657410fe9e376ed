"""What publishing a 1000x1000 RGB frame costs the producer with the server in
its own process (``stream.send``: validate, copy once, hand to the stream),
before any encoding: no viewer watches, so nothing is encoded. Prints JSON.

    python send_cost.py [--sends 300]
"""

import argparse
import json
import statistics
import time

import numpy as np

import framecast

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--sends", type=int, default=300)
args = parser.parse_args()

frames = np.random.default_rng(0).integers(0, 256, (2, 1000, 1000, 3), dtype=np.uint8)
with framecast.serve(port=0) as server:
    stream = server.stream("cost")
    wall, cpu = [], []
    for n in range(args.sends):
        frame = frames[n % 2]
        started, started_cpu = time.perf_counter(), time.thread_time()
        stream.send(frame)
        wall.append(time.perf_counter() - started)
        cpu.append(time.thread_time() - started_cpu)
print(json.dumps({
    "width": 1000, "height": 1000, "sends": args.sends,
    "send_ms_p50": statistics.median(wall) * 1000,
    "send_ms_p90": statistics.quantiles(wall, n=10)[-1] * 1000,
    "send_cpu_ms_p50": statistics.median(cpu) * 1000,
}))
