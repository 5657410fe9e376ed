"""The notebook view's kernel side, without a notebook: what the widget
relays for a view (tests/browser/jupyter.test.mjs runs it in JupyterLab)."""

import time

import numpy as np
import pytest

import framecast
from framecast import _jupyter


class Recorded(_jupyter.Widget):
    """A widget that keeps what it would send to its views."""

    def __init__(self, stream):
        super().__init__(stream)
        self.sent = []

    def send(self, content, buffers=None):
        self.sent.append((dict(content), buffers))

    def wait_for(self, kind, view, timeout=10):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for content, buffers in self.sent:
                if content["t"] == kind and content["view"] == view:
                    return content, buffers
            time.sleep(0.01)
        raise AssertionError(f"no {kind!r} for view {view!r}: {self.sent}")


def test_a_view_gets_the_streams_frames_as_binary_buffers():
    with framecast.serve(port=0) as server:
        stream = server.stream("relayed")
        stream.send(np.zeros((16, 24, 3), np.uint8))
        widget = Recorded(stream)
        widget._on_front_end(widget, {"t": "open", "view": "a", "attempt": 1}, [])
        widget.wait_for("open", "a")
        _, (frame,) = widget.wait_for("frame", "a")
        assert bytes(frame[:4]) == b"FCST"
        widget._on_front_end(widget, {"t": "open", "view": "a", "attempt": 1}, [])  # a late, older ask
        assert len(widget._relays) == 1 and widget._relays["a"].attempt == 1
        widget.close()
        assert widget._relays == {}


def test_views_of_one_widget_are_bounded():
    with framecast.serve(port=0) as server:
        widget = Recorded(server.stream("many"))
        for n in range(_jupyter.MAX_VIEWS_PER_WIDGET + 1):
            widget._on_front_end(widget, {"t": "open", "view": str(n)}, [])
        content, _ = widget.wait_for("closed", str(_jupyter.MAX_VIEWS_PER_WIDGET))
        assert content["reason"] == f"more than {_jupyter.MAX_VIEWS_PER_WIDGET} views of one widget"
        assert len(widget._relays) == _jupyter.MAX_VIEWS_PER_WIDGET
        widget.close()


def test_messages_that_are_not_a_views_are_ignored():
    with framecast.serve(port=0) as server:
        widget = Recorded(server.stream("junk"))
        for junk in ([1, 2], {"t": "open"}, {"t": "open", "view": 7}, {"t": "binary", "view": "none"}):
            widget._on_front_end(widget, junk, [])
        assert widget._relays == {} and widget.sent == []
        widget.close()


def test_the_widgets_view_is_checked_as_send_checks_it():
    with framecast.serve(port=0) as server:
        widget = _jupyter.Widget(server.stream("checked"), colormap="magma", vmin=0.0)
        widget.vmax = 2.5  # vmin waited for it
        assert (widget.colormap, widget.vmin, widget.vmax) == ("magma", 0.0, 2.5)
        with pytest.raises(ValueError, match='no colormap "jet"; expected gray, viridis'):
            widget.colormap = "jet"
        with pytest.raises(ValueError, match="the first the smaller"):
            widget.vmin = 3.0
        assert (widget.colormap, widget.vmin) == ("magma", 0.0)
        widget.close()
