"""How long a JPEG tile should stay still before it is refined
(``--refine-after``), measured on stop-and-go content. Not a test: the
figures are in ARCHITECTURE.md ("Quality").

The producer plays corpus frames in bursts of 3 to 15 frames at 30 a second,
separated by pauses of 0 to 600 ms (a fixed seeded plan, the same for every
wait); a viewer asking for ``?quality=60`` (JPEG while moving, refined once
still) acks each message as it arrives. Per wait: bytes a second, and how
many refinement messages (``seq == base_seq``) went, with their bytes.

    target/release/framecast-bench-frames camera 60 /tmp/camera.rgb
    target/venv/bin/python tests/loop/refine_wait.py target/release/framecast /tmp/camera.rgb
"""

import asyncio
import random
import re
import struct
import subprocess
import sys
import threading
import time

import numpy as np
import websockets

import framecast

import frames as loop

binary, frames_path = sys.argv[1], sys.argv[2]
frames = loop.load(frames_path)
rng = random.Random(7)
PLAN = [(rng.randint(3, 15), rng.uniform(0.0, 0.6)) for _ in range(40)]  # (frames, pause s)


def produce(url, done):
    """Publishes the plan, then sets ``done``."""
    with framecast.Publisher(url, "s") as publisher:
        index = 0
        for count, pause in PLAN:
            for _ in range(count):
                publisher.send(frames[index % len(frames)])
                index += 1
                time.sleep(1 / 30)
            time.sleep(pause)
        time.sleep(1.0)
    done.set()


async def view(ws_url, done):
    """Acks every frame message until ``done``; returns what came."""
    stats = {"bytes": 0, "messages": 0, "refinements": 0, "refinement_bytes": 0}
    async with websockets.connect(ws_url, max_size=None) as socket:
        while not done.is_set():
            try:
                message = await asyncio.wait_for(socket.recv(), 0.2)
            except asyncio.TimeoutError:
                continue
            if isinstance(message, str) or message[5] != 1:
                continue
            seq, base = struct.unpack_from("<QQ", message, 8)
            stats["bytes"] += len(message)
            stats["messages"] += 1
            if seq == base:
                stats["refinements"] += 1
                stats["refinement_bytes"] += len(message)
            ack = b"FCST" + bytes([framecast.PROTOCOL_VERSION, 2, 0, 0]) + struct.pack("<QIII", seq, 0, 0, 0)
            await socket.send(ack)
    return stats


def run(wait_ms):
    """One server with ``--refine-after wait_ms``, the producer and the viewer."""
    server = subprocess.Popen(
        [binary, "--source", "none", "--bind", "127.0.0.1:0", "--refine-after", f"{wait_ms}ms"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env={"RUST_LOG": "info", "NO_COLOR": "1"},
    )
    for line in server.stdout:
        match = re.search(r"open (http://[\d.:]+/)", line)
        if match:
            url = match.group(1)
            break
    done = threading.Event()
    producer = threading.Thread(target=produce, args=(url, done))
    producer.start()
    time.sleep(0.3)
    start = time.time()
    stats = asyncio.run(view(url.replace("http", "ws") + "ws/s?quality=60", done))
    elapsed = time.time() - start
    producer.join()
    server.terminate()
    server.wait()
    return stats, elapsed


pauses = [p for _, p in PLAN]
print(f"{len(PLAN)} bursts; pauses: mean {np.mean(pauses)*1000:.0f} ms; "
      f"over 150 ms: {sum(p > 0.15 for p in pauses)}, over 200: {sum(p > 0.2 for p in pauses)}, over 300: {sum(p > 0.3 for p in pauses)}")
for wait in [100, 150, 200, 300]:
    stats, elapsed = run(wait)
    print(f"wait {wait} ms: {stats['bytes'] / elapsed / 1e6:.2f} MB/s, {stats['messages']} messages, "
          f"{stats['refinements']} refinements ({stats['refinement_bytes'] / 1e6:.1f} MB)")
