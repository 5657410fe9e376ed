"""The live view of a stream in a notebook cell: ``stream.show()``, or a
stream as a cell's value.

The widget (anywidget) runs the page's own front end: the
``<framecast-view>`` element (``element.js``) and the wasm decoder, both
taken from the page compiled into the extension, loaded in the notebook's
browser from the widget's state. Each place the widget is
shown is one viewer of the stream: the kernel opens a WebSocket to the
in-process server on loopback and relays its messages over the widget's
comm (frames as binary buffers), and the view's acks and input events back.
So the server's own flow control paces the view through the comm, and the
view works wherever the notebook's browser is (a remote JupyterHub, a
kernel behind an SSH tunnel): only the kernel talks to the server.

While a cell runs, the view's messages reach the kernel only where comm
messages are handled beside running code: JupyterLab 4.4 and Notebook 7.4 or
later send them on a kernel subshell, and ipykernel 7 handles them there if
the kernel's own messages on the comm came from that subshell (see
``_Routing``). Elsewhere the view waits for its acks until the cell
finishes, then shows the newest frame.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from contextvars import ContextVar
from pathlib import Path
from typing import Any

from . import _native

try:
    import anywidget
    import traitlets
except ImportError as error:  # pragma: no cover - said to the user
    raise ImportError(
        "the notebook view needs anywidget: pip install 'framecast[jupyter]' (or pip install anywidget)"
    ) from error

from websockets.exceptions import ConnectionClosed, InvalidHandshake
from websockets.sync.client import ClientConnection, connect

log = logging.getLogger("framecast.jupyter")

#: Views of one widget relayed at once (each is one viewer of the stream);
#: a front end asking for more is refused.
MAX_VIEWS_PER_WIDGET = 16
#: How long closing a view's connection waits for the server's side.
_CLOSE_TIMEOUT_S = 0.1
#: Longest view id a front end may choose.
_MAX_VIEW_ID = 64


def _page_file(path: str) -> bytes:
    contents = _native._page_file(path)
    if contents is None:
        raise RuntimeError(f"this framecast was built without {path}: run `just wasm`, then reinstall")
    return contents


class _Routing:
    """Where ipykernel handles the view's messages.

    ipykernel 7 hands a front end's message on a comm to the subshell that
    sent the kernel's latest message on that comm (the subshell of that
    message's parent request), and to the main shell, busy with a running
    cell, when it was the main shell. The widget is made by a cell, so at
    first the main shell; and a relay thread's messages would count as the
    latest cell's. So the widget forgets its maker (the view's first message
    then goes to the view's own subshell), and each relay thread sends as a
    reply to its view's "open", which came from that subshell. Both use
    ipykernel's internals, checked first: where they differ, nothing
    changes and the view waits for the running cell to finish.
    """

    @staticmethod
    def _kernel() -> Any:
        try:
            from ipykernel.kernelbase import Kernel
        except ImportError:
            return None
        return Kernel.instance() if Kernel.initialized() else None

    @staticmethod
    def forget_maker(widget: Widget) -> None:
        comm = getattr(widget, "comm", None)
        if comm is not None and hasattr(comm, "_reply_subshell_for"):
            comm.__dict__.pop("_reply_subshell_id", None)

    @classmethod
    def request(cls) -> dict[str, Any] | None:
        """The message being handled on this thread."""
        kernel = cls._kernel()
        return kernel.get_parent() if kernel is not None else None

    @classmethod
    def reply_to(cls, request: dict[str, Any] | None) -> None:
        """Makes this thread's messages replies to ``request``."""
        kernel = cls._kernel()
        parent = getattr(kernel, "_shell_parent", None)
        if request and isinstance(parent, ContextVar):
            parent.set(request)


class Widget(anywidget.AnyWidget):  # type: ignore[misc]  # (anywidget has no types)
    """The live view of one stream of an in-process server."""

    _esm = Path(__file__).with_name("widget.js")
    _viewer_js = traitlets.Unicode().tag(sync=True)
    _viewer_wasm = traitlets.Bytes().tag(sync=True)
    _element_js = traitlets.Unicode().tag(sync=True)
    stream = traitlets.Unicode(read_only=True).tag(sync=True)
    #: For a stream of values: the element's colormap, vmin and vmax, range
    #: (None: the producer's, or what is chosen on the colour bar). Set them
    #: on a widget shown, and its views follow.
    colormap = traitlets.Unicode(None, allow_none=True).tag(sync=True)
    vmin = traitlets.Float(None, allow_none=True).tag(sync=True)
    vmax = traitlets.Float(None, allow_none=True).tag(sync=True)
    range = traitlets.Unicode(None, allow_none=True).tag(sync=True)

    @traitlets.validate("colormap", "vmin", "vmax", "range")  # type: ignore[untyped-decorator]
    def _valid_view(self, proposal: Any) -> Any:
        view = {"colormap": self.colormap, "vmin": self.vmin, "vmax": self.vmax, "range": self.range}
        view[proposal["trait"].name] = proposal["value"]
        # Checked as send checks them; one of vmin and vmax may wait for the other.
        vmin, vmax = view["vmin"], view["vmax"]
        if (vmin is None) != (vmax is None):
            vmin = vmax = None
        range = view["range"] if vmin is None else None
        _native.view_message(None, cmap=view["colormap"], vmin=vmin, vmax=vmax, range=range)
        return proposal["value"]

    def __init__(self, stream: _native.Stream, **kwargs: Any) -> None:
        super().__init__(
            _viewer_js=_page_file("pkg/framecast_viewer.js").decode(),
            _viewer_wasm=_page_file("pkg/framecast_viewer_bg.wasm"),
            _element_js=_page_file("element.js").decode(),
            **kwargs,
        )
        self.set_trait("stream", stream.name)
        self._url = stream._viewer_url
        self._lock = threading.Lock()
        self._relays: dict[str, _Relay] = {}
        self.on_msg(self._on_front_end)
        _Routing.forget_maker(self)

    def __repr__(self) -> str:
        return f"<framecast.Stream {self.stream!r}>"

    def _on_front_end(self, _widget: Any, content: Any, buffers: Any) -> None:
        """A message from one of the views: open, close, or one to relay."""
        if not isinstance(content, dict) or not isinstance(content.get("view"), str):
            return
        view = content["view"][:_MAX_VIEW_ID]
        kind = content.get("t")
        with self._lock:
            relay = self._relays.get(view)
            if kind == "open":
                attempt = content.get("attempt")
                attempt = attempt if isinstance(attempt, int) else 0
                if relay is not None and attempt <= relay.attempt:
                    return  # an older ask, held up in the main shell
                if relay is not None:
                    relay.close()
                elif len(self._relays) >= MAX_VIEWS_PER_WIDGET:
                    self.send(
                        {"t": "closed", "view": view, "reason": f"more than {MAX_VIEWS_PER_WIDGET} views of one widget"}
                    )
                    return
                self._relays[view] = _Relay(self, view, self._url, _Routing.request(), attempt)
                return
            if kind == "close":
                if relay is not None:
                    del self._relays[view]
                    relay.close()
                return
        if relay is None:
            return
        if kind == "binary" and buffers:
            relay.send(bytes(buffers[0]))
        elif kind == "text" and isinstance(content.get("text"), str):
            relay.send(content["text"])

    def close(self) -> None:
        """Closes every view's connection, then the widget."""
        with self._lock:
            relays, self._relays = list(self._relays.values()), {}
        for relay in relays:
            relay.close()
        super().close()


class _Relay:
    """One view's viewer connection, on a thread of its own: what the server
    sends goes to the view over the comm; ``send`` goes to the server."""

    def __init__(self, widget: Widget, view: str, url: str, request: dict[str, Any] | None, attempt: int) -> None:
        self.attempt = attempt  # the view's "open" this answers
        self._widget = widget
        self._view = view
        self._url = url
        self._request = request  # the view's "open"
        self._socket: ClientConnection | None = None
        self._closed = threading.Event()
        threading.Thread(target=self._run, name="framecast-view", daemon=True).start()

    def send(self, message: bytes | str) -> None:
        socket = self._socket
        if socket is None:
            return
        with contextlib.suppress(ConnectionClosed, OSError):  # _run tells the view
            socket.send(message)

    def close(self) -> None:
        self._closed.set()
        socket = self._socket
        if socket is not None:
            socket.close()

    def _tell(self, content: dict[str, Any], buffers: list[bytes] | None = None) -> None:
        content["view"] = self._view
        self._widget.send(content, buffers)

    def _run(self) -> None:
        _Routing.reply_to(self._request)
        opened = False
        try:
            # The server is this process's own: no size limit on what it sends.
            # After the closing handshake, the client waits for the server to
            # end the connection, which takes this server about a second
            # (actix-web waits its client_disconnect_timeout, 1 s, for the
            # client to end it; with none it cuts the server's own close
            # frames short); the handshake itself is immediate on loopback,
            # so the wait is short.
            with connect(
                self._url, compression=None, max_size=None, open_timeout=10, close_timeout=_CLOSE_TIMEOUT_S
            ) as socket:
                opened = True
                self._serve(socket)
        except (OSError, TimeoutError, InvalidHandshake) as error:
            if not opened:
                log.warning("the notebook view cannot connect to %s: %s", self._url.split("?")[0], error)
                self._tell({"t": "closed", "reason": f"cannot connect to the stream: {error}"})

    def _serve(self, socket: ClientConnection) -> None:
        self._socket = socket
        if self._closed.is_set():
            return
        self._tell({"t": "open"})
        try:
            for message in socket:
                if isinstance(message, bytes):
                    self._tell({"t": "frame"}, [message])
                else:
                    self._tell({"t": "text", "text": message})
        except ConnectionClosed:
            pass
        if not self._closed.is_set():
            reason = socket.close_reason or f"closed with {socket.close_code}"
            self._tell({"t": "closed", "reason": reason})


def show(stream: _native.Stream, **view: Any) -> None:
    """Displays the live view of ``stream`` in the cell's output, with
    ``colormap``, ``vmin``, ``vmax`` and ``range`` for a stream of values
    where given. (Returns nothing, so that ``stream.show()`` as a cell's
    last line shows it once.)"""
    from IPython.display import display

    display(Widget(stream, **{name: value for name, value in view.items() if value is not None}))


def mimebundle(stream: _native.Stream, include: Any = None, exclude: Any = None) -> Any:
    """The live view, as the notebook displays a stream."""
    return Widget(stream)._repr_mimebundle_(include=include, exclude=exclude)
