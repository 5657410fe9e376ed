"""The framecast server inside the Python process (the Rust extension)."""

from typing import Any

import numpy as np
from numpy.typing import NDArray

#: The wire protocol version of the codec this extension was built with.
PROTOCOL_VERSION: int
#: The codec's limits: the longest side of a frame, and its most pixels.
MAX_DIMENSION: int
MAX_FRAME_PIXELS: int
#: What ``send`` takes, as its errors say.
ACCEPTED: str
#: The colormaps and the named ranges a view may ask for.
COLORMAPS: tuple[str, ...]
RANGES: tuple[str, ...]

def publish_message(frame: object, capture_us: int = 0) -> NDArray[np.uint8]:
    """The publish message of ``frame`` (anything ``Stream.send`` takes),
    captured at ``capture_us`` (0: the server stamps it)."""

def view_message(
    view: str | None,
    *,
    cmap: str | None = None,
    vmin: float | None = None,
    vmax: float | None = None,
    range: str | None = None,
) -> str:
    """The view message saying ``view`` (a view message, None for the
    default) with what is given changed, checked as the server checks it."""

def quality(quality: object) -> str:
    """``quality`` ("auto", "lossless", 1 to 100) as ``?quality=`` says it."""

class Server:
    """A framecast server running in this process, on background threads."""

    @property
    def url(self) -> str:
        """The page's URL (with the token when viewing needs one)."""
    @property
    def port(self) -> int:
        """The port it listens (or listened) on."""
    def stream(self, name: str) -> Stream:
        """The stream named ``name``, created on first use."""
    def close(self) -> None:
        """Closes every viewer, stops the server and frees its port and threads."""
    def __enter__(self) -> Server: ...
    def __exit__(self, *exc_info: object) -> None: ...

class Stream:
    """One stream of an in-process server."""

    def send(
        self,
        frame: object,
        *,
        cmap: str | None = None,
        vmin: float | None = None,
        vmax: float | None = None,
        range: str | None = None,
    ) -> int:
        """Publishes ``frame``, copied once (GIL released where contiguous);
        returns its sequence number. uint8 H x W x 3 (RGB), H x W x 4 (RGBA),
        H x W or H x W x 1 (gray); uint16 H x W; float32 H x W (float64
        converted); bool H x W (0 and 255); or an array-like of those (DLPack
        on the CPU, ``__array__``, a PIL image, a matplotlib figure).
        Anything else raises ``framecast.ArrayError``. For values, ``cmap`` (gray,
        viridis, magma, inferno, turbo, coolwarm) and ``vmin`` with ``vmax``,
        or ``range`` (auto, frame, window), say how viewers show this frame
        and the next ones until they choose otherwise."""
    def set_view(
        self,
        *,
        cmap: str | None = None,
        vmin: float | None = None,
        vmax: float | None = None,
        range: str | None = None,
    ) -> None:
        """How viewers show this stream's values from its next frame on,
        without sending one; what is not given stays."""
    def flush(self, timeout: float = 10.0) -> bool:
        """Waits until every viewer watching has been sent the newest frame
        (at once with none); whether it was within ``timeout`` seconds."""
    @property
    def name(self) -> str:
        """Its name."""
    @property
    def url(self) -> str:
        """Its own page on the server (with the view token when viewing needs one)."""
    def embed_html(self) -> str:
        """The HTML that shows it live in a page of your own (an origin given
        to ``serve(allow_origins=...)``), with a view token where one is
        needed, never the publish token."""
    @property
    def events_dropped(self) -> int:
        """Input events dropped because ``poll_events`` was not called in time."""
    @property
    def _viewer_url(self) -> str: ...
    def show(
        self,
        *,
        cmap: str | None = None,
        vmin: float | None = None,
        vmax: float | None = None,
        range: str | None = None,
    ) -> None:
        """Shows the live view in a notebook cell's output (needs
        ``framecast[jupyter]``); a stream that is a cell's value shows it too.
        For values, the view's own colormap and range where given."""
    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> Any: ...
    def poll_events(self) -> list[dict[str, Any]]:
        """The viewers' input events since the last call (possibly none),
        oldest first; never blocks."""

def serve(host: str = "127.0.0.1", port: int = 8080, allow_origins: list[str] = ...) -> Server:
    """Starts a framecast server in this process; ``port=0`` picks a free one;
    pages of ``allow_origins`` may embed its streams."""

def main(argv: list[str]) -> int:
    """Runs the ``framecast`` command line ``argv`` (``argv[0]`` the program's
    name) in this process until Ctrl-C; returns the exit status."""

def _forward_logs() -> bool: ...
def _take_logs(timeout: float) -> list[tuple[int, str, str]]: ...
def _page_file(path: str) -> bytes | None: ...
def _jpeg(frame: object, quality: int = 95) -> bytes: ...

class _DeltaEncoder:
    def encode(
        self, frame: NDArray[np.uint8], base: NDArray[np.uint8] | None, seq: int, max_len: int | None = None
    ) -> bytes | None: ...
