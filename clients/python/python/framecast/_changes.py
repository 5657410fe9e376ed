"""The remote publisher's delta policy: what to send of each frame on one
connection."""

from __future__ import annotations

import time

import numpy as np

from . import _native

#: A delta is sent when at most this part of the whole frame, or when making
#: it took less time than the link needs for the bytes it saves; see Changes.
DELTA_MAX_FRACTION = 1 / 4
#: After a delta that did not pay, frames sent whole before the next try:
#: the first number, doubled after each try that fails, up to the second.
WHOLE_AFTER_NO_GAIN = (8, 64)
#: Messages at least this long time the link (shorter ones time latency).
TIMED_MESSAGE_BYTES = 256 * 1024


class Changes:
    """What the I/O thread sends of each frame on one connection: a delta
    against the frame sent before (a frame message of the tiles that
    changed, XORed and LZ4-compressed, PROTOCOL.md) where that pays, else
    the frame whole (its publish message).

    A delta pays when it is at most ``DELTA_MAX_FRACTION`` of the frame (a
    GUI, a plot, a sprite or a scrolled page: about 1% of a 1000x1000 frame,
    for 0.3-0.7 ms), or when making it took less time than the link needs
    for the bytes it saves, measured by timing the long messages sent (a
    smooth simulation shrinks to about half for 9 ms, a camera's frames by
    about a quarter for 13 ms: worth it over 100 Mbit/s, not on loopback;
    tests/loop/delta_cost.py and BENCHMARKS.md). After a delta that did
    not pay, the next frames go whole without trying, 8 of them, then twice
    as many after each try that fails again, up to 64."""

    def __init__(self, deltas: bool = True) -> None:
        self._encoder = _native._DeltaEncoder()
        self._deltas = deltas
        #: Seconds the link takes a byte, lately (0 until timed).
        self.link_s_per_byte = 0.0
        self.restart()

    def restart(self) -> None:
        """For a new connection: its frames are numbered from 1."""
        self._seq = 0
        self._base: np.ndarray | None = None
        self._keyframe_due = False
        self._whole_for = 0
        self._whole_next = WHOLE_AFTER_NO_GAIN[0]

    def refused(self) -> None:
        """The server refused a message: it no longer holds the frame the
        next delta would be against; a keyframe with the next number tells it
        both the frame and the numbering again."""
        self._keyframe_due = True

    def sent(self, length: int, seconds: float) -> None:
        """A message of ``length`` bytes took ``seconds`` to send."""
        if length >= TIMED_MESSAGE_BYTES:
            rate = seconds / length
            self.link_s_per_byte = rate if not self.link_s_per_byte else 0.75 * self.link_s_per_byte + 0.25 * rate

    def message(self, publish: np.ndarray) -> bytes | None:
        """The frame message to send for the publish message ``publish``
        (``_native.publish_message``), or None to send ``publish`` itself."""
        self._seq += 1
        base, self._base = self._base, publish
        if self._keyframe_due:
            self._keyframe_due = False
            return self._encoder.encode(publish, None, self._seq)
        if base is None or self._whole_for > 0 or not self._deltas:
            self._whole_for = max(0, self._whole_for - 1)
            return None
        started = time.perf_counter()
        delta = self._encoder.encode(publish, base, self._seq, len(publish) - 1)
        took = time.perf_counter() - started
        if delta is not None and (
            len(delta) <= len(publish) * DELTA_MAX_FRACTION or took < (len(publish) - len(delta)) * self.link_s_per_byte
        ):
            self._whole_next = WHOLE_AFTER_NO_GAIN[0]
            return delta
        self._whole_for = self._whole_next
        self._whole_next = min(2 * self._whole_next, WHOLE_AFTER_NO_GAIN[1])
        return None
