"""Array-likes as numpy arrays: what ``send`` and ``show`` take besides
numpy arrays, turned into the arrays the extension checks and copies
(``framecast._native``, the one place that says which arrays are frames).

- Anything with DLPack (``__dlpack__``: torch, jax, cupy, numpy) in the
  CPU's memory, read without a copy; on a GPU it is an error that says how
  to bring it to the CPU.
- Anything with ``__array__`` or the array interface.
- PIL images, by mode: RGB, RGBA, L (gray), 1 (bool), I;16 (uint16), F
  (float32) as they are; I (int32) as uint16 when its values fit; palette
  and other modes converted to RGB, or RGBA where they have alpha.
- matplotlib figures, rendered through their Agg canvas, again only when
  they changed (``figure.stale``).
"""

from __future__ import annotations

import sys
import weakref
from typing import Any

import numpy as np

from ._errors import ArrayError

#: DLPack's device types (dlpack.h) whose memory the CPU reads (and numpy's
#: from_dlpack takes): the CPU's own, CUDA's and ROCm's pinned host memory,
#: CUDA's managed memory.
_CPU_DEVICES = {1: "the CPU", 3: "CUDA host memory", 11: "ROCm host memory", 13: "CUDA managed memory"}
#: The others, for the error that names them.
_DEVICE_NAMES = {
    2: "a CUDA GPU",
    4: "an OpenCL device",
    7: "a Vulkan device",
    8: "a Metal GPU",
    9: "a VPI device",
    10: "a ROCm GPU",
    12: "an extension device",
    14: "a oneAPI device",
    15: "a WebGPU device",
    16: "a Hexagon DSP",
}
#: PIL modes with alpha, converted to RGBA; every other mode not taken as it
#: is becomes RGB.
_PIL_ALPHA_MODES = {"LA", "La", "PA", "RGBa", "RGBX"}
_PIL_AS_IS = {"RGB", "RGBA", "L", "1", "I;16", "F"}

#: Each figure's last rendering, kept while the figure lives.
_renderings: weakref.WeakKeyDictionary[Any, np.ndarray] = weakref.WeakKeyDictionary()


def as_array(frame: object) -> object:
    """``frame`` as a numpy array where it is an array-like framecast knows;
    anything else as it is, for the extension to refuse with a message that
    names it."""
    if isinstance(frame, np.ndarray):
        return frame
    if hasattr(frame, "__dlpack_device__"):
        return _from_dlpack(frame)
    image = sys.modules.get("PIL.Image")
    if image is not None and isinstance(frame, image.Image):
        return _from_pil(frame)
    figure = sys.modules.get("matplotlib.figure")
    if figure is not None and isinstance(frame, figure.Figure):
        return _render(frame)
    if hasattr(frame, "__array__") or hasattr(frame, "__array_interface__"):
        return np.asarray(frame)
    return frame


def _name(frame: object) -> str:
    kind = type(frame)
    return kind.__name__ if kind.__module__ == "builtins" else f"{kind.__module__}.{kind.__qualname__}"


def _from_dlpack(frame: Any) -> np.ndarray:
    device, index = frame.__dlpack_device__()
    if device not in _CPU_DEVICES:
        where = _DEVICE_NAMES.get(device, f"DLPack device type {device}")
        raise ArrayError(
            f"a {_name(frame)} on {where} (device {index}); framecast reads frames from the CPU's memory: "
            "bring it there first (torch: .cpu(), cupy: .get(), jax: jax.device_get)"
        )
    try:
        return np.from_dlpack(frame)
    except (BufferError, RuntimeError, TypeError, ValueError) as error:
        # A dtype numpy lacks (bfloat16), a tensor that needs grad, ...
        raise ArrayError(f"cannot read a {_name(frame)} through DLPack: {error}") from error


def _from_pil(image: Any) -> np.ndarray:
    if image.mode not in _PIL_AS_IS and image.mode != "I":
        alpha = image.mode in _PIL_ALPHA_MODES or (image.mode == "P" and "transparency" in image.info)
        image = image.convert("RGBA" if alpha else "RGB")
    pixels = np.asarray(image)
    if image.mode == "I" and pixels.size and pixels.min() >= 0 and pixels.max() <= 0xFFFF:
        pixels = pixels.astype(np.uint16)  # a 16-bit PNG, as PIL opens it
    return pixels


def _render(figure: Any) -> np.ndarray:
    """The figure's pixels (RGBA), rendered again only when it changed."""
    rendering = _renderings.get(figure)
    if rendering is not None and not figure.stale:
        return rendering
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    canvas = figure.canvas
    if isinstance(canvas, FigureCanvasAgg):
        canvas.draw()
    else:  # a bare Figure(), or another backend's: render through Agg, then give it back
        original = canvas
        canvas = FigureCanvasAgg(figure)  # (which becomes the figure's canvas)
        try:
            canvas.draw()
        finally:
            figure.set_canvas(original)
    # The canvas draws into the same buffer again next time: keep a copy.
    rendering = np.array(canvas.buffer_rgba(), dtype=np.uint8)
    _renderings[figure] = rendering
    return rendering
