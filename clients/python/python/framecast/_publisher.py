"""The remote publisher: frames to a framecast server elsewhere, over one
WebSocket per stream, from an I/O thread of its own."""

from __future__ import annotations

import asyncio
import collections
import concurrent.futures
import json
import logging
import os
import threading
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit

import numpy as np
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidStatus

from . import _native
from ._changes import Changes
from ._errors import ConnectError, PublishError, RefusedError

log = logging.getLogger("framecast")

#: Input events kept for a program that does not read them; older ones go.
MAX_PENDING_EVENTS = 1024
_RECONNECT_MAX_S = 4.0
#: How long closing waits for the server's side of the closing handshake.
_CLOSE_TIMEOUT_S = 1.0


def _ingest_url(url: str, stream: str) -> tuple[str, str | None]:
    """The ingest WebSocket URL for ``stream``, and the token in ``url``'s
    query, if any."""
    parts = urlsplit(url if "://" in url else f"http://{url}")
    scheme = {"http": "ws", "https": "wss", "ws": "ws", "wss": "wss"}.get(parts.scheme)
    if scheme is None or not parts.netloc:
        raise ValueError(f"expected a server URL like http://127.0.0.1:8080, got {url!r}")
    token = parse_qs(parts.query).get("token", [None])[0]
    return f"{scheme}://{parts.netloc}/ingest/{quote(stream, safe='')}", token


def _refused(url: str, error: InvalidStatus) -> RefusedError:
    """The error for the server's refusal of a connection, with what it said."""
    response = error.response
    try:
        reason = json.loads(response.body)["error"]
    except (ValueError, KeyError, TypeError):
        reason = (response.body or b"").decode("utf-8", "replace")[:200] or response.reason_phrase
    status = response.status_code
    return RefusedError(f"framecast at {url} refused the connection: HTTP {status}: {reason}", status, reason)


class Publisher:
    """Publishes frames to one stream of a framecast server.

    ``send`` copies the frame and returns at once. One I/O thread owns the
    connection: it sends the newest frame (only the tiles that changed,
    where that pays: see ``framecast._changes``; ``deltas=False`` always
    sends it whole), receives the viewers' input events (queued for ``poll_events``
    and ``next_event``) and reconnects with backoff when the server goes
    away.
    """

    def __init__(
        self,
        url: str = "http://127.0.0.1:8080",
        stream: str = "main",
        *,
        token: str | None = None,
        quality: str | int | None = None,
        deltas: bool = True,
        connect_timeout: float = 5.0,
    ) -> None:
        self.url, url_token = _ingest_url(url, stream)
        if quality is not None:
            # What the stream allows its viewers: "auto", "lossless", or a
            # JPEG quality 1-100 for moving natural content (exact once still).
            self.url += f"?quality={_native.quality(quality)}"

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
        self.last_error: str | None = None
        self._connect_timeout = connect_timeout
        # Shared with the I/O thread, under the lock: the newest frame not yet
        # taken, whether one is being written, whether connected, the events.
        self._lock = threading.Condition()
        self._pending: np.ndarray | None = None
        #: The colormap and range asked for, as the view message that says
        #: them (None: not asked), and whether the connection has yet to be told.
        self._view: str | None = None
        self._view_due = False
        self._sending = False
        self._connected = False
        self._events: collections.deque[dict[str, Any]] = collections.deque(maxlen=MAX_PENDING_EVENTS)
        self._closed = False
        self._changes = Changes(deltas)  # the I/O thread's
        # The I/O thread's own: its event loop, the event that wakes its
        # sender, and its main task (both made in that loop by _run).
        self._loop = asyncio.new_event_loop()
        self._wake: asyncio.Event
        self._task: asyncio.Task[None]
        connected: concurrent.futures.Future[None] = concurrent.futures.Future()
        self._io = threading.Thread(target=self._run, args=(connected,), name=f"framecast-{stream}", daemon=True)
        self._io.start()
        connected.result()  # the first connection's error, raised here

    # -- public API ---------------------------------------------------------

    def send(
        self,
        frame: object,
        *,
        capture_time: float | None = None,
        cmap: str | None = None,
        vmin: float | None = None,
        vmax: float | None = None,
        range: str | None = None,
    ) -> None:
        """Queues ``frame`` to be published: uint8 H x W x 3 (RGB), H x W x 4
        (RGBA), H x W or H x W x 1 (gray); uint16 H x W; float32 H x W
        (float64 converted to it); bool H x W (as 0 and 255); or an
        array-like of those (DLPack on the CPU, ``__array__``, a PIL image, a
        matplotlib figure). Anything else raises ``ArrayError`` at once.

        Returns at once: the frame is copied, and the array is the caller's
        again. ``capture_time`` is seconds since the Unix epoch
        (``time.time()``); by default the server stamps the arrival time.
        For values (all but RGB and RGBA), ``cmap`` (one of COLORMAPS) and
        ``vmin`` with ``vmax``, or ``range`` (one of RANGES), say how viewers
        show this frame and the next ones until they choose otherwise.
        """
        view = None
        if cmap is not None or vmin is not None or vmax is not None or range is not None:
            view = _native.view_message(self._view, cmap=cmap, vmin=vmin, vmax=vmax, range=range)
        capture_us = 0 if capture_time is None else int(capture_time * 1e6)
        # The one copy: straight from the array into the message.
        self._queue(_native.publish_message(frame, capture_us), view)

    def set_view(
        self,
        *,
        cmap: str | None = None,
        vmin: float | None = None,
        vmax: float | None = None,
        range: str | None = None,
    ) -> None:
        """Says how viewers show the stream's values from the next frame on,
        without sending one: what is given of ``cmap``, ``vmin`` with
        ``vmax``, or ``range`` changes (checked at once, as ``send`` checks
        them); the rest stays."""
        self._queue(None, _native.view_message(self._view, cmap=cmap, vmin=vmin, vmax=vmax, range=range))

    def _queue(self, message: np.ndarray | None, view: str | None) -> None:
        """Hands the publish message and the view message, where given, to
        the I/O thread."""
        with self._lock:
            if self._closed:
                raise PublishError("the publisher is closed")
            if message is not None:
                if self._pending is not None:
                    self.frames_dropped += 1
                self._pending = message
            if view is not None and view != self._view:
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

    def poll_events(self) -> list[dict[str, Any]]:
        """The input events received since the last call (possibly none)."""
        with self._lock:
            events = list(self._events)
            self._events.clear()
        return events

    def next_event(self, timeout: float | None = None) -> dict[str, Any] | None:
        """Waits up to ``timeout`` seconds (forever if None) for an input event."""
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._lock:
            while not self._events:
                remaining = None if deadline is None else deadline - time.monotonic()
                if self._closed or (remaining is not None and remaining <= 0):
                    return None
                self._lock.wait(remaining)
            return self._events.popleft()

    def events(self) -> Iterator[dict[str, Any]]:
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

    def __enter__(self) -> Publisher:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # -- the I/O thread -------------------------------------------------------

    def _run(self, connected: concurrent.futures.Future[None]) -> None:
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

    async def _main(self, connected: concurrent.futures.Future[None]) -> None:
        socket: ClientConnection | None
        try:
            socket = await self._connect()
        except ConnectError as error:
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
            raise _refused(self.url, error) from error
        except (OSError, InvalidHandshake, TimeoutError) as error:
            raise ConnectError(f"cannot connect to framecast at {self.url}: {error}") from error
        with self._lock:
            self._connected = True
            self._lock.notify_all()
        return socket

    async def _reconnect(self) -> ClientConnection | None:
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
            except ConnectError as error:
                log.warning("framecast: %s; retrying in %.1f s", error, delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, _RECONNECT_MAX_S)

    async def _serve(self, socket: ClientConnection) -> None:
        """Sends frames and receives events on ``socket`` until it is lost or
        the publisher closes."""
        self._changes.restart()
        with self._lock:
            # A new connection may be to a server that has not heard it.
            self._view_due = self._view is not None
        receiver = asyncio.ensure_future(self._receive(socket))
        try:
            while True:
                with self._lock:
                    message, self._pending = self._pending, None
                    closed = self._closed
                    self._sending = message is not None
                    view = self._view if self._view_due else None
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
                delta = self._changes.message(message)  # encodes with the GIL released
                wire = message.data if delta is None else delta
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
                    self.deltas_sent += delta is not None
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
                log.log(
                    level,
                    "framecast: the server dropped %d input events this client did not read in time "
                    "(events_dropped counts them all)",
                    dropped,
                )
            return
        with self._lock:
            if len(self._events) == self._events.maxlen:
                self.events_dropped += 1
            self._events.append(message)
            self._lock.notify_all()
