"""Watch numpy frames live in a browser.

One line, on a server started in this process on first use (its URL
printed once; in a notebook the view shows in the cell):

    import framecast
    framecast.show(frame)                 # numpy, torch, PIL, a matplotlib figure
    framecast.imshow("camera", bgr)       # as cv2.imshow shows it, no waitKey needed

A server of your own in this process, on background threads:

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

Errors are ``framecast.Error``s: ``ArrayError`` (no frame: its message names
what was given and what is accepted), ``ConnectError`` and ``RefusedError``
(with the server's ``status`` and ``reason``), ``PublishError`` (closed).

The wire format is in PROTOCOL.md at the root of the framecast repository;
this package writes none of it (the extension, ``framecast._native``, does).
"""

from __future__ import annotations

from collections.abc import Sequence

from . import _logs, _native
from ._errors import ArrayError, ConnectError, Error, PublishError, RefusedError
from ._native import Server, Stream
from ._publisher import MAX_PENDING_EVENTS, Publisher
from ._show import imshow, server, show, stream_name, waitKey

__all__ = [
    "ACCEPTED",
    "COLORMAPS",
    "MAX_DIMENSION",
    "MAX_FRAME_PIXELS",
    "MAX_PENDING_EVENTS",
    "PROTOCOL_VERSION",
    "RANGES",
    "ArrayError",
    "ConnectError",
    "Error",
    "PublishError",
    "Publisher",
    "RefusedError",
    "Server",
    "Stream",
    "imshow",
    "serve",
    "server",
    "show",
    "stream_name",
    "waitKey",
]
__version__ = "0.1.0"

#: The wire protocol version this client speaks (PROTOCOL.md), the codec's
#: own; the server refuses any other.
PROTOCOL_VERSION: int = _native.PROTOCOL_VERSION
#: What ``send`` takes, as its errors say.
ACCEPTED: str = _native.ACCEPTED
#: The colormaps a stream of values may ask for, and the ranges by name.
COLORMAPS: tuple[str, ...] = _native.COLORMAPS
RANGES: tuple[str, ...] = _native.RANGES
#: Largest side a frame may have, and most pixels (the codec's limits).
MAX_DIMENSION: int = _native.MAX_DIMENSION
MAX_FRAME_PIXELS: int = _native.MAX_FRAME_PIXELS


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
