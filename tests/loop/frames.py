"""The numpy loop of the MJPEG comparison: frames of one corpus class, paced,
each stamped with its number and capture time.

The frames come from ``framecast-bench-frames`` (raw RGB8, back to back, of
the size ``FRAMECAST_LOOP_SIZE`` says: 1000x1000 unless it says another, such
as 1920x1080), so both pipelines and the rest of the benchmarks see the same
pixels.
They are played forwards and backwards (0..n-1, n-2..1) so the loop never
jumps, and loaded once, so the figures measure publishing, not generating.

The stamp is two 24-bit numbers, the frame's number and its capture time in
milliseconds (modulo 2**24), drawn as 8x8 black or white blocks in the
top-left 64x48 pixels, most significant bit first, three rows of eight blocks
each. The blocks sit on JPEG's 8x8 grid and are grey, so they survive JPEG
at any usual quality: a page reads the frame it shows, and how old it is,
from the pixels alone (``STAMP_READER`` in tests/browser/loop-bench.mjs).
"""

import itertools
import os
import time
from typing import Iterator, Tuple

import numpy as np

WIDTH, HEIGHT = (int(side) for side in os.environ.get("FRAMECAST_LOOP_SIZE", "1000x1000").split("x"))
BLOCK = 8
BITS = 24
STAMP_WIDTH, STAMP_HEIGHT = 8 * BLOCK, 6 * BLOCK


def load(path: str) -> np.ndarray:
    """The frames in ``path``, as an array of shape (n, HEIGHT, WIDTH, 3)."""
    return np.fromfile(path, dtype=np.uint8).reshape(-1, HEIGHT, WIDTH, 3)


def _bits(value: int) -> np.ndarray:
    return np.array([(value >> (BITS - 1 - i)) & 1 for i in range(BITS)], dtype=np.uint8).reshape(3, 8)


def stamp(frame: np.ndarray, number: int, capture_time: float) -> None:
    """Draws ``number`` and ``capture_time`` (seconds since the epoch) into
    the top-left corner of ``frame``, in place."""
    millis = int(capture_time * 1000) % (1 << BITS)
    blocks = np.vstack([_bits(number % (1 << BITS)), _bits(millis)]) * 255
    frame[:STAMP_HEIGHT, :STAMP_WIDTH] = np.kron(blocks, np.ones((BLOCK, BLOCK), dtype=np.uint8))[:, :, None]


def paced(frames: np.ndarray, fps: float) -> Iterator[Tuple[np.ndarray, float]]:
    """Yields (frame, capture time) forever, ``fps`` a second (0: as fast as
    the caller takes them). A caller that falls behind is not made up for
    with a burst."""
    order = list(range(len(frames))) + list(range(len(frames) - 2, 0, -1))
    interval = 1.0 / fps if fps > 0 else 0.0
    next_at = time.monotonic()
    for number in itertools.count():
        if interval:
            delay = next_at - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            elif delay < -interval:
                next_at = time.monotonic()
            next_at += interval
        frame = frames[order[number % len(order)]]
        capture_time = time.time()
        stamp(frame, number, capture_time)
        yield frame, capture_time
