"""Watch numpy frames live in a browser.

In this process, with the framecast server on background threads:

    import numpy as np, framecast
    with framecast.serve(port=8080) as server:
        stream = server.stream("sim")
        print(server.url)
        stream.send(np.random.randint(0, 255, (1000, 1000, 3), dtype=np.uint8))

To a framecast server elsewhere, over a WebSocket:

    with framecast.Publisher("http://127.0.0.1:8080", "noise") as publisher:
        publisher.send(np.random.randint(0, 255, (1000, 1000, 3), dtype=np.uint8))

A server that needs a token (any server bound beyond loopback, or one started
with --token) takes it from ``token=``, from the URL framecast printed
(``http://host:8080/?token=...``) or from the ``FRAMECAST_TOKEN`` environment
variable, in that order; it is sent as ``Authorization: Bearer``.

The wire format of the publish message and of the input events is in
PROTOCOL.md at the root of the framecast repository.
"""

from __future__ import annotations

import asyncio
import collections
import concurrent.futures
import json
import logging
import os
import struct
import threading
import time
from typing import Deque, Iterator, Optional, Sequence, Union
from urllib.parse import parse_qs, quote, urlsplit

import numpy as np
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidStatus

from . import _logs, _native
from ._native import Server, Stream

__all__ = ["Publisher", "PublishError", "Server", "Stream", "serve", "ACCEPTED", "COLORMAPS", "RANGES"]
__version__ = "0.1.0"

log = logging.getLogger("framecast")

#: The wire protocol version this client speaks (PROTOCOL.md), the codec's
#: own; the server refuses any other.
PROTOCOL_VERSION: int = _native.PROTOCOL_VERSION
#: Publish header: magic, version, kind (4: publish), reserved, width, height,
#: format (1 RGB8, 2 RGBA8, 3 Gray8, 4 Gray16, 5 F32), capture time in
#: microseconds (0: server stamps).
_HEADER = struct.Struct("<4sBBHIIBQ")
#: What ``send`` takes, as its errors say.
ACCEPTED = (
    "uint8 (H, W, 3) RGB, (H, W, 4) RGBA or (H, W) gray; uint16 (H, W); "
    "float32 or float64 (H, W); bool (H, W)"
)
#: The colormaps a stream of values may ask for, and the ranges by name.
COLORMAPS = ("gray", "viridis", "magma", "inferno", "turbo", "coolwarm")
RANGES = ("auto", "frame", "window")
#: Largest side the server accepts, and largest pixel count.
MAX_DIMENSION = 16_384
MAX_FRAME_PIXELS = 8192 * 4096
#: Input events kept for a program that does not read them; older ones go.
MAX_PENDING_EVENTS = 1024
_RECONNECT_MAX_S = 4.0
#: How long closing waits for the server's side of the closing handshake.
_CLOSE_TIMEOUT_S = 1.0
#: A delta is sent when at most this part of the whole frame, or when making
#: it took less time than the link needs for the bytes it saves; see _Changes.
DELTA_MAX_FRACTION = 1 / 4
#: After a delta that did not pay, frames sent whole before the next try:
#: the first number, doubled after each try that fails, up to the second.
_WHOLE_AFTER_NO_GAIN = (8, 64)
#: Messages at least this long time the link (shorter ones time latency).
_TIMED_MESSAGE_BYTES = 256 * 1024


def _wire_format(frame: np.ndarray) -> "tuple[int, np.dtype, tuple]":
    """The wire format code of ``frame``, the dtype its pixels go as
    (little-endian) and the shape they take; the same rules and errors as
    the in-process ``Stream.send``."""
    if not isinstance(frame, np.ndarray):
        raise TypeError(f"expected a numpy array, got {type(frame).__name__}; framecast takes {ACCEPTED}")
    kind, shape = frame.dtype, frame.shape
    plane = len(shape) == 2 or (len(shape) == 3 and shape[2] == 1)
    if kind == np.uint8 and len(shape) == 3 and shape[2] in (3, 4):
        return (1 if shape[2] == 3 else 2), np.dtype(np.uint8), shape
    if kind in (np.uint8, np.bool_, np.uint16, np.float32, np.float64) and not plane:
        raise ValueError(f"a {kind} array of shape {shape} is no frame; framecast takes {ACCEPTED}")
    if kind == np.uint8 or kind == np.bool_:
        return 3, np.dtype(np.uint8), shape[:2]
    if kind == np.uint16:
        return 4, np.dtype("<u2"), shape[:2]
    if kind in (np.float32, np.float64):
        return 5, np.dtype("<f4"), shape[:2]
    raise TypeError(f"expected a numpy array of {ACCEPTED}; got dtype {kind}")


def _view_of(view: dict, cmap, vmin, vmax, range) -> dict:
    """``view`` ({"colormap", "range"}) changed by ``send``'s arguments,
    checked as the server checks them."""
    view = dict(view)
    if cmap is not None:
        if cmap not in COLORMAPS:
            raise ValueError(f"no colormap {cmap!r}; expected one of {', '.join(COLORMAPS)}")
        view["colormap"] = cmap
    if (vmin is None) != (vmax is None):
        raise ValueError("a fixed range needs both vmin and vmax")
    if vmin is not None:
        if range is not None:
            raise ValueError("give range='auto'|'frame'|'window' or vmin and vmax, not both")
        lo, hi = float(vmin), float(vmax)
        if not (np.isfinite(lo) and np.isfinite(hi) and lo < hi):
            raise ValueError(f"a fixed range is two finite numbers, the first the smaller, not {vmin} and {vmax}")
        view["range"] = [lo, hi]
    elif range is not None:
        if range not in RANGES:
            raise ValueError(f"no range {range!r}; expected one of {', '.join(RANGES)} (or vmin and vmax)")
        view["range"] = range
    return view


def serve(host: str = "127.0.0.1", port: int = 8080, allow_origins: Sequence[str] = ()) -> Server:
    """Starts a framecast server in this process, on background threads, and
    returns it (``close()`` it, or use ``with``). ``port=0`` picks a free
    port. Beyond loopback (``host="0.0.0.0"``) ``server.url`` carries a token
    that lets its holder watch, not publish. Pages of ``allow_origins``
    (like ``"http://127.0.0.1:5000"``, your web app's) may embed its streams:
    ``stream.embed_html()`` is the HTML. Its logs go to the ``framecast``
    logger."""
    _logs.forward()
    return _native.serve(host, port, list(allow_origins))


class PublishError(RuntimeError):
    """The publisher was closed, or could not send."""


def _ingest_url(url: str, stream: str) -> "tuple[str, Optional[str]]":
    """The ingest WebSocket URL for ``stream``, and the token in ``url``'s
    query, if any."""
    parts = urlsplit(url if "://" in url else f"http://{url}")
    scheme = {"http": "ws", "https": "wss", "ws": "ws", "wss": "wss"}.get(parts.scheme)
    if scheme is None or not parts.netloc:
        raise ValueError(f"expected a server URL like http://127.0.0.1:8080, got {url!r}")
    token = parse_qs(parts.query).get("token", [None])[0]
    return f"{scheme}://{parts.netloc}/ingest/{quote(stream, safe='')}", token


def _refusal(error: InvalidStatus) -> str:
    """What the server said when it refused the connection."""
    response = error.response
    try:
        reason = json.loads(response.body)["error"]
    except (ValueError, KeyError, TypeError):
        reason = (response.body or b"").decode("utf-8", "replace")[:200] or response.reason_phrase
    return f"HTTP {response.status_code}: {reason}"


class _Changes:
    """What the I/O thread sends of each frame on one connection: a delta
    against the frame sent before (a frame message of the tiles that
    changed, XORed and LZ4-compressed, PROTOCOL.md) where that pays, else
    the frame whole (a publish message).

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
        self._base: Optional[bytearray] = None
        self._keyframe_due = False
        self._whole_for = 0
        self._whole_next = _WHOLE_AFTER_NO_GAIN[0]

    def refused(self) -> None:
        """The server refused a message: it no longer holds the frame the
        next delta would be against; a keyframe with the next number tells it
        both the frame and the numbering again."""
        self._keyframe_due = True

    def sent(self, length: int, seconds: float) -> None:
        """A message of ``length`` bytes took ``seconds`` to send."""
        if length >= _TIMED_MESSAGE_BYTES:
            rate = seconds / length
            self.link_s_per_byte = rate if not self.link_s_per_byte else 0.75 * self.link_s_per_byte + 0.25 * rate

    def message(self, publish: bytearray) -> Union[bytes, bytearray]:
        """What to send for the publish message ``publish``."""
        self._seq += 1
        base, self._base = self._base, publish
        frame = np.frombuffer(publish, dtype=np.uint8)
        if self._keyframe_due:
            self._keyframe_due = False
            return self._encoder.encode(frame, None, self._seq)
        if base is None or self._whole_for > 0 or not self._deltas:
            self._whole_for = max(0, self._whole_for - 1)
            return publish
        started = time.perf_counter()
        delta = self._encoder.encode(frame, np.frombuffer(base, dtype=np.uint8), self._seq, len(publish) - 1)
        took = time.perf_counter() - started
        if delta is not None and (
            len(delta) <= len(publish) * DELTA_MAX_FRACTION
            or took < (len(publish) - len(delta)) * self.link_s_per_byte
        ):
            self._whole_next = _WHOLE_AFTER_NO_GAIN[0]
            return delta
        self._whole_for = self._whole_next
        self._whole_next = min(2 * self._whole_next, _WHOLE_AFTER_NO_GAIN[1])
        return publish


class Publisher:
    """Publishes frames to one stream of a framecast server.

    ``send`` copies the frame and returns at once. One I/O thread owns the
    connection: it sends the newest frame (only the tiles that changed,
    where that pays: see ``_Changes``; ``deltas=False`` always sends it
    whole), receives the viewers' input events (queued for ``poll_events``
    and ``next_event``) and reconnects with backoff when the server goes
    away.
    """

    def __init__(
        self,
        url: str = "http://127.0.0.1:8080",
        stream: str = "main",
        *,
        token: Optional[str] = None,
        quality: Union[str, int, None] = None,
        deltas: bool = True,
        connect_timeout: float = 5.0,
    ):
        self.url, url_token = _ingest_url(url, stream)
        if quality is not None:
            # What the stream allows its viewers: "auto", "lossless", or a
            # JPEG quality 1-100 for moving natural content (exact once still).
            if not (quality in ("auto", "lossless") or (type(quality) is int and 1 <= quality <= 100)):
                raise ValueError(f"quality is 'auto', 'lossless' or an int from 1 to 100, got {quality!r}")
            self.url += f"?quality={quality}"

        self._token = token or url_token or os.environ.get("FRAMECAST_TOKEN") or None
        self.stream = stream
        self.frames_sent = 0
        #: Of those, the ones sent as frame messages (deltas, and a keyframe
        #: after the server refused one), and the bytes of every message sent.
        self.deltas_sent = 0
        self.bytes_sent = 0
        self.frames_dropped = 0
        #: Input events lost: dropped by the server because this client fell
        #: behind reading them, or here because ``poll_events`` was not
        #: called before MAX_PENDING_EVENTS waited.
        self.events_dropped = 0
        self.last_error: Optional[str] = None
        self._connect_timeout = connect_timeout
        # Shared with the I/O thread, under the lock: the newest frame not yet
        # taken, whether one is being written, whether connected, the events.
        self._lock = threading.Condition()
        self._pending: Optional[bytearray] = None
        #: The colormap and range asked for, as the view message says them,
        #: and whether the connection has yet to be told.
        self._view: dict = {}
        self._view_due = False
        self._sending = False
        self._connected = False
        self._events: Deque[dict] = collections.deque(maxlen=MAX_PENDING_EVENTS)
        self._closed = False
        self._changes = _Changes(deltas)  # the I/O thread's
        # The I/O thread's own: its event loop, the event that wakes its
        # sender, and its main task (both made in that loop by _run).
        self._loop = asyncio.new_event_loop()
        self._wake: asyncio.Event
        self._task: asyncio.Task
        connected: concurrent.futures.Future = concurrent.futures.Future()
        self._io = threading.Thread(target=self._run, args=(connected,), name=f"framecast-{stream}", daemon=True)
        self._io.start()
        connected.result()  # the first connection's error, raised here

    # -- public API ---------------------------------------------------------

    def send(
        self,
        frame: np.ndarray,
        *,
        capture_time: Optional[float] = None,
        cmap: Optional[str] = None,
        vmin: Optional[float] = None,
        vmax: Optional[float] = None,
        range: Optional[str] = None,
    ) -> None:
        """Queues ``frame`` to be published: uint8 H x W x 3 (RGB), H x W x 4
        (RGBA), H x W or H x W x 1 (gray); uint16 H x W; float32 H x W
        (float64 converted to it); bool H x W (as 0 and 255).

        Returns at once: the frame is copied, and the array is the caller's
        again. ``capture_time`` is seconds since the Unix epoch
        (``time.time()``); by default the server stamps the arrival time.
        For values (all but RGB and RGBA), ``cmap`` (one of COLORMAPS) and
        ``vmin`` with ``vmax``, or ``range`` (one of RANGES), say how viewers
        show this frame and the next ones until they choose otherwise.
        """
        code, dtype, shape = _wire_format(frame)
        height, width = shape[:2]
        if not (0 < width <= MAX_DIMENSION and 0 < height <= MAX_DIMENSION) or width * height > MAX_FRAME_PIXELS:
            raise ValueError(
                f"frame size {width}x{height} is outside the server's limits "
                f"(1 to {MAX_DIMENSION} a side, {MAX_FRAME_PIXELS} pixels)"
            )
        view = None
        if cmap is not None or vmin is not None or vmax is not None or range is not None:
            view = _view_of(self._view, cmap, vmin, vmax, range)
        capture_us = 0 if capture_time is None else int(capture_time * 1e6)
        pixels = width * height * (int(np.prod(shape[2:])) if len(shape) > 2 else 1)
        message = bytearray(_HEADER.size + pixels * dtype.itemsize)
        _HEADER.pack_into(message, 0, b"FCST", PROTOCOL_VERSION, 4, 0, width, height, code, capture_us)
        # The one copy: straight from the array (contiguous or not, float64
        # narrowed to float32) into the message.
        target = np.frombuffer(message, dtype=dtype, offset=_HEADER.size).reshape(shape)
        np.copyto(target, frame.reshape(shape), casting="unsafe")
        if frame.dtype == np.bool_:
            target *= 255
        with self._lock:
            if self._closed:
                raise PublishError("the publisher is closed")
            if self._pending is not None:
                self.frames_dropped += 1
            self._pending = message
            if view is not None and view != self._view:
                self._view, self._view_due = view, True
        try:
            self._loop.call_soon_threadsafe(self._wake.set)
        except RuntimeError:  # the I/O thread ended just now
            raise PublishError("the publisher is closed") from None

    def set_view(
        self,
        *,
        cmap: Optional[str] = None,
        vmin: Optional[float] = None,
        vmax: Optional[float] = None,
        range: Optional[str] = None,
    ) -> None:
        """Says how viewers show the stream's values from the next frame on,
        without sending one: what is given of ``cmap``, ``vmin`` with
        ``vmax``, or ``range`` changes (checked at once, as ``send`` checks
        them); the rest stays."""
        view = _view_of(self._view, cmap, vmin, vmax, range)
        with self._lock:
            if self._closed:
                raise PublishError("the publisher is closed")
            if view != self._view:
                self._view, self._view_due = view, True
        try:
            self._loop.call_soon_threadsafe(self._wake.set)
        except RuntimeError:  # the I/O thread ended just now
            raise PublishError("the publisher is closed") from None

    @property
    def connected(self) -> bool:
        """Whether the publisher is connected now (not reconnecting, not closed)."""
        with self._lock:
            return self._connected

    def poll_events(self) -> list:
        """The input events received since the last call (possibly none)."""
        with self._lock:
            events = list(self._events)
            self._events.clear()
        return events

    def next_event(self, timeout: Optional[float] = None) -> Optional[dict]:
        """Waits up to ``timeout`` seconds (forever if None) for an input event."""
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._lock:
            while not self._events:
                remaining = None if deadline is None else deadline - time.monotonic()
                if self._closed or (remaining is not None and remaining <= 0):
                    return None
                self._lock.wait(remaining)
            return self._events.popleft()

    def events(self) -> Iterator[dict]:
        """Iterates over input events as they come, until the publisher closes."""
        while True:
            event = self.next_event()
            if event is None:
                return
            yield event

    def flush(self, timeout: float = 10.0) -> bool:
        """Waits until the pending frame is handed to the network (over a new
        connection if the server went away and came back); returns whether
        it was within ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        with self._lock:
            while (self._pending is not None or self._sending) and not self._closed:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._lock.wait(remaining)
            return self._pending is None and not self._sending

    def close(self, timeout: float = 5.0) -> None:
        """Sends the pending frame if connected, then disconnects, within
        about ``timeout`` seconds; at once when the server is gone. Viewers
        keep the last frame."""
        deadline = time.monotonic() + timeout
        with self._lock:
            connected = self._connected
        if connected:
            self.flush(timeout)
        with self._lock:
            if self._closed:
                return
            self._closed = True
            self._lock.notify_all()
        self._loop.call_soon_threadsafe(self._stop)
        self._io.join(max(0.0, deadline - time.monotonic()))
        if self._io.is_alive():
            log.warning("framecast: the connection to %s did not close within %.1f s", self.url, timeout)

    def __enter__(self) -> "Publisher":
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    # -- the I/O thread -------------------------------------------------------

    def _run(self, connected: concurrent.futures.Future) -> None:
        asyncio.set_event_loop(self._loop)
        try:
            self._wake = asyncio.Event()
            self._task = self._loop.create_task(self._main(connected))
            self._loop.run_until_complete(self._task)
        except asyncio.CancelledError:
            pass
        except BaseException as error:
            log.exception("framecast: the I/O thread failed")
            if not connected.done():
                connected.set_exception(error)
        finally:
            self._loop.close()
            with self._lock:
                self._connected = False
                self._closed = True
                self._lock.notify_all()

    def _stop(self) -> None:
        """Ends the I/O thread's work: a connected sender closes its socket
        once woken; a reconnect in progress is cancelled."""
        self._wake.set()
        with self._lock:
            connected = self._connected
        if not connected:
            self._task.cancel()

    async def _main(self, connected: concurrent.futures.Future) -> None:
        try:
            socket = await self._connect()
        except ConnectionError as error:
            connected.set_exception(error)
            return
        connected.set_result(None)
        while socket is not None:
            await self._serve(socket)
            socket = await self._reconnect()

    async def _connect(self) -> ClientConnection:
        try:
            socket = await connect(
                self.url,
                additional_headers={"Authorization": f"Bearer {self._token}"} if self._token else None,
                open_timeout=self._connect_timeout,
                close_timeout=_CLOSE_TIMEOUT_S,
                compression=None,  # frames are large; deflate would cost more than it saves
                max_size=2**20,  # what the server sends us is small JSON
            )
        except InvalidStatus as error:
            raise ConnectionError(f"framecast at {self.url} refused the connection: {_refusal(error)}") from error
        except (OSError, InvalidHandshake, TimeoutError) as error:
            raise ConnectionError(f"cannot connect to framecast at {self.url}: {error}") from error
        with self._lock:
            self._connected = True
            self._lock.notify_all()
        return socket

    async def _reconnect(self) -> Optional[ClientConnection]:
        """Reconnects with backoff until it works; None once closed."""
        delay = 0.25
        while True:
            with self._lock:
                if self._closed:
                    return None
            try:
                socket = await self._connect()
                log.info("framecast: reconnected to %s", self.url)
                return socket
            except ConnectionError as error:
                log.warning("framecast: %s; retrying in %.1f s", error, delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, _RECONNECT_MAX_S)

    async def _serve(self, socket: ClientConnection) -> None:
        """Sends frames and receives events on ``socket`` until it is lost or
        the publisher closes."""
        self._changes.restart()
        with self._lock:
            # A new connection may be to a server that has not heard it.
            self._view_due = bool(self._view)
        receiver = asyncio.ensure_future(self._receive(socket))
        try:
            while True:
                with self._lock:
                    message, self._pending = self._pending, None
                    closed = self._closed
                    self._sending = message is not None
                    view = json.dumps({"type": "view", **self._view}) if self._view_due else None
                    self._view_due = False
                if view is not None:
                    # Before the frame it is for (PROTOCOL.md: view messages).
                    try:
                        await socket.send(view)
                    except (ConnectionClosed, OSError):
                        with self._lock:
                            self._view_due = True  # on the next connection
                            if self._pending is None:
                                self._pending = message
                        raise
                if message is None:
                    if closed:
                        await socket.close()
                        return
                    self._wake.clear()
                    waker = asyncio.ensure_future(self._wake.wait())
                    await asyncio.wait([waker, receiver], return_when=asyncio.FIRST_COMPLETED)
                    waker.cancel()
                    if receiver.done():
                        log.warning("framecast: connection lost; reconnecting")
                        return
                    continue
                wire = self._changes.message(message)  # encodes with the GIL released
                started = time.perf_counter()
                try:
                    await socket.send(wire)
                except (ConnectionClosed, OSError):
                    with self._lock:
                        if self._pending is None:
                            self._pending = message  # resend it on the new connection
                        else:
                            self.frames_dropped += 1
                    raise
                self._changes.sent(len(wire), time.perf_counter() - started)
                with self._lock:
                    self.frames_sent += 1
                    self.deltas_sent += wire is not message
                    self.bytes_sent += len(wire)
                    self._sending = False
                    self._lock.notify_all()
        except (ConnectionClosed, OSError) as error:
            log.warning("framecast: connection lost (%s); reconnecting", error)
        finally:
            receiver.cancel()
            with self._lock:
                self._connected = False
                self._sending = False
                self._lock.notify_all()

    async def _receive(self, socket: ClientConnection) -> None:
        """Queues the events ``socket`` brings, until it closes."""
        try:
            async for text in socket:
                if isinstance(text, str):
                    self._on_text(text)
        except (ConnectionClosed, OSError):
            pass

    def _on_text(self, text: str) -> None:
        try:
            message = json.loads(text)
        except ValueError:
            log.warning("framecast: server sent something that is not JSON: %.100s", text)
            return
        kind = message.get("type")
        if kind == "error":
            self._changes.refused()
            self.last_error = message.get("error")
            log.warning("framecast: server refused a frame: %s", self.last_error)
            return
        if kind == "dropped":
            dropped = message.get("events")
            if type(dropped) is int and dropped > 0:
                level = logging.WARNING if self.events_dropped == 0 else logging.DEBUG
                self.events_dropped += dropped
                log.log(level, "framecast: the server dropped %d input events this client did not read in time (events_dropped counts them all)", dropped)
            return
        with self._lock:
            if len(self._events) == self._events.maxlen:
                self.events_dropped += 1
            self._events.append(message)
            self._lock.notify_all()
