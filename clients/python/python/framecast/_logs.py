"""The in-process server's logs, into Python's ``logging``.

The server queues its records (the Rust side never calls into Python from its
own threads); the ``framecast-log`` thread here takes them and logs each to
``logging.getLogger("framecast")`` or a child (``framecast.viewer``, ...), at
the record's level. Which records are queued follows ``RUST_LOG`` (by default
info and above); which are shown is up to the program's logging setup, so by
default only warnings and errors print.
"""

from __future__ import annotations

import atexit
import logging
import threading

from . import _native

_lock = threading.Lock()
_thread: threading.Thread | None = None
_stopping = threading.Event()
#: How long the thread waits for records before it checks whether to stop.
_POLL_S = 0.25


def forward() -> None:
    """Starts forwarding, once per process (``serve`` calls it)."""
    global _thread
    with _lock:
        if _thread is not None or not _native._forward_logs():
            return
        _thread = threading.Thread(target=_pump, name="framecast-log", daemon=True)
        _thread.start()
        atexit.register(_stop)


def _emit(records: list[tuple[int, str, str]]) -> None:
    for level, name, message in records:
        logging.getLogger(name).log(level, message)


def _pump() -> None:
    while not _stopping.is_set():
        _emit(_native._take_logs(_POLL_S))


def _stop() -> None:
    """At exit: stops the thread, then logs what is still queued."""
    _stopping.set()
    if _thread is not None:
        _thread.join(2 * _POLL_S)
    _emit(_native._take_logs(0.0))
